/**
 * A loopback fake of the Twilio REST API (the parts vidbot uses), speaking the real wire format so
 * the official SDK builds, signs and parses requests against it as against api.twilio.com:
 * - POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form body, HTTP basic auth) -> 201 Message,
 *   or a refusal (400 with Twilio's code), an ambiguous 500 after the message was made, an answer that
 *   never comes (the message made, the request held open), or a status callback sent before the answer;
 * - GET  /2010-04-01/Accounts/{AccountSid}/Messages.json?To=&From= -> a page of messages, newest first;
 * - GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MM}/Media/{ME} (basic auth) -> inbound media,
 *   optionally via a 307 to an unauthenticated "CDN" URL as Twilio does;
 * - GET  /2010-04-01/Accounts/{AccountSid}.json (basic auth) -> the Account (what `vidbot doctor` fetches);
 * - POST /v2/Indicators/Typing.json (messaging.twilio.com; form channel, messageId; basic auth) -> 200
 *   {"success": true}, or 400 for a malformed id or one of Twilio's own outbound messages (the user's
 *   inbound SM/MM sid is required; inbound messages never pass through the fake, so any other
 *   well-formed sid counts as one), or whatever failTyping() asks for;
 * - the Content API (content.twilio.com, on the same origin): POST /v1/Content (JSON) -> 201 Content,
 *   GET /v1/Content (pages), GET and DELETE /v1/Content/{HX}; refuseContent() answers every Content
 *   request as an account without it would. A message sent with the ContentSid of a content made
 *   here gets the body rendered from it, as Twilio's Message resource shows; a deleted one is refused;
 * - sendStatus() posts signed status callbacks to a message's StatusCallback.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { type FakeTwilioContent, createFakeContentApi } from './twilio-content.ts';

export type { FakeTwilioContent } from './twilio-content.ts';

export interface FakeTwilioMessage {
  readonly sid: string;
  readonly to: string;
  readonly from: string;
  readonly body?: string;
  readonly mediaUrls: readonly string[];
  readonly statusCallback?: string;
  readonly contentSid?: string;
  readonly contentVariables?: string;
  status: string;
  readonly dateCreated: Date;
}

/** Every request to Messages.json, refused ones included. */
export interface FakeTwilioRequest {
  readonly method: string;
  readonly path: string;
  readonly authorized: boolean;
  readonly form: URLSearchParams;
}

/** Every request to the typing indicator resource, refused ones included. */
export interface FakeTypingRequest {
  readonly channel: string | null;
  readonly messageId: string | null;
  readonly authorized: boolean;
  readonly at: number;
}

export interface FakeFailure {
  readonly status: number;
  /** Twilio's error code, e.g. 63019 (media), 20429 (too many requests), 20500. */
  readonly code?: number;
  readonly message?: string;
  /** How many consecutive message requests fail this way (default 1). */
  readonly times?: number;
  /** Make the message anyway, then answer with the failure (a 5xx whose create took effect). */
  readonly created?: boolean;
}

/** What the next message creates do besides succeeding. */
export interface FakeCreateBehaviour {
  /** Post this status callback (e.g. 'sent', or 'failed' with errorCode) before answering the create. */
  readonly callbackFirst?: { status: string; errorCode?: string };
  /** Make the message, then never answer (the process that asked is killed meanwhile). */
  readonly hold?: boolean;
  readonly times?: number;
}

export interface FakeTwilio {
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Messages Twilio accepted, in order. */
  readonly messages: FakeTwilioMessage[];
  readonly requests: FakeTwilioRequest[];
  readonly typing: FakeTypingRequest[];
  /** Makes the next typing indicator request(s) fail with this Twilio error (`created` is ignored). */
  failTyping(failure: FakeFailure): void;
  /** Content made through the Content API, deleted ones included. */
  readonly contents: FakeTwilioContent[];
  /** Every Content API request, e.g. `GET /v1/Content`, `POST /v1/Content`. */
  readonly contentRequests: string[];
  /** Every Content API request answers with this status (403, 404...) until called with null. */
  refuseContent(status: number | null): void;
  /** Makes the next message request(s) fail with this Twilio error. */
  failNext(failure: FakeFailure): void;
  /** Makes the next message create(s) behave so (a callback before the answer, an answer that never comes). */
  behaveNext(behaviour: FakeCreateBehaviour): void;
  /** Resolves once Twilio holds this many messages (bounded by timeoutMs). */
  waitForMessages(count: number, timeoutMs?: number): Promise<FakeTwilioMessage[]>;
  /** Delays every response by this many ms (abort and timeout tests). */
  setDelay(ms: number): void;
  /** POSTs a signed status callback to the message's StatusCallback; resolves with the response status. */
  sendStatus(sid: string, status: string, errorCode?: string): Promise<number>;
  /** Serves bytes as a message's media; `redirect` answers with a 307 to an unauthenticated URL. */
  addMedia(bytes: Buffer | string, contentType: string, options?: { redirect?: boolean }): string;
  close(): Promise<void>;
}

const hexSid = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;

