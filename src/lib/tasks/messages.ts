import type { ChoiceAction, Orientation } from '../domain.ts';
import type { VidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';
import { cutText } from '../text.ts';
import { type UserReason, userReasonFor } from './user-reasons.ts';

/** Collapses whitespace and cuts to `max` characters as seen (text.ts). */
export const excerpt = (text: string, max: number): string => cutText(text, max, { atWord: true });

/** The prompt used for a photo sent without a caption: WhatsApp users often send just the photo. */
export const DEFAULT_IMAGE_PROMPT = 'Bring this image to life';

/**
 * What a request is called in a message to its user: their words, quoted and cut to `max`; a photo
 * sent without words is "your photo", not words the bot chose for it.
 */
export const promptLabel = (prompt: string, max: number): string => (prompt === DEFAULT_IMAGE_PROMPT ? 'your photo' : `"${excerpt(prompt, max)}"`);

/** The same where the sentence is about the video ("Sending … to you again"): a photo's is "the video of your photo". */
const videoLabel = (prompt: string, max: number): string => (prompt === DEFAULT_IMAGE_PROMPT ? 'the video of your photo' : promptLabel(prompt, max));

/** What tells versions of one prompt apart (in a list, under a video): landscape ones say so, and so do later takes. */
export const versionMarks = (landscape: boolean, take: number | undefined): string => `${landscape ? ' ↔️' : ''}${take !== undefined && take > 1 ? ` (take ${take})` : ''}`;

/** The seed bot's wording, kept so existing users see the same conversation. */
export const ACK_MESSAGE = "🎬 Generating your video... I'll send it here when ready.";

/**
 * The result. The seed's headline, then which prompt it answers: a user with several requests
 * knows which video this is (and a rerun after a crash can recognise the message it sent).
 */
export const resultMessage = (task: Task, options: { afterAll?: boolean } = {}): { body: string; mediaUrl?: string; mediaFile?: string } => {
  // Who made it, not who was asked: a task queued for a model and run where only the preview
  // renderer is set up (or the other way round) is labelled by what the user gets.
  const madeBy = task.generation?.provider ?? task.options.provider;
  const preview = madeBy === 'local' ? ' (a quick preview, not AI)' : '';
  // The seed's wording for real AI videos; the preview renderer must not claim to be AI. A video
  // that arrives after the user was told it failed says so.
  const headline = options.afterAll ? '✅ It worked this time: here is your video!' : preview ? "✅ Here's your video!" : "✅ Here's your AI-generated video!";
  const about = `🎬 ${promptLabel(task.prompt, 60)}${versionMarks(task.options.orientation === 'landscape', task.options.take)}`;
  // Without a public URL only channels that show vidbot's own media (the simulator) get here.
  // Channels that upload the video (Meta's Cloud API) read the local copy instead.
  return { body: `${headline}${preview}\n${about}`, ...(task.videoUrl ? { mediaUrl: task.videoUrl } : {}), ...(task.filePath ? { mediaFile: task.filePath } : {}) };
};

/** The fallback when WhatsApp could not take the video itself: the link, which still plays it. */
export const linkMessage = (task: Task, options: { afterAll?: boolean } = {}): { body: string } => {
  const { body, mediaUrl } = resultMessage(task, options);
  return { body: `${body}\n▶️ ${mediaUrl ?? ''}`.trimEnd() };
};

/** A running video stopped by /cancel (the user heard "Stopping..." when they asked): that it has stopped. */
export const canceledMessage = (task: Task): string => `🛑 Canceled ${promptLabel(task.prompt, 40)}. Send a new description whenever you like.`;

/** A canceled video made after all (the bot's operator tried it again): said before it comes, so it is not a surprise. */
export const resumedMessage = (task: Task): string => `🔄 Making ${videoLabel(task.prompt, 40)} after all: I'll send it here when it's ready.`;

/** Told when the video was made but could not be sent (and a text may still get through). */
export const undeliveredMessage = (task: Task): string =>
  `⚠️ Sorry, your video for ${promptLabel(task.prompt, 40)} was made, but I couldn't get it to you here. Try again in a little while and I'll send it.`;

/** A failed task, told to its user: why, in their words, and what they can do. */
export const failureMessage = (reason: UserReason): string => `❌ Sorry, I couldn't make that video: ${reason.why} ${reason.next}`;

/** Why a task failed, for the user: the error's code (and a model's own refusal) chooses the words, never its message. */
export const userReason = (error: Pick<VidbotError, 'code' | 'details'>): UserReason => userReasonFor(error.code, error.details);

/** Why a stored task failed, in the user's words (for /status). */
export const taskFailureReason = (task: Task): string => userReasonFor(task.errorCode).why;

// Reply buttons: the words on them and around them (see tasks/choices.ts and bot/choices.ts).

/** The words on each button; WhatsApp shows at most 20 characters. */
export const CHOICE_TITLES: Readonly<Record<ChoiceAction, string>> = {
  again: '🔁 Another take',
  landscape: '↔️ Landscape',
  portrait: '↕️ Portrait',
  retry: '🔄 Try again',
};

/** The follow-up after a video arrived, offering another take or the other orientation. */
export const CHOICES_MESSAGE = '🎬 Want another version?';

/** The bot's answer to a tap (or a typed 1, 2...), before the usual queue line. */
export const choiceTexts = {
  again: (task: Task) => `🔁 Another take of ${promptLabel(task.prompt, 60)} coming up!`,
  orientation: (task: Task, orientation: Orientation) =>
    `${orientation === 'landscape' ? '↔️' : '↕️'} ${promptLabel(task.prompt, 60)} in ${orientation} coming up!`,
  retry: (task: Task) => `🔄 Trying ${promptLabel(task.prompt, 60)} again!`,
  /** A retry of a video that was made and never arrived: it is sent again, not made again. */
  resend: (task: Task) => `📤 Sending ${videoLabel(task.prompt, 60)} to you again!`,
  notFailed: (task: Task) =>
    task.status === 'done'
      ? `✅ ${promptLabel(task.prompt, 60)} has already arrived, so there's nothing to try again.`
      : `⏳ ${promptLabel(task.prompt, 60)} is already on its way: no need to try again.`,
  /** Another take tapped again (or typed as well) while the take it made is still on its way. */
  takeOnItsWay: (task: Task) => `⏳ Another take of ${promptLabel(task.prompt, 60)} is already on its way: you'll get it once.`,
  /** The shape asked for is one the user has, or will have: nothing new is made, nothing counted. */
  alreadyAsked: (task: Task, orientation: Orientation) =>
    task.status === 'done'
      ? `✅ You already have ${promptLabel(task.prompt, 60)} in ${orientation}: it's in our chat above.`
      : `⏳ ${promptLabel(task.prompt, 60)} in ${orientation} is already on its way.`,
  unknown: "🤔 I couldn't tell which video that button was for. Send the description again and I'll make it.",
  bareNumber: (answer: string) =>
    `🤔 I'm not sure what "${excerpt(answer, 20)}" means here. Send a description of the video you'd like, or /help.`,
};
