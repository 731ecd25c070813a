/**
 * What Meta's Cloud API sends to its webhook, for the server's API description: the verification
 * GET and the signed JSON of messages and statuses. The JSON is open (`additionalProperties`): Meta
 * adds fields, and the signature covers the exact bytes, so nothing in it is changed or dropped.
 */
import type { JsonSchema, WebhookDoc } from '../port.ts';

const open = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  additionalProperties: true,
  ...(description ? { description } : {}),
  properties,
});
const text = (description: string): JsonSchema => ({ type: 'string', description });

const message = open(
  {
    from: text("The sender's WhatsApp id (digits)."),
    id: text("The message's id (wamid...): a redelivery carries the same one, and vidbot answers it once."),
    timestamp: text('Epoch seconds.'),
    type: text('text, image, audio, video, document, sticker, interactive, button, reaction, edit, request_welcome (a first visit), unsupported...'),
    text: open({ body: text('The text.') }),
    image: open({ id: text('The media id, looked up with the token.'), mime_type: text('Its type.'), caption: text('Its caption.') }),
    audio: open({ id: text('The media id.'), mime_type: text('Its type.'), voice: { type: 'boolean', description: 'A voice note.' } }),
    interactive: open({ type: text('button_reply or list_reply.'), button_reply: open({ id: text('The payload vidbot gave the button.'), title: text('Its label.') }) }),
    button: open({ payload: text("A template quick reply's payload."), text: text('Its label.') }),
    context: open({ id: text('The message replied to, or whose button was tapped.') }),
    unsupported: open({ type: text('What WhatsApp could not pass on: edit, poll_creation, reaction...') }),
    errors: { type: 'array', items: open({ code: { type: 'integer', description: '131051 (a type the API does not support) or 131060 (unavailable for now).' } }) },
  },
  'A message a user sent.',
);

const status = open(
  {
    id: text('The id of a message vidbot sent.'),
    status: { type: 'string', enum: ['sent', 'delivered', 'read', 'failed'] },
    recipient_id: text('The recipient.'),
    errors: { type: 'array', items: open({ code: { type: 'integer', description: 'e.g. 131047: outside the 24-hour window.' } }) },
    biz_opaque_callback_data: text("vidbot's id of the message, sent with it and handed back here."),
  },
  'Where a message vidbot sent is.',
);

const EXAMPLE = {
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '100000000000001',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550000000', phone_number_id: '100000000000002' },
            contacts: [{ profile: { name: 'Ada' }, wa_id: '15551234567' }],
            messages: [{ from: '15551234567', id: 'wamid.example0001', timestamp: '1735689600', type: 'text', text: { body: 'a fox running through a neon city at night' } }],
          },
        },
      ],
    },
  ],
};

export const CLOUD_VERIFY_DOC: WebhookDoc = {
  operation: 'verifyWebhook',
  summary: 'Meta verifies the webhook (Cloud API)',
  description: 'Sent when the callback URL is saved in the app dashboard: the challenge comes back when the verify token matches.',
  query: {
    type: 'object',
    required: ['hub.mode', 'hub.verify_token', 'hub.challenge'],
    properties: {
      'hub.mode': { const: 'subscribe' },
      'hub.verify_token': text("WHATSAPP_VERIFY_TOKEN's value, as entered in Meta's dashboard."),
      'hub.challenge': { type: 'string', description: 'Echoed back.', examples: ['1234567890'] },
    },
  },
  responses: {
    200: { description: 'The challenge, as text.', contentType: 'text/plain', schema: { type: 'string' } },
  },
};

export const CLOUD_EVENTS_DOC: WebhookDoc = {
  operation: 'receiveNotifications',
  summary: 'Messages and statuses arrive (Cloud API)',
  description:
    'Any number of messages and statuses, batched. Answered 200 once the messages are stored (Meta retries anything else for days); ' +
    "the bot's replies then go out as messages of their own. Messages for another number of the same app are left alone.",
  headers: {
    type: 'object',
    properties: {
      'x-hub-signature-256': {
        type: 'string',
        description: '`sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the app secret. Checked before the body is parsed: 403 otherwise.',
      },
    },
  },
  body: {
    contentType: 'application/json',
    schema: {
      ...open({
        object: { const: 'whatsapp_business_account' },
        entry: {
          type: 'array',
          items: open({
            changes: {
              type: 'array',
              items: open({
                field: { type: 'string', examples: ['messages'] },
                value: open({
                  metadata: open({ phone_number_id: text("The business number's id: only WHATSAPP_PHONE_NUMBER_ID's are read.") }),
                  contacts: { type: 'array', items: open({ wa_id: text('The WhatsApp id.'), profile: open({ name: text('The profile name.') }) }) },
                  messages: { type: 'array', items: message },
                  statuses: { type: 'array', items: status },
                }),
              }),
            },
          }),
        },
      }),
      examples: [EXAMPLE],
    },
  },
  responses: {
    200: { description: 'Stored.', contentType: 'text/plain', schema: { const: 'EVENT_RECEIVED' } },
  },
};
