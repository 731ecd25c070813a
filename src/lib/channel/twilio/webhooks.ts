/**
 * Twilio's two webhooks: inbound messages (a signed form, answered with TwiML) and status callbacks
 * (a signed form, answered 204). The same form format serves the local channel and the simulator,
 * each checked with its own token.
 */
import { vidbotError } from '../../errors.ts';
import type { ChannelWebhook, InboundMedia, InboundMessage, WebhookRequest } from '../port.ts';
import { isValidTwilioSignature } from './signature.ts';
import { parseStatusCallback } from './status.ts';
import { twimlMessage } from './twiml.ts';
import { TWILIO_INBOUND_DOC, TWILIO_STATUS_DOC } from './webhook-doc.ts';

/** Twilio sends at most 10 media per message. */
const MAX_MEDIA = 10;

type Form = Readonly<Record<string, string | readonly string[]>>;

/** A field's single value: the first when Twilio (or anyone) sent it more than once. */
const field = (form: Form, name: string): string | undefined => {
  const value = form[name];
  return typeof value === 'string' ? value : value?.[0];
};

export interface TwilioWebhookOptions {
  /** The channel the messages belong to (twilio, local, simulator). */
  readonly channel: string;
  /** The token signatures are checked with (TWILIO_AUTH_TOKEN, or the local token). */
  readonly authToken: string;
  /** Accept unsigned requests (local experiments, --insecure-skip-signature). */
  readonly skipSignature?: boolean;
  /** Default /whatsapp/webhook and /whatsapp/status. */
  readonly paths?: { readonly inbound: string; readonly status: string };
}

/** Turns Twilio's inbound form into the bot's message; From and MessageSid are required. */
export const toInboundMessage = (channel: string, form: Form): InboundMessage => {
  const from = field(form, 'From')?.trim();
  const messageId = (field(form, 'MessageSid') ?? field(form, 'SmsMessageSid'))?.trim();
  if (!from || !messageId) {
    const missing = [!from && 'From', !messageId && 'MessageSid'].filter(Boolean).join(' and ');
    throw vidbotError('VIDBOT_INPUT_INVALID', `The webhook form has no ${missing}.`, {
      hint: 'Twilio always sends From and MessageSid: give both (`vidbot sign --curl --url <webhook URL> -d From=whatsapp:+15551234567 -d MessageSid=SM1 -d Body=hi`).',
    });
  }
  const declared = Number(field(form, 'NumMedia') ?? '0');
  const count = Number.isInteger(declared) && declared > 0 ? Math.min(declared, MAX_MEDIA) : 0;
  const media: InboundMedia[] = [];
  for (let i = 0; i < count; i++) {
    const url = field(form, `MediaUrl${i}`);
    if (url) media.push({ url, contentType: field(form, `MediaContentType${i}`) ?? 'application/octet-stream' });
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) fields[key] = typeof value === 'string' ? value : value.join(',');
  const to = field(form, 'To');
  const profileName = field(form, 'ProfileName');
  const payload = field(form, 'ButtonPayload');
  const repliedTo = field(form, 'OriginalRepliedMessageSid')?.trim();
  const kind = field(form, 'MessageType')?.trim().toLowerCase();
  return {
    channel,
    messageId,
    from,
    body: field(form, 'Body') ?? '',
    media,
    fields,
    ...(to ? { to } : {}),
    ...(profileName ? { profileName } : {}),
    ...(kind ? { kind } : {}),
    ...(payload ? { button: { payload, text: field(form, 'ButtonText') ?? '' } } : {}),
    ...(repliedTo ? { repliedTo } : {}),
  };
};

const verify = (request: WebhookRequest, options: TwilioWebhookOptions): Form => {
  const form = request.form ?? {};
  if (options.skipSignature) return form;
  const header = request.headers['x-twilio-signature'];
  const signature = Array.isArray(header) ? header[0] : header;
  if (!isValidTwilioSignature({ authToken: options.authToken, url: request.url, params: form, signature })) {
    throw vidbotError('VIDBOT_SIGNATURE_INVALID', signature ? 'X-Twilio-Signature does not match.' : 'X-Twilio-Signature is missing.', {
      hint: `It was checked against ${request.url}; that must be the exact URL configured in Twilio (set PUBLIC_BASE_URL, or --trust-proxy behind a proxy).`,
    });
  }
  return form;
};

export const twilioWebhooks = (options: TwilioWebhookOptions): ChannelWebhook[] => {
  const paths = options.paths ?? { inbound: '/whatsapp/webhook', status: '/whatsapp/status' };
  return [
    {
      method: 'POST',
      path: paths.inbound,
      body: 'form',
      read: (request) => ({ messages: [toInboundMessage(options.channel, verify(request, options))], receipts: [] }),
      respond: (replies) => ({ status: 200, contentType: 'text/xml; charset=utf-8', body: twimlMessage(replies.join('\n\n')) }),
      doc: TWILIO_INBOUND_DOC,
    },
    {
      // Delivery receipts for what we sent: queued, sent, delivered, read, failed (with ErrorCode). The
      // callback URL names our record (`?ref=`), so a receipt that beats the send's answer still lands.
      method: 'POST',
      path: paths.status,
      body: 'form',
      read: (request) => {
        const receipt = parseStatusCallback(verify(request, options), request.query);
        return { messages: [], receipts: receipt === null ? [] : [receipt] };
      },
      respond: () => ({ status: 204, body: '' }),
      doc: TWILIO_STATUS_DOC,
    },
  ];
};
