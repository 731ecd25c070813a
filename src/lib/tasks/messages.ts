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
