/**
 * WhatsApp's typing indicator through Twilio's Typing Indicators resource (public beta), with the
 * official SDK: POST messaging.twilio.com/v2/Indicators/Typing.json with the user's inbound
 * MessageSid. Twilio marks that message read and shows "typing…" until the next message arrives,
 * or for 25 s. WhatsApp senders only; other senders have nothing to show.
 */
import { VidbotError, isVidbotError, throwIfAborted, toVidbotError, abortedError } from '../../errors.ts';
import type { Channel, TypingInput } from '../port.ts';
import type { TwilioClient } from './client.ts';

/** What Twilio answered, as a VidbotError the lifecycle only warns about. */
const toTypingError = (error: unknown, signal: AbortSignal | undefined): VidbotError => {
  if (signal?.aborted) return abortedError(signal);
  if (isVidbotError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  if (typeof e.status !== 'number' || e.isAxiosError === true) {
    if (e.isAxiosError !== true && typeof e.code !== 'string') return toVidbotError(error);
    return new VidbotError('VIDBOT_MESSENGER_FAILED', `Could not reach Twilio for the typing indicator: ${String(e.message)}`, { cause: error });
  }
  const code = typeof e.code === 'number' && e.code !== 0 && e.code !== e.status ? `, error ${e.code}` : '';
  const what = `HTTP ${e.status}${code}: ${String(e.detail ?? e.message)}`;
  if (e.status === 401) {
    return new VidbotError('VIDBOT_MESSENGER_AUTH', `Twilio rejected the credentials for the typing indicator (${what}).`, { cause: error });
  }
  // 400 for a message id Twilio does not know as an inbound WhatsApp message (or one too old).
  return new VidbotError('VIDBOT_MESSENGER_FAILED', `Twilio did not show the typing indicator (${what}).`, {
    cause: error,
    retryable: false,
    details: { twilioStatus: e.status },
  });
};

export const createTwilioTyping = (client: TwilioClient, from: string): NonNullable<Channel['typing']> => {
  const whatsapp = from.startsWith('whatsapp:');
  return async (input: TypingInput, options = {}) => {
    // SMS has no typing indicator; nor has a message that did not come from WhatsApp.
    if (!whatsapp || !input.to.startsWith('whatsapp:')) return;
    const { signal } = options;
    throwIfAborted(signal);
    try {
      await client.call(signal, (sdk) => sdk.messaging.v2.typingIndicator.create({ channel: 'whatsapp', messageId: input.replyingTo }));
    } catch (error) {
      throw toTypingError(error, signal);
    }
  };
};
