/**
 * What Twilio posts to the two webhooks, for the server's API description: the form fields vidbot
 * reads and the common ones beside them. Twilio adds fields without notice and signs every one, so
 * the forms are open (`additionalProperties`) and the description never drops or changes a field.
 */
import type { JsonSchema, WebhookDoc } from '../port.ts';

const text = (description: string, example: string): JsonSchema => ({ type: 'string', description, examples: [example] });

const SID = 'SM0123456789abcdef0123456789abcdef';
const USER = 'whatsapp:+15551234567';
const BOT = 'whatsapp:+14155238886';

const SIGNATURE: JsonSchema = {
  type: 'object',
  properties: {
    'x-twilio-signature': {
      type: 'string',
      description:
        'Base64 HMAC-SHA1, keyed with the auth token, of the full URL Twilio posted to followed by every form field name and value, ' +
        'sorted by name. Checked before anything is read: 403 when it is missing or does not match.',
    },
  },
};

const FORM = 'application/x-www-form-urlencoded';
/** A placeholder in the form Twilio's own docs write one, so no example reads as a real account. */
const ACCOUNT = 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

const inboundForm: JsonSchema = {
  type: 'object',
  additionalProperties: true,
  // What every message carries; vidbot itself needs only From and MessageSid (400 without them, once signed).
  required: ['MessageSid', 'SmsMessageSid', 'SmsSid', 'AccountSid', 'From', 'To', 'Body', 'NumMedia', 'ApiVersion'],
  properties: {
    MessageSid: text('The message\'s id; a retry of the same message carries the same one, and vidbot answers it once.', SID),
    SmsMessageSid: text('The same id, under its older name.', SID),
    SmsSid: text('The same id, under its older name.', SID),
    AccountSid: text('The Twilio account.', ACCOUNT),
    From: text('The sender: where answers go, and the conversation it belongs to.', USER),
    To: text("The bot's WhatsApp number.", BOT),
    Body: text('The text; empty for a photo without a caption.', 'a fox running through a neon city at night'),
    NumMedia: text('How many media the message carries (MediaUrl0 to MediaUrl9).', '0'),
    MediaUrl0: text('Where the first medium can be fetched, with the account\'s credentials.', 'https://api.twilio.com/2010-04-01/Accounts/AC.../Messages/MM.../Media/ME...'),
    MediaContentType0: text('Its content type.', 'image/jpeg'),
    ProfileName: text("The sender's WhatsApp profile name.", 'Ada'),
    WaId: text("The sender's WhatsApp id (the number without +).", '15551234567'),
    MessageType: text('What kind of message: text, image, audio, button, interactive...', 'text'),
    ButtonText: text('The label of a reply button the user tapped.', 'Try again'),
    ButtonPayload: text('The payload vidbot gave that button.', 'retry'),
    OriginalRepliedMessageSid: text('The id of the message the user replied to, or whose button they tapped.', SID),
    OriginalRepliedMessageSender: text('Who sent that message.', BOT),
    NumSegments: text('Segments of the text (SMS heritage).', '1'),
    ApiVersion: text("Twilio's API version.", '2010-04-01'),
  },
};

const statusForm: JsonSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['MessageSid', 'SmsSid', 'MessageStatus', 'AccountSid', 'From', 'To', 'ApiVersion'],
  properties: {
    MessageSid: text('The id of a message vidbot sent.', SID),
    SmsSid: text('The same id, under its older name.', SID),
    MessageStatus: {
      type: 'string',
      description: 'Where the message is. Statuses outbound messages never have (received...) are ignored.',
      enum: ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'partially_delivered', 'delivered', 'read', 'failed', 'canceled', 'undelivered'],
      examples: ['delivered'],
    },
    ErrorCode: text('Why it failed, e.g. 63016 (outside the 24-hour window), when it did.', '63016'),
    AccountSid: text('The Twilio account.', ACCOUNT),
    From: text("The bot's number.", BOT),
    To: text('The recipient.', USER),
    ApiVersion: text("Twilio's API version.", '2010-04-01'),
  },
};

export const TWILIO_INBOUND_DOC: WebhookDoc = {
  operation: 'receiveMessage',
  summary: 'A WhatsApp message arrives (Twilio)',
  description:
    "Twilio's incoming-message webhook. The answer is TwiML: the bot's reply (an acknowledgement, a command's answer) goes back in it, " +
    'and the video follows as a message of its own. A message that cannot be stored answers 503, so Twilio may retry it.',
  headers: SIGNATURE,
  body: { contentType: FORM, schema: inboundForm },
  responses: {
    200: { description: 'TwiML with the reply, or an empty <Response/>.', contentType: 'text/xml', schema: { type: 'string', examples: ['<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it!</Message></Response>'] } },
  },
};

export const TWILIO_STATUS_DOC: WebhookDoc = {
  operation: 'receiveStatus',
  summary: 'A delivery receipt arrives (Twilio)',
  description:
    'The status callback of a message vidbot sent: it moves the message and its task\'s delivery on. The callback URL vidbot gives Twilio names ' +
    'its record (`ref`), so a receipt that arrives before the send\'s own answer still lands.',
  headers: SIGNATURE,
  query: {
    type: 'object',
    properties: { ref: { type: 'string', description: "vidbot's id of the message, as it put it in the callback URL." } },
  },
  body: { contentType: FORM, schema: statusForm },
  responses: { 204: { description: 'Taken.' } },
};
