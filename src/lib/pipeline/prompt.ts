import { vidbotError } from '../errors.ts';
import { visibleLength } from '../text.ts';

export const PROMPT_MAX_CHARS_DEFAULT = 1000;

/** Code points a prompt may hold per character of its cap: a family emoji is seven. */
const CODE_POINTS_PER_CHARACTER = 8;

const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
/** What a description needs one of: a letter, a digit or an emoji (a keycap too). Zero-width spaces, dots and dashes say nothing. */
const MEANING = /[\p{L}\p{N}\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/u;

/** Whether a text says anything a video could be made of (see MEANING). */
export const hasWords = (text: string): boolean => MEANING.test(text);

/** Trims a prompt and checks it against the length cap; the one place prompts are validated. */
export const validatePrompt = (prompt: unknown, maxChars: number = PROMPT_MAX_CHARS_DEFAULT): string => {
  // A library caller's mistake, not an empty prompt (null and undefined are simply none).
  if (prompt !== undefined && prompt !== null && typeof prompt !== 'string') {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `The prompt must be a string, got ${typeof prompt}.`);
  }
  // Control characters (other than tab and newline) mean nothing to a model and break XML replies.
  const text = typeof prompt === 'string' ? prompt.replace(CONTROL_CHARS, '').trim() : '';
  if (text === '') {
    throw vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt is empty.');
  }
  // A message blank on the phone (zero-width spaces) or of punctuation alone would make a video of nothing.
  if (!hasWords(text)) {
    throw vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt has no words: no letter, digit or emoji.');
  }
  // Characters as users see them (a family emoji is one), with a ceiling on what they are made of:
  // a character may carry any number of combining marks, and models cap their input by code points.
  const codePoints = [...text].length;
  // Never more characters seen than code points: within the cap by those, nothing to segment.
  if (codePoints <= maxChars) return text;
  const length = codePoints > CODE_POINTS_PER_CHARACTER * maxChars ? codePoints : visibleLength(text);
  if (length > maxChars) {
    throw vidbotError('VIDBOT_PROMPT_TOO_LONG', `The prompt has ${length} characters; the limit is ${maxChars}.`, {
      details: { length, maxChars },
    });
  }
  return text;
};
