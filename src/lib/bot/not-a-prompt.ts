/**
 * Messages that ask for no video, and the word each gets back instead of a task: thanks, an "ok"
 * or a thumbs-up, a goodbye, a sticker (WhatsApp's reaction in picture form), a map pin, a contact
 * card, and what WhatsApp could not pass on (an edited message, a poll, a message lost on the way).
 */
import type { InboundMessage } from '../channel/port.ts';
import { smallTalkOf } from './commands.ts';
import { notAPromptTexts } from './replies-media.ts';

const isContactCard = (contentType: string): boolean => /^text\/(x-)?vcard\b/i.test(contentType);

/** A user opening the chat for the first time (Meta's `request_welcome`): greeted as a "hi" is. */
export const isWelcomeRequest = (message: InboundMessage): boolean => message.kind === 'request_welcome';

/** The reply to a message that is not a request for a video; undefined for one that may be. */
export const notAPromptReply = (message: InboundMessage): string | undefined => {
  if (message.kind === 'sticker') return notAPromptTexts.sticker;
  // What the channel could not pass on. An edit (whether or not its new words came) does not make a
  // video again: the new words are asked for as a new message.
  if (message.kind === 'edit') return notAPromptTexts.edited;
  if (message.kind === 'unavailable') return notAPromptTexts.unavailable;
  if (message.kind === 'unsupported') return notAPromptTexts.unsupported;
  // Twilio posts a pin's coordinates (and says "location" in MessageType where it sends that).
  if (message.kind === 'location' || message.fields.Latitude !== undefined) return notAPromptTexts.location;
  if (message.kind === 'contacts' || message.media.some((media) => isContactCard(media.contentType))) return notAPromptTexts.contact;
  const smallTalk = message.media.length === 0 ? smallTalkOf(message.body) : undefined;
  if (smallTalk !== undefined) return notAPromptTexts[smallTalk];
  return undefined;
};
