/**
 * What Twilio would post: the same form fields for a WhatsApp message or a status callback,
 * signed with the server's auth token for the URL the route checks, and injected through the real
 * route so its signature check, dedupe and bot all run.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cloudSignature } from '../../lib/channel/cloud-api/webhooks.ts';
import { computeTwilioSignature } from '../../lib/channel/twilio/signature.ts';
import { publicUrlOf } from '../public-url.ts';

export type Form = Readonly<Record<string, string>>;

/** The WhatsApp sandbox number: what users' messages are addressed to. */
export const BOT_ADDRESS = 'whatsapp:+14155238886';
const ACCOUNT_SID = `AC${'5'.repeat(32)}`;

export const newMessageSid = (): string => `SM${randomBytes(16).toString('hex')}`;

export interface InboundInput {
  readonly from: string;
  readonly body: string;
  readonly messageSid: string;
  readonly media?: { readonly url: string; readonly contentType: string };
  /** A tapped reply button: its payload and text, and the message it was on. */
  readonly button?: ButtonTap;
}

export interface ButtonTap {
  readonly payload: string;
  readonly text: string;
  /** The sid of the message whose button was tapped. */
  readonly repliedTo?: string;
}

/** What Twilio adds for a tapped quick reply: the Body is the button's text. */
const tapFields = (button: ButtonTap): Form => ({
  ButtonPayload: button.payload,
  ButtonText: button.text,
  ...(button.repliedTo ? { OriginalRepliedMessageSid: button.repliedTo } : {}),
});

/** The fields Twilio posts for an inbound WhatsApp message (text, one photo with a caption, a voice note, or a button tap). */
export const inboundForm = ({ from, body, messageSid, media, button }: InboundInput): Form => ({
  SmsMessageSid: messageSid,
  NumMedia: media ? '1' : '0',
  ProfileName: 'Simulator',
  MessageType: media ? (media.contentType.startsWith('audio/') ? 'audio' : 'image') : button ? 'interactive' : 'text',
  SmsSid: messageSid,
  WaId: from.replace(/^whatsapp:\+/, ''),
  SmsStatus: 'received',
  Body: body,
  To: BOT_ADDRESS,
  NumSegments: '1',
  ReferralNumMedia: '0',
  MessageSid: messageSid,
  AccountSid: ACCOUNT_SID,
  From: from,
  ApiVersion: '2010-04-01',
  ...(media ? { MediaContentType0: media.contentType, MediaUrl0: media.url } : {}),
  ...(button ? { ...tapFields(button), Body: button.text } : {}),
});

/** The fields of Twilio's status callback for a WhatsApp message we sent. */
export const statusForm = (input: { sid: string; to: string; status: string; errorCode?: string }): Form => ({
  ChannelPrefix: 'whatsapp',
  ApiVersion: '2010-04-01',
  MessageStatus: input.status,
  SmsSid: input.sid,
  SmsStatus: input.status,
  To: input.to,
  From: BOT_ADDRESS,
  MessageSid: input.sid,
  AccountSid: ACCOUNT_SID,
  ...(input.errorCode ? { ErrorCode: input.errorCode } : {}),
});

export interface Signer {
  /** The origin our own URLs (uploads) use: PUBLIC_BASE_URL, else this server's own address. */
  baseUrl(request: FastifyRequest): string;
  /** Signs and injects `form` into `path`; the route's status and body come back. */
  post(app: FastifyInstance, request: FastifyRequest, path: string, form: Form): Promise<{ status: number; body: string }>;
  /** Signs JSON as Meta does (X-Hub-Signature-256) and injects it into `path`. */
  postJson(app: FastifyInstance, path: string, raw: string): Promise<{ status: number; body: string }>;
}

const ownOrigin = (request: FastifyRequest): string => {
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') && !address.startsWith('::ffff:') ? `[${address}]` : address.replace(/^::ffff:/, '');
  return `http://${host}:${request.socket.localPort ?? 80}`;
};

export const createSigner = (options: { authToken: string; publicBaseUrl?: string }): Signer => {
  const host = (request: FastifyRequest): string => {
    const value = request.headers.host;
    return typeof value === 'string' && value !== '' ? value : 'localhost';
  };
  return {
    // Not the Host header: upload URLs go on the bot's download allowlist, so they must name this
    // server's own socket, never a host a caller chose.
    baseUrl: (request) => options.publicBaseUrl ?? ownOrigin(request),
    async post(app, request, path, form) {
      // The injected request carries only the page's Host, so the route computes exactly this URL:
      // PUBLIC_BASE_URL + path when set, else http://<host> + path (trust-proxy or not).
      const headers = { host: host(request) };
      const url = publicUrlOf(
        { url: path, headers, encrypted: false },
        { trustProxy: false, ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}) },
      );
      const response = await app.inject({
        method: 'POST',
        url: path,
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature({ authToken: options.authToken, url, params: form }),
        },
        payload: new URLSearchParams(form).toString(),
      });
      return { status: response.statusCode, body: response.body };
    },
    async postJson(app, path, raw) {
      const response = await app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': cloudSignature(options.authToken, raw) },
        payload: raw,
      });
      return { status: response.statusCode, body: response.body };
    },
  };
};
