/**
 * Messages that ask for no video, and the word each gets back instead of a task: thanks or a
 * thumbs-up, a sticker (WhatsApp's reaction in picture form), a map pin, a contact card.
 */
import type { InboundMessage } from '../channel/port.ts';
import { isThanks } from './commands.ts';
import { notAPromptTexts } from './replies.ts';

const isContactCard = (contentType: string): boolean => /^text\/(x-)?vcard\b/i.test(contentType);

/** The reply to a message that is not a request for a video; undefined for one that may be. */
export const notAPromptReply = (message: InboundMessage): string | undefined => {
  if (message.kind === 'sticker') return notAPromptTexts.sticker;
  // Twilio posts a pin's coordinates (and says "location" in MessageType where it sends that).
  if (message.kind === 'location' || message.fields.Latitude !== undefined) return notAPromptTexts.location;
  if (message.kind === 'contacts' || message.media.some((media) => isContactCard(media.contentType))) return notAPromptTexts.contact;
  if (message.media.length === 0 && isThanks(message.body)) return notAPromptTexts.thanks;
  return undefined;
};