const errorBody = (status: number, code: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export const startFakeTwilio = async ({
  accountSid = `AC${'0'.repeat(32)}`,
  authToken = '0123456789abcdef0123456789abcdef',
}: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> => {
  const messages: FakeTwilioMessage[] = [];
  const requests: FakeTwilioRequest[] = [];
  const typing: FakeTypingRequest[] = [];
  const typingFailures: FakeFailure[] = [];
  const failures: FakeFailure[] = [];
  const behaviours: FakeCreateBehaviour[] = [];
  const waiters = new Set<() => void>();
  const held = new Set<ServerResponse>();
  const media = new Map<string, { bytes: Buffer; contentType: string; redirect: boolean }>();
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  let delayMs = 0;
  let url = '';

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };

  const contentApi = createFakeContentApi({ accountSid, baseUrl: () => url, send, errorBody });

  const resource = (m: FakeTwilioMessage) => {
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: m.body ?? '',
      date_created: m.dateCreated.toUTCString().replace('GMT', '+0000'),
      date_sent: null,
      date_updated: m.dateCreated.toUTCString().replace('GMT', '+0000'),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: null,
      num_media: String(m.mediaUrls.length),
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      to: m.to,
      uri,
    };
  };

  const account = () => {
    const date = new Date(0).toUTCString().replace('GMT', '+0000');
    const uri = `/2010-04-01/Accounts/${accountSid}.json`;
    return {
      auth_token: authToken,
      date_created: date,
      date_updated: date,
      friendly_name: 'Fake account',
      owner_account_sid: accountSid,
      sid: accountSid,
      status: 'active',
      subresource_uris: { messages: uri.replace(/\.json$/, '/Messages.json') },
      type: 'Full',
      uri,
    };
  };

  const next = <T extends { times?: number }>(queue: T[]): T | undefined => {
    const head = queue[0];
    if (head === undefined) return undefined;
    if ((head.times ?? 1) <= 1) queue.shift();
    else queue[0] = { ...head, times: (head.times ?? 1) - 1 };
    return head;
  };

  const createMessage = async (res: ServerResponse, form: URLSearchParams): Promise<void> => {
    const failure = next(failures);
    if (failure !== undefined && !failure.created) {
      const code = failure.code ?? failure.status * 100;
      send(res, failure.status, errorBody(failure.status, code, failure.message ?? `Fake failure ${code}`));
      return;
    }
    const to = form.get('To');
    const from = form.get('From');
    const mediaUrls = form.getAll('MediaUrl');
    const contentSid = form.get('ContentSid') ?? undefined;
    if (contentSid !== undefined && contentApi.deleted(contentSid)) return send(res, 400, errorBody(400, 21655, 'The ContentSid is Invalid.'));
    const body = form.get('Body') ?? (contentSid === undefined ? undefined : contentApi.render(contentSid, form.get('ContentVariables')));
    if (!to) return send(res, 400, errorBody(400, 21604, "A 'To' phone number is required."));
    if (!from) return send(res, 400, errorBody(400, 21603, "A 'From' phone number is required."));
    if (!body && mediaUrls.length === 0 && !contentSid) {
      return send(res, 400, errorBody(400, 21619, 'A text message body or media url must be specified.'));
    }
    const message: FakeTwilioMessage = {
      sid: hexSid('SM'),
      to,
      from,
      mediaUrls,
      status: 'queued',
      dateCreated: new Date(),
      ...(body === undefined ? {} : { body }),
      ...(form.get('StatusCallback') ? { statusCallback: form.get('StatusCallback') ?? '' } : {}),
      ...(contentSid === undefined ? {} : { contentSid }),
      ...(form.get('ContentVariables') ? { contentVariables: form.get('ContentVariables') ?? '' } : {}),
    };
    messages.push(message);
    for (const wake of [...waiters]) wake();
    if (failure !== undefined) {
      const code = failure.code ?? failure.status * 100;
      send(res, failure.status, errorBody(failure.status, code, failure.message ?? `Fake failure ${code}`));
      return;
    }
    const behaviour = next(behaviours);
    if (behaviour?.callbackFirst && message.statusCallback) {
      await postStatus(message, behaviour.callbackFirst.status, behaviour.callbackFirst.errorCode);
    }
    if (behaviour?.hold) {
      held.add(res);
      return;
    }
    send(res, 201, resource(message));
  };

  const typingIndicator = (res: ServerResponse, form: URLSearchParams): void => {
    const failure = next(typingFailures);
    if (failure !== undefined) {
      const code = failure.code ?? failure.status * 100;
      return send(res, failure.status, errorBody(failure.status, code, failure.message ?? `Fake failure ${code}`));
    }
    const channel = form.get('channel');
    const messageId = form.get('messageId') ?? '';
    if (channel !== 'whatsapp') return send(res, 400, errorBody(400, 20422, 'channel must be whatsapp'));
    // Twilio answers these with its generic 400 (as reported against twilio-node's typingIndicator).
    if (!/^(SM|MM)[0-9a-fA-F]{32}$/.test(messageId) || messages.some((m) => m.sid === messageId)) {
      return send(res, 400, errorBody(400, 400, 'invalid or incomplete inbound data in MDR'));
    }
    send(res, 200, { success: true });
  };

  const listMessages = (res: ServerResponse, query: URLSearchParams): void => {
    const to = query.get('To');
    const from = query.get('From');
    const pageSize = Math.min(1000, Number(query.get('PageSize') ?? 50) || 50);
    const found = messages
      .filter((m) => (to === null || m.to === to) && (from === null || m.from === from))
      .reverse()
      .slice(0, pageSize);
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    send(res, 200, {
      messages: found.map(resource),
      end: Math.max(0, found.length - 1),
      first_page_uri: `${uri}?PageSize=${pageSize}&Page=0`,
      next_page_uri: null,
      page: 0,
      page_size: pageSize,
      previous_page_uri: null,
      start: 0,
      uri: `${uri}?PageSize=${pageSize}&Page=0`,
    });
  };

  const postStatus = async (message: FakeTwilioMessage, status: string, errorCode?: string): Promise<number> => {
    if (message.statusCallback === undefined) throw new Error(`No StatusCallback for message ${message.sid}`);
    message.status = status;
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      From: message.from,
      MessageSid: message.sid,
      MessageStatus: status,
      SmsSid: message.sid,
      SmsStatus: status,
      To: message.to,
      ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
    };
    const response = await fetch(message.statusCallback, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(authToken, message.statusCallback, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    await response.arrayBuffer();
    return response.status;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const parsed = new URL(req.url ?? '/', 'http://fake');
      const path = parsed.pathname;
      const raw = await readBody(req);
      const form = new URLSearchParams(raw);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (res.destroyed) return;
      const authorized = req.headers.authorization === expectedAuth;
      const cdn = /^\/cdn\/(ME[0-9a-f]{32})$/.exec(path);
      if (req.method === 'GET' && cdn !== null) {
        const item = media.get(cdn[1] ?? '');
        if (item === undefined) return send(res, 404, errorBody(404, 20404, 'Not found'));
        res.writeHead(200, { 'content-type': item.contentType }).end(item.bytes);
        return;
      }
      const isCreate = req.method === 'POST' && path === `/2010-04-01/Accounts/${accountSid}/Messages.json`;
      // Refused requests are logged too: tests check what the SDK sent, credentials included.
      if (isCreate) requests.push({ method: 'POST', path, authorized, form });
      const isTyping = req.method === 'POST' && path === '/v2/Indicators/Typing.json';
      if (isTyping) typing.push({ channel: form.get('channel'), messageId: form.get('messageId'), authorized, at: Date.now() });
      if (!authorized) return send(res, 401, errorBody(401, 20003, 'Authenticate'));
      if (isCreate) return createMessage(res, form);
      if (isTyping) return typingIndicator(res, form);
      if (path === '/v1/Content' || path.startsWith('/v1/Content/')) return contentApi.handle(res, req.method ?? 'GET', path, parsed.searchParams, raw);
      if (req.method === 'GET' && path === `/2010-04-01/Accounts/${accountSid}/Messages.json`) return listMessages(res, parsed.searchParams);
      const mediaPath = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\/MM[0-9a-f]{32}\/Media\/(ME[0-9a-f]{32})$/.exec(path);
      const item = mediaPath?.[1] === accountSid ? media.get(mediaPath[2] ?? '') : undefined;
      if (req.method === 'GET' && item !== undefined && mediaPath !== null) {
        if (item.redirect) {
          res.writeHead(307, { location: `${url}/cdn/${mediaPath[2]}` }).end();
          return;
        }
        res.writeHead(200, { 'content-type': item.contentType }).end(item.bytes);
        return;
      }
      if (req.method === 'GET' && path === `/2010-04-01/Accounts/${accountSid}.json`) return send(res, 200, account());
      send(res, 404, errorBody(404, 20404, `The requested resource ${path} was not found`));
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(500, 20500, String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    accountSid,
    authToken,
    messages,
    requests,
    typing,
    failTyping: (failure) => void typingFailures.push(failure),
    contents: contentApi.contents,
    contentRequests: contentApi.requests,
    refuseContent: (status) => contentApi.refuse(status),
    failNext: (failure) => void failures.push(failure),
    setDelay: (ms) => {
      delayMs = ms;
    },
    async sendStatus(sid, status, errorCode) {
      const message = messages.find((m) => m.sid === sid);
      if (message === undefined) throw new Error(`No message ${sid}`);
      return postStatus(message, status, errorCode);
    },
    behaveNext: (behaviour) => void behaviours.push(behaviour),
    async waitForMessages(count, timeoutMs = 30_000) {
      if (messages.length >= count) return messages;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waitForMessages: ${messages.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
      return messages;
    },
    addMedia(bytes, contentType, options = {}) {
      const mediaSid = hexSid('ME');
      media.set(mediaSid, { bytes: Buffer.from(bytes), contentType, redirect: options.redirect ?? false });
      return `${url}/2010-04-01/Accounts/${accountSid}/Messages/${hexSid('MM')}/Media/${mediaSid}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of held) res.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
