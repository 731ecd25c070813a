/**
 * Reads the Cloud API's webhook JSON (entry[].changes[].value) into the port's messages and
 * receipts: text, photos, voice notes and other media (by media id, fetched later in two steps),
 * reply-button and list taps, template quick replies, the replied-to message, the sender's profile
 * name, what WhatsApp could not pass on (an edit, a poll) or a first visit's welcome request, and
 * statuses with their error codes and the reference vidbot sent along.
 */
import type { DeliveryStatus } from '../../domain.ts';
import { vidbotError } from '../../errors.ts';
import type { InboundMedia, InboundMessage, Receipt, WebhookContent } from '../port.ts';

interface CloudMediaRef {
  readonly id?: string;
  readonly mime_type?: string;
  readonly caption?: string;
}

export interface CloudMessage {
  readonly from?: string;
  readonly id?: string;
  readonly timestamp?: string;
  readonly type?: string;
  readonly text?: { readonly body?: string };
  readonly image?: CloudMediaRef;
  readonly audio?: CloudMediaRef & { readonly voice?: boolean };
  readonly video?: CloudMediaRef;
  readonly document?: CloudMediaRef;
  readonly sticker?: CloudMediaRef;
  readonly interactive?: {
    readonly type?: string;
    readonly button_reply?: { readonly id?: string; readonly title?: string };
    readonly list_reply?: { readonly id?: string; readonly title?: string };
  };
  readonly button?: { readonly payload?: string; readonly text?: string };
  readonly context?: { readonly id?: string };
  /** type "unsupported": what WhatsApp could not pass on (an edit, a poll...), and why. */
  readonly unsupported?: { readonly type?: string };
  readonly errors?: readonly { readonly code?: number }[];
}

export interface CloudStatus {
  readonly id?: string;
  readonly status?: string;
  readonly recipient_id?: string;
  readonly errors?: readonly { readonly code?: number }[];
  readonly biz_opaque_callback_data?: string;
}

export interface CloudValue {
  readonly metadata?: { readonly display_phone_number?: string; readonly phone_number_id?: string };
  readonly contacts?: readonly { readonly wa_id?: string; readonly profile?: { readonly name?: string } }[];
  readonly messages?: readonly CloudMessage[];
  readonly statuses?: readonly CloudStatus[];
}

export interface CloudPayload {
  readonly object?: string;
  readonly entry?: readonly { readonly changes?: readonly { readonly field?: string; readonly value?: CloudValue }[] }[];
}

const STATUS: Readonly<Record<string, DeliveryStatus>> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/** Messages that ask nothing of the bot: a reaction to its video, a deleted or system message. */
const IGNORED_TYPES = new Set(['reaction', 'system', 'ephemeral', 'revoked']);
/** What WhatsApp could not pass on that asked nothing either: a reaction, a vote, a pin, a kept message. */
const IGNORED_UNSUPPORTED = new Set(['reaction', 'poll_update', 'pin', 'keep_in_chat']);
/** A message WhatsApp holds but could not pass on yet: sent again, it may arrive. */
const UNAVAILABLE_CODE = 131060;

/**
 * What the bot is told of a message WhatsApp could not pass on (`unsupported`; `unknown` in older
 * versions of the API): an edit, a message lost on the way, or some other kind (a poll...);
 * undefined for one that asked nothing.
 */
const unsupportedKind = (message: CloudMessage): string | undefined => {
  const what = message.unsupported?.type;
  if (what !== undefined && IGNORED_UNSUPPORTED.has(what)) return undefined;
  if (what === 'edit') return 'edit';
  return message.errors?.some((error) => error.code === UNAVAILABLE_CODE) ? 'unavailable' : 'unsupported';
};
const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/** A WhatsApp id (digits) as vidbot's address. */
export const addressOf = (waId: string): string => `whatsapp:+${waId.replace(/^\+/, '')}`;

interface ReadOptions {
  readonly channel: string;
  readonly phoneNumberId?: string;
  /** Where the bot fetches a media id from (the Graph API's `/{version}/{media-id}`). */
  readonly mediaUrlOf: (mediaId: string) => string;
}

const toMessage = (message: CloudMessage, value: CloudValue, options: ReadOptions): InboundMessage | undefined => {
  const { from, id, type = 'unknown' } = message;
  if (!from || !id) throw vidbotError('VIDBOT_INPUT_INVALID', 'A message in the webhook has no from or id.');
  if (IGNORED_TYPES.has(type)) return undefined;
  const kind = type === 'unsupported' || type === 'unknown' ? unsupportedKind(message) : type;
  if (kind === undefined) return undefined;
  const media: InboundMedia[] = [];
  let caption: string | undefined;
  for (const kind of MEDIA_TYPES) {
    const ref = message[kind];
    if (type !== kind || ref?.id === undefined) continue;
    media.push({ url: options.mediaUrlOf(ref.id), contentType: ref.mime_type ?? 'application/octet-stream' });
    caption = ref.caption;
  }
  const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
  const button = reply?.id ? { payload: reply.id, text: reply.title ?? '' } : message.button?.payload ? { payload: message.button.payload, text: message.button.text ?? '' } : undefined;
  const body = message.text?.body ?? caption ?? button?.text ?? '';
  const profileName = value.contacts?.find((contact) => contact.wa_id === from)?.profile?.name ?? value.contacts?.[0]?.profile?.name;
  const business = value.metadata?.display_phone_number;
  return {
    channel: options.channel,
    messageId: id,
    from: addressOf(from),
    body,
    media,
    kind,
    fields: { type, id, from, ...(message.timestamp ? { timestamp: message.timestamp } : {}), message: JSON.stringify(message) },
    ...(business ? { to: addressOf(business) } : {}),
    ...(profileName ? { profileName } : {}),
    ...(button ? { button } : {}),
    ...(message.context?.id ? { repliedTo: message.context.id } : {}),
  };
};

const toReceipt = (status: CloudStatus): Receipt | undefined => {
  const mapped = status.status === undefined ? undefined : STATUS[status.status];
  if (!status.id || mapped === undefined) return undefined;
  const code = status.errors?.[0]?.code;
  return {
    messageId: status.id,
    status: mapped,
    ...(code === undefined ? {} : { errorCode: String(code) }),
    ...(status.biz_opaque_callback_data ? { reference: status.biz_opaque_callback_data } : {}),
  };
};

export const readPayload = (payload: CloudPayload, options: ReadOptions): WebhookContent => {
  if (typeof payload !== 'object' || payload === null || !Array.isArray(payload.entry)) {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body has no entry list.', { hint: 'Meta posts {"object":"whatsapp_business_account","entry":[...]}.' });
  }
  const messages: InboundMessage[] = [];
  const receipts: Receipt[] = [];
  for (const entry of payload.entry) {
    for (const change of entry.changes ?? []) {
      const value = change.value;
      if (change.field !== 'messages' || value === undefined) continue;
      if (options.phoneNumberId !== undefined && value.metadata?.phone_number_id !== options.phoneNumberId) continue;
      for (const message of value.messages ?? []) {
        const read = toMessage(message, value, options);
        if (read !== undefined) messages.push(read);
      }
      for (const status of value.statuses ?? []) {
        const receipt = toReceipt(status);
        if (receipt !== undefined) receipts.push(receipt);
      }
    }
  }
  return { messages, receipts };
};
