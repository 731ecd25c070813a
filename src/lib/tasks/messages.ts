import type { ErrorCode, VidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';

/** The seed bot's wording, kept so existing users see the same conversation. */
export const ACK_MESSAGE = "🎬 Generating your video... I'll send it here when ready.";

export const resultMessage = (task: Task): { body: string; mediaUrl?: string } => {
  const preview = task.options.provider === 'local' ? ' (a local preview, not AI)' : '';
  if (task.cloudUrl) return { body: `✅ Here's your AI-generated video!${preview}`, mediaUrl: task.cloudUrl };
  // No public URL: the messenger cannot attach media, so say where the file is instead of sending nothing.
  return { body: `✅ Your video is ready${preview}, but it has no public URL yet (set PUBLIC_BASE_URL).` };
};

export const failureMessage = (reason: string): string =>
  `❌ Sorry, I couldn't make that video: ${reason} Send /help for tips, or try again.`;

/** Failures only the bot's operator can fix: the user is told that much, the details go to the logs. */
const OPERATOR_FAULTS: readonly ErrorCode[] = ['VIDBOT_PROVIDER_AUTH', 'VIDBOT_MODEL_UNKNOWN', 'VIDBOT_CONFIG_INVALID', 'VIDBOT_INTERNAL'];

/** Why a task failed, in words for the WhatsApp user rather than for the operator. */
export const userReason = (error: VidbotError): string => {
  const given = error.details.userMessage;
  if (typeof given === 'string') return `${given}.`;
  if (OPERATOR_FAULTS.includes(error.code)) return "the video service isn't set up correctly right now (the bot's owner can see why).";
  if (error.code === 'VIDBOT_PROVIDER_FAILED' || error.code === 'VIDBOT_TIMEOUT') return 'the video service is having trouble.';
  return error.message;
};
