/**
 * The Twilio channel: WhatsApp through Twilio. The only place that imports Twilio's SDK or knows
 * TwiML; the local channel and the simulator reuse its webhook format.
 */
import { VidbotError } from '../../errors.ts';
import type { Channel } from '../port.ts';
import { createTwilioClient } from './client.ts';
import { twilioMediaPolicy } from './media.ts';
import { type TwilioSenderOptions, createTwilioSender } from './send.ts';
import { createTwilioTyping } from './typing.ts';
import { type TwilioWebhookOptions, twilioWebhooks } from './webhooks.ts';

export interface TwilioChannelOptions extends TwilioSenderOptions {
  /** Checking the webhooks' signatures; the account's token is used unless given. */
  readonly webhooks?: Partial<Omit<TwilioWebhookOptions, 'channel'>>;
}

export const createTwilioChannel = (options: TwilioChannelOptions): Channel => {
  const { accountSid, authToken, from } = options;
  if (!accountSid.startsWith('AC') || authToken === '' || from === '') {
    throw new VidbotError('VIDBOT_CONFIG_INVALID', 'The Twilio channel needs an account SID (AC...), an auth token and a sender.', {
      hint: 'Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM (e.g. whatsapp:+14155238886).',
    });
  }
  const client = createTwilioClient(options);
  return {
    name: 'twilio',
    ...createTwilioSender(options, client),
    typing: createTwilioTyping(client, from),
    webhooks: twilioWebhooks({ channel: 'twilio', authToken, ...options.webhooks }),
    media: twilioMediaPolicy(options),
  };
};

export { fetchTwilioAccount, type TwilioAccount } from './account.ts';
export { createQuickReplies, quickReplyName, type QuickReplies, type QuickRepliesOptions } from './content.ts';
export { refusalKind as twilioRefusalKind, WINDOW_CODE } from './codes.ts';
export { LOCAL_AUTH_TOKEN_FILE, loadLocalAuthToken } from './local-token.ts';
export { twilioMediaPolicy } from './media.ts';
export { createTwilioSender, type TwilioSender, type TwilioSenderOptions } from './send.ts';
export { createTwilioTyping } from './typing.ts';
export { computeTwilioSignature, isValidTwilioSignature, type SignatureInput, type TwilioParams } from './signature.ts';
export { mapTwilioStatus, parseStatusCallback } from './status.ts';
export { readTwimlMessage, twimlMessage } from './twiml.ts';
export { toInboundMessage, twilioWebhooks, type TwilioWebhookOptions } from './webhooks.ts';
