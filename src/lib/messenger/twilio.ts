/**
 * The Twilio messenger: WhatsApp (or SMS) through Twilio's Messages API with the official SDK.
 * The SDK is imported on first send, so loading vidbot (CLI, server) does not pay for the REST client.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type TwilioSDK from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';
import { isVidbotError, throwIfAborted, toVidbotError, VidbotError } from '../errors.ts';
import type { OutboundRecord, Store } from '../store/port.ts';
import type { DeliveryStatus, Messenger, OutboundMessage, SentMessage } from './port.ts';
import { defined, mapTwilioStatus } from './twilio-status.ts';

export interface TwilioMessengerOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** The sender, e.g. `whatsapp:+14155238886`. */
  readonly from: string;
  readonly store: Store;
  /** Where Twilio posts delivery updates (PUBLIC_BASE_URL + /whatsapp/status). */
  readonly statusCallbackUrl?: string;
  /** Approved template (HX...) sent instead of free-form messages outside WhatsApp's 24-hour window. */
  readonly contentSid?: string;
  /** The template's variables; by default {"1": the body and link on one line}. */
  readonly contentVariables?: (message: OutboundMessage) => Record<string, string> | undefined;
  /** Sends every API request to this origin (and path prefix) instead of *.twilio.com: emulators, tests. */
  readonly apiBaseUrl?: string;
  readonly now?: () => number;
  readonly windowMs?: number;
  /**
   * Check the 24-hour window against the store's inbound history before sending to a `whatsapp:`
   * address (default true): outside it, Twilio accepts the request and the message then fails with
   * 63016, so we fail early and clearly. Turn it off when the inbound history lives elsewhere (e.g.
   * `vidbot send` against another machine's store); Twilio's own 63016 answer is then mapped alike.
   */
  readonly enforceWindow?: boolean;
  /** Per-request timeout; the SDK's default is 30 s. */
  readonly timeoutMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Sids of failures recorded without reaching Twilio; a retry may still send those. */
const LOCAL_SID = 'VF';
const WINDOW_CODE = 63016;

interface Delivered {
  readonly sid: string;
  readonly status: DeliveryStatus;
  readonly body?: string;
  readonly mediaUrl?: string;
}

const rebase = (uri: string, base: URL): string => {
  const url = new URL(uri);
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${url.pathname}${url.search}`;
};

const windowError = (to: string, cause?: unknown): VidbotError =>
  new VidbotError(
    'VIDBOT_MESSENGER_FAILED',
    `${to} has not written to the bot in the last 24 hours, and WhatsApp only allows free-form messages within 24 hours of the user's last message (Twilio error 63016).`,
    {
      retryable: false,
      cause,
      hint: 'Set TWILIO_CONTENT_SID to an approved template (HX...) to reach users outside the 24-hour window, or ask the user to message the bot first.',
      details: { twilioCode: WINDOW_CODE },
    },
  );

/** Maps what the SDK throws (RestException/TwilioServiceException, axios network errors) onto our catalogue. */
const toMessengerError = (error: unknown, to: string, signal: AbortSignal | undefined): VidbotError => {
  if (signal?.aborted) return new VidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: signal.reason });
  if (isVidbotError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  if (typeof e.status !== 'number' || e.isAxiosError === true) {
    // Axios errors (ECONNREFUSED, timeouts) never got an answer from Twilio; anything else is a bug.
    if (e.isAxiosError !== true && typeof e.code !== 'string') return toVidbotError(error);
    return new VidbotError('VIDBOT_MESSENGER_FAILED', `Could not reach Twilio: ${String(e.message)}`, {
      cause: error,
      retryable: true,
    });
  }
  const code = typeof e.code === 'number' && e.code !== 0 ? e.code : undefined;
  if (code === WINDOW_CODE) return windowError(to, error);
  const what = `HTTP ${e.status}${code === undefined ? '' : `, error ${code}`}: ${String(e.detail ?? e.message)}`;
  const common = { cause: error, details: { twilioStatus: e.status, twilioCode: code, moreInfo: e.moreInfo } };
  if (e.status === 401 || code === 20003) {
    return new VidbotError('VIDBOT_MESSENGER_AUTH', `Twilio rejected the credentials (${what}).`, {
      ...common,
      hint: 'Check TWILIO_ACCOUNT_SID (AC...) and TWILIO_AUTH_TOKEN: both must come from the same Twilio account.',
    });
  }
  const transient = e.status === 429 || e.status >= 500;
  return new VidbotError('VIDBOT_MESSENGER_FAILED', `Twilio ${transient ? 'could not take' : 'refused'} the message (${what}).`, {
    ...common,
    retryable: transient,
    ...(transient ? {} : { hint: code === undefined ? 'Check the message.' : `See https://www.twilio.com/docs/errors/${code}` }),
  });
};

/** A 4xx that is not about credentials or the window: most often the media (63019, 21620, 11751...). */
const isMediaRejection = (error: VidbotError): boolean =>
  error.code === 'VIDBOT_MESSENGER_FAILED' &&
  !error.retryable &&
  typeof error.details.twilioStatus === 'number' &&
  error.details.twilioCode !== WINDOW_CODE;

/** Drops undefined fields, which a document store might keep as nulls. */
const oneLine = (message: OutboundMessage): string =>
  [message.body, message.mediaUrl].filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();

