/**
 * A loopback fake of Meta's Graph API for the WhatsApp Cloud API (the parts vidbot uses), speaking
 * its wire format:
 * - POST /{version}/{phone-number-id}/messages (JSON, bearer token) -> {messaging_product, contacts,
 *   messages: [{id: "wamid..."}]}; `status: "read"` with a typing_indicator -> {success: true};
 * - POST /{version}/{phone-number-id}/media (multipart: file, type, messaging_product) -> {id};
 * - GET  /{version}/{media-id} -> {url, mime_type, sha256, file_size, id}, the URL on this origin
 *   (Meta's is lookaside.fbsbx.com) and fetched with the same bearer token;
 * - GET  /{version}/{phone-number-id} -> the number's profile (what `vidbot doctor` reads).
 * Errors have Graph's shape ({error: {message, type, code, error_subcode, fbtrace_id}}): a bad token
 * is 401 with code 190; failNext() makes the next sends fail with any code (131047 outside the
 * window, 130429 throughput, a 500 after the message was made...). webhook() builds and signs
 * the JSON Meta posts to a webhook, with messages and statuses batched as Meta batches them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGraphMessage {
  readonly id: string;
  readonly to: string;
  readonly type: string;
  readonly body: Record<string, unknown>;
  readonly reference?: string;
}

export interface FakeGraphFailure {
  readonly status: number;
  readonly code: number;
  readonly message?: string;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
  readonly times?: number;
  /** Make the message anyway, then answer with the failure (a 5xx whose send took effect). */
  readonly created?: boolean;
  /** Only messages of this type fail (e.g. video); others pass meanwhile. */
  readonly type?: string;
}

export interface FakeGraph {
  readonly url: string;
  readonly token: string;
  readonly phoneNumberId: string;
  readonly appSecret: string;
  /** Messages Meta accepted, in order. */
  readonly messages: FakeGraphMessage[];
  /** Read receipts and typing indicators asked for: the message ids, in order. */
  readonly reads: { readonly messageId: string; readonly typing: boolean }[];
  /** Videos uploaded, in order. */
  readonly uploads: { readonly id: string; readonly type: string; readonly size: number; readonly head: Buffer }[];
  /** Every request, e.g. "POST /v24.0/123/messages". */
  readonly requests: string[];
  failNext(failure: FakeGraphFailure): void;
  /** Makes the next media uploads fail (Meta's 131053) until called with 0. */
  failUploads(times: number): void;
  /** Serves bytes as a user's media; returns its media id. */
  addMedia(bytes: Buffer, mimeType: string): string;
  waitForMessages(count: number, timeoutMs?: number): Promise<FakeGraphMessage[]>;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const wamid = (): string => `wamid.${randomBytes(18).toString('base64url')}`;

export const startFakeGraph = async (options: { phoneNumberId?: string; token?: string; appSecret?: string } = {}): Promise<FakeGraph> => {
  const token = options.token ?? `EAAG${randomBytes(12).toString('hex')}`;
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const appSecret = options.appSecret ?? randomBytes(16).toString('hex');
  const messages: FakeGraphMessage[] = [];
  const reads: FakeGraph['reads'] = [];
  const uploads: FakeGraph['uploads'] = [];
  const requests: string[] = [];
  const failures: FakeGraphFailure[] = [];
  const media = new Map<string, { bytes: Buffer; mimeType: string }>();
  const waiters = new Set<() => void>();
  let uploadFailures = 0;
  let url = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  };
  const graphError = (res: ServerResponse, status: number, code: number, message: string, retryAfter?: number): void =>
    send(res, status, { error: { message, type: code === 190 ? 'OAuthException' : 'GraphMethodException', code, fbtrace_id: `A${randomBytes(8).toString('hex')}` } }, retryAfter ? { 'retry-after': String(retryAfter) } : {});

