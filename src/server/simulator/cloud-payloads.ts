/**
 * What Meta's Cloud API would post, for the simulator page's Cloud API mode: the webhook JSON of an
 * inbound message (text, a photo or voice note by media id, a reply-button tap) or of a status,
 * signed as Meta signs (X-Hub-Signature-256 with the app secret: here the local token).
 */
import { randomBytes } from 'node:crypto';
import type { ButtonTap } from './twilio-forms.ts';

/** The simulator's business number, as Twilio's sandbox number is in the other mode. */
const BUSINESS = { display_phone_number: '14155238886', phone_number_id: '100000000000000' };

export const newWamid = (): string => `wamid.${randomBytes(24).toString('base64url')}`;

export interface CloudInboundInput {
  readonly from: string;
  readonly body: string;
  readonly messageId: string;
  /** An upload of the simulator's, by its id (Meta names media by id). */
  readonly media?: { readonly id: string; readonly contentType: string };
  readonly button?: ButtonTap;
}

const envelope = (value: Record<string, unknown>): string =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '100000000000001', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: BUSINESS, ...value } }] }],
  });

/** The webhook body of one inbound message. */
export const cloudInbound = ({ from, body, messageId, media, button }: CloudInboundInput): string => {
  const waId = from.replace(/^whatsapp:\+/, '');
  const base = { from: waId, id: messageId, timestamp: String(Math.floor(Date.now() / 1000)) };
  let message: Record<string, unknown>;
  if (button) {
    message = {
      ...base,
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: button.payload, title: button.text } },
      ...(button.repliedTo ? { context: { from: BUSINESS.display_phone_number, id: button.repliedTo } } : {}),
    };
  } else if (media?.contentType.startsWith('audio/')) {
    message = { ...base, type: 'audio', audio: { id: media.id, mime_type: media.contentType, voice: true } };
  } else if (media) {
    message = { ...base, type: 'image', image: { id: media.id, mime_type: media.contentType, ...(body ? { caption: body } : {}) } };
  } else {
    message = { ...base, type: 'text', text: { body } };
  }
  return envelope({ contacts: [{ profile: { name: 'Simulator' }, wa_id: waId }], messages: [message] });
};

/** The webhook body of a status for a message the bot sent, naming its record as Meta hands back biz_opaque_callback_data. */
export const cloudStatus = (input: { id: string; to: string; status: string; errorCode?: string; reference?: string }): string =>
  envelope({
    statuses: [
      {
        id: input.id,
        status: input.status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: input.to.replace(/^whatsapp:\+/, ''),
        ...(input.reference ? { biz_opaque_callback_data: input.reference } : {}),
        ...(input.errorCode ? { errors: [{ code: Number(input.errorCode), title: 'Simulated failure' }] } : {}),
      },
    ],
  });