export const createTwilioMessenger = (options: TwilioMessengerOptions): Messenger => {
  const { accountSid, authToken, from, store, statusCallbackUrl, contentSid } = options;
  if (!accountSid.startsWith('AC') || authToken === '' || from === '') {
    throw new VidbotError('VIDBOT_CONFIG_INVALID', 'The Twilio messenger needs an account SID (AC...), an auth token and a sender.', {
      hint: 'Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM (e.g. whatsapp:+14155238886).',
    });
  }
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? DAY_MS;
  const variablesFor = options.contentVariables ?? ((message) => ({ '1': oneLine(message) }));
  // The SDK's request options have no signal; the send's signal reaches its axios instance through this.
  const signals = new AsyncLocalStorage<AbortSignal | undefined>();
  let client: Promise<TwilioSDK.Twilio> | undefined;

  const createClient = async (): Promise<TwilioSDK.Twilio> => {
    const { default: twilio } = await import('twilio');
    const base = options.apiBaseUrl === undefined ? undefined : new URL(options.apiBaseUrl);
    // The SDK still builds, signs and parses every request; only the URL's origin changes.
    class VidbotRequestClient extends twilio.RequestClient {
      override request<T>(opts: RequestClient.RequestOptions<T>) {
        return super.request(base === undefined ? opts : { ...opts, uri: rebase(opts.uri, base) });
      }
    }
    const httpClient = new VidbotRequestClient(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs });
    httpClient.axios.interceptors.request.use((config) => {
      const signal = signals.getStore();
      if (signal !== undefined) config.signal = signal;
      return config;
    });
    return twilio(accountSid, authToken, { httpClient });
  };

  const create = async (params: MessageListInstanceCreateOptions, signal?: AbortSignal): Promise<Delivered> => {
    client ??= createClient();
    const sdk = await client;
    throwIfAborted(signal);
    const message = await signals.run(signal, () =>
      sdk.messages.create({ ...params, ...(statusCallbackUrl === undefined ? {} : { statusCallback: statusCallbackUrl }) }),
    );
    return { sid: message.sid, status: mapTwilioStatus(message.status) ?? 'queued' };
  };

  const outsideWindow = async (to: string): Promise<boolean> => {
    if (options.enforceWindow === false || !to.startsWith('whatsapp:')) return false;
    const last = await store.lastInboundAt(to);
    return last === null || now() - last > windowMs;
  };

  const template = async (to: string, message: OutboundMessage, signal?: AbortSignal, cause?: unknown) => {
    if (contentSid === undefined) throw windowError(to, cause);
    const variables = variablesFor(message);
    const sent = await create(
      { from, to, contentSid, ...(variables === undefined ? {} : { contentVariables: JSON.stringify(variables) }) },
      signal,
    );
    return { ...sent, body: oneLine(message) };
  };

  const deliver = async (to: string, message: OutboundMessage, signal?: AbortSignal): Promise<Delivered> => {
    if (await outsideWindow(to)) return template(to, message, signal);
    const { body, mediaUrl } = message;
    try {
      const sent = await create({ from, to, body, ...(mediaUrl === undefined ? {} : { mediaUrl: [mediaUrl] }) }, signal);
      return { ...sent, body, mediaUrl };
    } catch (error) {
      const failure = toMessengerError(error, to, signal);
      if (failure.details.twilioCode === WINDOW_CODE) return template(to, message, signal, failure);
      if (mediaUrl === undefined || !isMediaRejection(failure)) throw failure;
      // WhatsApp refused the attachment (size, type, unreachable URL): the link still gets the video there.
      const text = body === undefined || body === '' ? mediaUrl : `${body}\n${mediaUrl}`;
      return { ...(await create({ from, to, body: text }, signal)), body: text };
    }
  };

  const remember = async (
    message: OutboundMessage,
    to: string,
    { sid, status, body, mediaUrl, errorCode }: Delivered & { errorCode?: string },
    replacing: OutboundRecord | undefined,
  ): Promise<{ sid: string; status: DeliveryStatus }> => {
    if (replacing !== undefined) {
      await store.updateOutbound(replacing.sid, { sid, status, errorCode });
      return { sid, status };
    }
    const { taskId, kind = 'notice' } = message;
    return (await store.recordOutbound(defined({ sid, to, kind, status, body, mediaUrl, taskId, errorCode }))).record;
  };

  return {
    name: 'twilio',
    async send(message, sendOptions): Promise<SentMessage> {
      const signal = sendOptions?.signal;
      throwIfAborted(signal);
      // `vidbot send +1555...` with a WhatsApp sender means the WhatsApp address.
      const to = from.startsWith('whatsapp:') && message.to.startsWith('+') ? `whatsapp:${message.to}` : message.to;
      if (!message.body && !message.mediaUrl) {
        throw new VidbotError('VIDBOT_INPUT_INVALID', 'A message needs a body or a media URL.');
      }
      let replacing: OutboundRecord | undefined;
      if (message.kind === 'result' && message.taskId !== undefined) {
        // Check-then-send: the queue runs one job per task, so two sends of one result do not race.
        const existing = await store.findOutbound({ taskId: message.taskId, kind: 'result' });
        if (existing !== null && !existing.sid.startsWith(LOCAL_SID)) {
          return { sid: existing.sid, status: existing.status, duplicate: true };
        }
        replacing = existing ?? undefined;
      }
      try {
        const sent = await remember(message, to, await deliver(to, message, signal), replacing);
        return { sid: sent.sid, status: sent.status, duplicate: false };
      } catch (error) {
        const failure = toMessengerError(error, to, signal);
        // Final refusals are recorded for `vidbot status`; retryable ones are not, the retry records them.
        if (failure.code === 'VIDBOT_MESSENGER_FAILED' && !failure.retryable) {
          const sid = replacing?.sid ?? `${LOCAL_SID}${randomBytes(16).toString('hex')}`;
          const errorCode = failure.details.twilioCode === undefined ? undefined : String(failure.details.twilioCode);
          await remember(message, to, { ...message, sid, status: 'failed', errorCode }, replacing);
        }
        throw failure;
      }
    },
  };
};