  const takeFailure = (type: string): FakeGraphFailure | undefined => {
    const failure = failures[0];
    if (failure === undefined || (failure.type !== undefined && failure.type !== type)) return undefined;
    const left = (failure.times ?? 1) - 1;
    if (left <= 0) failures.shift();
    else failures[0] = { ...failure, times: left };
    return failure;
  };

  const onMessages = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const json = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
    if (json.messaging_product !== 'whatsapp') return graphError(res, 400, 100, '(#100) The parameter messaging_product is required.');
    if (json.status === 'read') {
      reads.push({ messageId: String(json.message_id), typing: json.typing_indicator !== undefined });
      return send(res, 200, { success: true });
    }
    const to = String(json.to ?? '');
    if (!/^\d{6,15}$/.test(to)) return graphError(res, 400, 100, '(#100) Invalid parameter');
    const failure = takeFailure(String(json.type ?? 'text'));
    const made = (): FakeGraphMessage => {
      const type = String(json.type ?? 'text');
      const message = { id: wamid(), to, type, body: (json[type] ?? {}) as Record<string, unknown>, ...(typeof json.biz_opaque_callback_data === 'string' ? { reference: json.biz_opaque_callback_data } : {}) };
      messages.push(message);
      for (const wake of waiters) wake();
      return message;
    };
    if (failure !== undefined) {
      if (failure.created) made();
      return graphError(res, failure.status, failure.code, failure.message ?? `(#${failure.code}) failure`, failure.retryAfter);
    }
    const message = made();
    send(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: message.id }] });
  };

  const onUpload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body }).formData();
    const file = form.get('file');
    if (form.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob)) return graphError(res, 400, 100, '(#100) file and messaging_product are required.');
    if (uploadFailures > 0) {
      uploadFailures -= 1;
      return graphError(res, 400, 131053, '(#131053) Media upload error');
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    const id = String(Date.now()) + randomBytes(3).readUIntBE(0, 3);
    uploads.push({ id, type: String(form.get('type')), size: bytes.length, head: bytes.subarray(0, 12) });
    send(res, 200, { id });
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    if (req.headers.authorization !== `Bearer ${token}`) return graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    const download = /^\/media-download\/(\w+)$/.exec(path);
    if (req.method === 'GET' && download) {
      const item = media.get(download[1] ?? '');
      if (!item) return graphError(res, 404, 100, 'Unknown media');
      res.writeHead(200, { 'content-type': item.mimeType, 'content-length': item.bytes.length }).end(item.bytes);
      return;
    }
    const [, , first, second] = path.split('/');
    const handle = async (): Promise<void> => {
      if (req.method === 'POST' && first === phoneNumberId && second === 'messages') return onMessages(req, res);
      if (req.method === 'POST' && first === phoneNumberId && second === 'media') return onUpload(req, res);
      if (req.method === 'GET' && first === phoneNumberId && second === undefined) {
        return send(res, 200, { verified_name: 'vidbot test', display_phone_number: '+1 555-010-0000', quality_rating: 'GREEN', id: phoneNumberId });
      }
      const item = first === undefined ? undefined : media.get(first);
      if (req.method === 'GET' && item && second === undefined) {
        return send(res, 200, { messaging_product: 'whatsapp', url: `${url}/media-download/${first}`, mime_type: item.mimeType, sha256: 'x', file_size: item.bytes.length, id: first });
      }
      graphError(res, 400, 100, `Unsupported ${req.method} request.`);
    };
    handle().catch((error: Error) => graphError(res, 500, 1, error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    phoneNumberId,
    appSecret,
    messages,
    reads,
    uploads,
    requests,
    failNext: (failure) => void failures.push(failure),
    failUploads: (times) => void (uploadFailures = times),
    addMedia(bytes, mimeType) {
      const id = String(1_000_000 + media.size);
      media.set(id, { bytes, mimeType });
      return id;
    },
    async waitForMessages(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`The Graph fake has ${messages.length} messages, not ${count}, after ${timeoutMs} ms.`);
        await new Promise<void>((resolve) => {
          const wake = () => (waiters.delete(wake), resolve());
          waiters.add(wake);
          setTimeout(wake, 200);
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** One inbound message as Meta posts it (text by default; image/audio by media id; a button tap). */
export type CloudInbound = { id?: string; from: string; text?: string; timestamp?: number } & (
  | { image?: string; audio?: string; caption?: string; mimeType?: string }
  | { buttonReply?: { id: string; title: string }; context?: string }
  /** What WhatsApp could not pass on (`unsupported.type`: edit, poll_creation...) and its error code; or a first visit's welcome request. */
  | { unsupported: string; errorCode?: number }
  | { welcomeRequest: true }
  /** An edit as Meta passes it on for the WhatsApp Business app's numbers: the new words of an earlier message. */
  | { edit: { original: string; text: string } }
);

export interface CloudStatusUpdate {
  readonly id: string;
  readonly status: 'sent' | 'delivered' | 'read' | 'failed';
  readonly recipient: string;
  readonly errorCode?: number;
  readonly reference?: string;
}

/** The webhook JSON Meta posts: one entry, one change, the given messages and statuses. */
export const cloudWebhookPayload = (
  phoneNumberId: string,
  items: { messages?: readonly CloudInbound[]; statuses?: readonly CloudStatusUpdate[]; profileName?: string },
): Record<string, unknown> => {
  const messages = (items.messages ?? []).map((m) => {
    const base = { from: m.from, id: m.id ?? wamid(), timestamp: String(m.timestamp ?? Math.floor(Date.now() / 1000)) };
    const context = 'context' in m && m.context ? { context: { from: '15550100000', id: m.context } } : {};
    if ('buttonReply' in m && m.buttonReply) return { ...base, ...context, type: 'interactive', interactive: { type: 'button_reply', button_reply: m.buttonReply } };
    if ('image' in m && m.image) return { ...base, type: 'image', image: { id: m.image, mime_type: m.mimeType ?? 'image/jpeg', sha256: 'x', ...(m.caption ? { caption: m.caption } : {}) } };
    if ('unsupported' in m) {
      const code = m.errorCode ?? 131051;
      const title = code === 131060 ? 'This message is currently unavailable.' : 'Message type unknown';
      return { ...base, type: 'unsupported', unsupported: { type: m.unsupported }, errors: [{ code, title, message: title, error_data: { details: title } }] };
    }
    if ('welcomeRequest' in m) return { ...base, type: 'request_welcome' };
    if ('edit' in m) return { ...base, type: 'edit', edit: { original_message_id: m.edit.original, message: { type: 'text', text: { body: m.edit.text } } } };
    if ('audio' in m && m.audio) return { ...base, type: 'audio', audio: { id: m.audio, mime_type: m.mimeType ?? 'audio/ogg; codecs=opus', voice: true } };
    return { ...base, ...context, type: 'text', text: { body: m.text ?? '' } };
  });
  const statuses = (items.statuses ?? []).map((s) => ({
    id: s.id,
    status: s.status,
    timestamp: String(Math.floor(Date.now() / 1000)),
    recipient_id: s.recipient,
    ...(s.reference ? { biz_opaque_callback_data: s.reference } : {}),
    ...(s.errorCode ? { errors: [{ code: s.errorCode, title: 'failure', message: 'failure', error_data: { details: 'failure' } }] } : {}),
  }));
  const first = items.messages?.[0];
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100000', phone_number_id: phoneNumberId },
              ...(first ? { contacts: [{ profile: { name: items.profileName ?? 'Ana' }, wa_id: first.from }] } : {}),
              ...(messages.length ? { messages } : {}),
              ...(statuses.length ? { statuses } : {}),
            },
          },
        ],
      },
    ],
  };
};

/** Signs a body as Meta does: X-Hub-Signature-256 = sha256=HMAC(app secret, raw body). */
export const signCloudBody = (appSecret: string, raw: string): string => `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
