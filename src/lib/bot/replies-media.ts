/**
 * The bot's replies about what a message carried rather than its words: a photo it cannot use, a
 * voice note, a sticker, a pin, a contact card, thanks or a goodbye. In the bot's tone (replies.ts):
 * none names a setting or a tool, which the WhatsApp user can do nothing about.
 */
import { shorten } from './replies.ts';

export const mediaTexts = {
  withCommand: "📷 I didn't use the photo that came with the command: send it again on its own, or with a description, to animate it.",
  notImage:
    "🙏 I can only use photos (JPEG, PNG or WebP) as a starting point — videos and documents aren't supported. Send a description, or a photo with a caption.",
  imageFormat: "📷 That image format isn't supported. Please send a JPEG, PNG or WebP photo.",
  imageToVideoUnsupported:
    "📷 Thanks for the photo! The current video model can't animate images, so please describe the video in words instead.",
  damaged: "😕 I couldn't open that photo: it seems damaged or cut short. Please send it again, or describe the video in words.",
  couldNotUse:
    "😕 Sorry, I couldn't use that image. Please send it again as a JPEG, PNG or WebP photo, or just describe the video in words.",
  tooLarge: (maxBytes: number) =>
    `📦 That image is too large (the limit is ${formatBytes(maxBytes)}). Please send a smaller photo.`,
};

/** Replies to messages that ask for no video: thanks, an "ok", a goodbye, a sticker, a map pin, a contact card. */
export const notAPromptTexts = {
  thanks: "🙂 Anytime! Send me another description whenever you'd like a new video.",
  /** "ok", "cool", a thumbs-up: agreed, not thanked ("Anytime!" would answer words not said). */
  agree: "👍 Send me another description whenever you'd like a new video.",
  bye: "👋 Bye for now! Send me a description whenever you'd like a new video.",
  sticker: "😄 Nice sticker! I can't animate stickers, though. Send me a short description and I'll make you a video.",
  location: `📍 Thanks for the pin! I can't film a place from a map, but describe it in words (e.g. "sunset over a busy harbour") and I'll make you a video.`,
  contact: "📇 Thanks, but I can't do anything with a contact card. Send me a short description of the video you'd like.",
  edited: "✏️ I don't follow edits to earlier messages. Send the new description as a new message and I'll make a video of that one.",
  unavailable: "😕 Your last message didn't reach me in full. Could you send it again?",
  unsupported: "🤔 I can't open that kind of message. Describe the video you'd like in a few words and I'll make it.",
};

/** Replies about voice notes; none names a setting or a tool: the WhatsApp user can do nothing about those. */
export const voiceTexts = {
  off: "🎙️ Thanks for the voice note! I can't listen to voice notes here yet, so please type a short description of the video you'd like.",
  noWords: "🎙️ I couldn't make out any words in that voice note. Please try again a little closer to the phone, or type your description.",
  tooSlow: "⏱️ Sorry, I couldn't listen to your voice note in time. Please try again, or type your description.",
  failed: "😕 Sorry, I couldn't listen to that voice note just now. Please try again in a moment, or type your description.",
  format: "🎙️ I couldn't play that audio. Please record a voice note in WhatsApp, or type your description.",
  tooLarge: (maxBytes: number) =>
    `📦 That voice note is too long for me. Please keep it under ${voiceMinutes(maxBytes)}, or type your description.`,
  /** The first line of the acknowledgement: what was heard, so a misheard prompt can be canceled. */
  heard: (transcript: string) => `🎙️ I heard: "${shorten(transcript, 120)}"`,
};

/** How long a WhatsApp voice note of this size plays, roughly (Opus at up to 32 kbit/s): people know their notes by time, not bytes. */
const voiceMinutes = (maxBytes: number): string => {
  const seconds = maxBytes / 4_000;
  if (seconds < 90) return `about ${Math.max(5, Math.floor(seconds / 5) * 5)} seconds`;
  return `about ${Math.floor(seconds / 60)} minutes`;
};

const formatBytes = (bytes: number): string => {
  if (bytes >= 1_000_000) return `${Number((bytes / 1_000_000).toFixed(1))} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} KB`;
  return `${bytes} bytes`;
};
