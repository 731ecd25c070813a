/**
 * The Cloud API's webhook: Meta's GET verification (hub.challenge) and signed POSTs of JSON, each
 * holding any number of entries, changes, messages and statuses. The signature covers the raw bytes
 * and is checked before anything is parsed. Messages for another phone number of the same app are
 * not ours to answer and are left alone.
 */
import { createHmac } from 'node:crypto';
import { sameSecret, sameSignature } from '../../same-secret.ts';
import { vidbotError } from '../../errors.ts';
import type { ChannelWebhook, WebhookContent, WebhookRequest } from '../port.ts';
import { type CloudPayload, readPayload } from './payload.ts';
import { CLOUD_EVENTS_DOC, CLOUD_VERIFY_DOC } from './webhook-doc.ts';

export interface CloudWebhookOptions {
  /** The channel the messages belong to (cloud-api, or the simulator speaking its format). */
  readonly channel: string;
  /** WHATSAPP_APP_SECRET: the key of X-Hub-Signature-256. */
  readonly appSecret?: string;
  /** WHATSAPP_VERIFY_TOKEN: what Meta's verification request must carry. */
  readonly verifyToken?: string;
  /** Only this business number's messages are read; all when absent. */
  readonly phoneNumberId?: string;
  /** Where inbound media ids are looked up: `${graph base}/${version}`. */
  readonly mediaBase: string;
  /** Another mapping of media ids to URLs (the simulator names its own uploads so). */
  readonly mediaUrlOf?: (mediaId: string) => string;
  /** Default /whatsapp/cloud. */
  readonly path?: string;
  /** Accept unsigned requests (--insecure-skip-signature). */
  readonly skipSignature?: boolean;
}

export const CLOUD_WEBHOOK_PATH = '/whatsapp/cloud';

const header = (request: WebhookRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const queryValue = (request: WebhookRequest, name: string): string | undefined => {
  const value = request.query[name];
  return typeof value === 'string' ? value : value?.[0];
};

/** `sha256=` and the hex HMAC-SHA256 of the body with the app secret, as Meta signs. */
export const cloudSignature = (appSecret: string, rawBody: string): string =>
  `sha256=${createHmac('sha256', appSecret).update(rawBody, 'utf8').digest('hex')}`;

export const isValidCloudSignature = (appSecret: string, rawBody: string, signature: string | undefined): boolean => {
  if (signature === undefined) return false;
  return sameSignature(signature.trim(), cloudSignature(appSecret, rawBody));
};

const verifySignature = (request: WebhookRequest, options: CloudWebhookOptions): string => {
  const raw = request.rawBody ?? '';
  if (options.skipSignature) return raw;
  const signature = header(request, 'x-hub-signature-256');
  if (options.appSecret === undefined || !isValidCloudSignature(options.appSecret, raw, signature)) {
    throw vidbotError('VIDBOT_SIGNATURE_INVALID', signature ? 'X-Hub-Signature-256 does not match.' : 'X-Hub-Signature-256 is missing.', {
      hint:
        options.appSecret === undefined
          ? 'Set WHATSAPP_APP_SECRET (Meta app dashboard → App settings → Basic → App secret).'
          : 'It is checked with WHATSAPP_APP_SECRET over the exact bytes received: the secret must be the app\'s, and nothing in between may rewrite the body.',
    });
  }
  return raw;
};

/** Meta's subscription check: the challenge back when the mode and token are right, 403 otherwise. */
const verifySubscription = (request: WebhookRequest, options: CloudWebhookOptions): WebhookContent => {
  const mode = queryValue(request, 'hub.mode');
  const token = queryValue(request, 'hub.verify_token');
  const challenge = queryValue(request, 'hub.challenge');
  const expected = options.verifyToken;
  // Compared as digests: a token of as many characters but more bytes (é) made the byte comparison throw.
  const matches = expected !== undefined && token !== undefined && sameSecret(token, expected);
  if (mode !== 'subscribe' || !matches || challenge === undefined) {
    throw vidbotError('VIDBOT_SIGNATURE_INVALID', 'The webhook verification request does not carry the verify token.', {
      hint: expected === undefined ? 'Set WHATSAPP_VERIFY_TOKEN, and enter the same value in Meta\'s app dashboard.' : 'Enter WHATSAPP_VERIFY_TOKEN\'s value as the verify token in Meta\'s app dashboard.',
    });
  }
  return { challenge };
};

const parse = (raw: string): CloudPayload => {
  try {
    return JSON.parse(raw) as CloudPayload;
  } catch {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not JSON.', { hint: 'Meta posts JSON; check what is posting to this URL.' });
  }
};

export const cloudWebhooks = (options: CloudWebhookOptions): ChannelWebhook[] => {
  const path = options.path ?? CLOUD_WEBHOOK_PATH;
  const read = {
    channel: options.channel,
    mediaUrlOf: options.mediaUrlOf ?? ((id: string) => `${options.mediaBase}/${encodeURIComponent(id)}`),
    ...(options.phoneNumberId === undefined ? {} : { phoneNumberId: options.phoneNumberId }),
  };
  return [
    {
      method: 'GET',
      path,
      body: 'none',
      read: (request) => verifySubscription(request, options),
      respond: () => ({ status: 200, body: '' }),
      doc: CLOUD_VERIFY_DOC,
    },
    {
      method: 'POST',
      path,
      body: 'raw',
      // The Cloud API has no reply in the HTTP answer: the bot's replies go out as messages.
      replies: 'send',
      read: (request) => readPayload(parse(verifySignature(request, options)), read),
      // Meta retries anything but a 200, for days: answered once the messages are stored.
      respond: () => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'EVENT_RECEIVED' }),
      doc: CLOUD_EVENTS_DOC,
    },
  ];
};
