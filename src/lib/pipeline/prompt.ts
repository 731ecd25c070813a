import { vidbotError } from '../errors.ts';

export const PROMPT_MAX_CHARS_DEFAULT = 1000;

const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Trims a prompt and checks it against the length cap; the one place prompts are validated. */
export const validatePrompt = (prompt: unknown, maxChars: number = PROMPT_MAX_CHARS_DEFAULT): string => {
  // Control characters (other than tab and newline) mean nothing to a model and break XML replies.
  const text = typeof prompt === 'string' ? prompt.replace(CONTROL_CHARS, '').trim() : '';
  if (text === '') {
    throw vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt is empty.');
  }
  // Count characters as users see them (code points), not UTF-16 units, so emoji count once.
  const length = [...text].length;
  if (length > maxChars) {
    throw vidbotError('VIDBOT_PROMPT_TOO_LONG', `The prompt has ${length} characters; the limit is ${maxChars}.`, {
      details: { length, maxChars },
    });
  }
  return text;
};
