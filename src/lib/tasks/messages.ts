import type { ChoiceAction, Orientation } from '../domain.ts';
import type { ErrorCode, VidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';

/** Collapses whitespace and cuts to `max` characters (code points, so emoji stay whole). */
const excerpt = (text: string, max: number): string => {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
};

/** The seed bot's wording, kept so existing users see the same conversation. */
export const ACK_MESSAGE = "🎬 Generating your video... I'll send it here when ready.";

/**
 * The result. The seed's headline, then which prompt it answers: a user with several requests
 * knows which video this is (and a rerun after a crash can recognise the message it sent).
 */
export const resultMessage = (task: Task): { body: string; mediaUrl?: string } => {
  const preview = task.options.provider === 'local' ? ' (a local preview, not AI)' : '';
  // The seed's wording for real AI videos; the preview renderer must not claim to be AI.
  const headline = preview ? "✅ Here's your video!" : "✅ Here's your AI-generated video!";
  const about = `🎬 "${excerpt(task.prompt, 60)}"`;
  if (task.videoUrl) return { body: `${headline}${preview}\n${about}`, mediaUrl: task.videoUrl };
  // No public URL: the messenger cannot attach media, so say where the file is instead of sending nothing.
  return { body: `✅ Your video is ready${preview}, but it has no public URL yet (set PUBLIC_BASE_URL).\n${about}` };
};

/** The fallback when WhatsApp could not take the video itself: the link, which still plays it. */
export const linkMessage = (task: Task): { body: string } => {
  const { body, mediaUrl } = resultMessage(task);
  return { body: `${body}\n▶️ ${mediaUrl ?? ''}`.trimEnd() };
};

/** Told when the video was made but could not be sent (and a text may still get through). */
export const undeliveredMessage = (task: Task): string =>
  `⚠️ Sorry, your video for "${excerpt(task.prompt, 60)}" was made, but WhatsApp couldn't deliver it. Send /status to see it, or try again later.`;

export const failureMessage = (reason: string): string =>
  `❌ Sorry, I couldn't make that video: ${reason} Send /help for tips, or try again.`;

/** Errors whose message was written for the person who sent the prompt. */
const FOR_THE_USER: readonly ErrorCode[] = ['VIDBOT_PROMPT_EMPTY', 'VIDBOT_PROMPT_TOO_LONG', 'VIDBOT_CAPABILITY_UNSUPPORTED', 'VIDBOT_CANCELED'];
const OUTAGES: readonly ErrorCode[] = ['VIDBOT_PROVIDER_FAILED', 'VIDBOT_TIMEOUT', 'VIDBOT_RATE_LIMITED'];

/**
 * Why a task failed, in words for the WhatsApp user. Other messages are for the operator (they name
 * variables, paths, tools) and stay in the task's record and the logs.
 */
export const userReason = (error: Pick<VidbotError, 'code' | 'message' | 'details'>): string => {
  const given = error.details.userMessage;
  if (typeof given === 'string') return `${given}.`;
  if (FOR_THE_USER.includes(error.code)) return error.message;
  if (OUTAGES.includes(error.code)) return 'the video service is having trouble.';
  if (error.code === 'VIDBOT_GENERATION_FAILED') return "the video service sent back something I couldn't use.";
  if (error.code === 'VIDBOT_JOB_ABANDONED') return 'something went wrong on my side while making it.';
  return "the video service isn't set up correctly right now (the bot's owner can see why).";
};

/** Why a stored task failed, for the user: its error code says which of the reasons above applies. */
export const taskFailureReason = (task: Task): string => {
  const code = (task.errorCode ?? 'VIDBOT_INTERNAL') as ErrorCode;
  return userReason({ code, message: task.error ?? '', details: {} });
};

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
  again: (task: Task) => `🔁 Another take of "${excerpt(task.prompt, 60)}" coming up!`,
  orientation: (task: Task, orientation: Orientation) =>
    `${orientation === 'landscape' ? '↔️' : '↕️'} "${excerpt(task.prompt, 60)}" in ${orientation} coming up!`,
  retry: (task: Task) => `🔄 Trying "${excerpt(task.prompt, 60)}" again!`,
  notFailed: (task: Task) =>
    task.status === 'done'
      ? `✅ "${excerpt(task.prompt, 60)}" has already arrived, so there's nothing to try again.`
      : `⏳ "${excerpt(task.prompt, 60)}" is already on its way: no need to try again.`,
  unknown: "🤔 I couldn't tell which video that button was for. Send the description again and I'll make it.",
  bareNumber: (answer: string) =>
    `🤔 I'm not sure what "${excerpt(answer, 10)}" means here. Send a description of the video you'd like, or /help.`,
};
