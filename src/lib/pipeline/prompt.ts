import { vidbotError } from '../errors.ts';

export const PROMPT_MAX_CHARS_DEFAULT = 1000;

/** Trims a prompt and checks it against the length cap; the one place prompts are validated. */
export const validatePrompt = (prompt: unknown, maxChars: number = PROMPT_MAX_CHARS_DEFAULT): string => {
  if (typeof prompt !== 'string' || prompt.trim() === '') {
    throw vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt is empty.');
  }
  const text = prompt.trim();
  // Count characters as users see them (code points), not UTF-16 units, so emoji count once.
  const length = [...text].length;
  if (length > maxChars) {
    throw vidbotError('VIDBOT_PROMPT_TOO_LONG', `The prompt has ${length} characters; the limit is ${maxChars}.`, {
      details: { length, maxChars },
    });
  }
  return text;
};
