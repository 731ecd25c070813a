/**
 * Text as people see it: grapheme clusters, so a family emoji, a flag or a letter with its accents
 * counts once, and a cut never splits one (half a flag shows as a boxed letter, half a family as a
 * lone man with a dangling joiner).
 */
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const graphemes = (text: string): string[] => Array.from(graphemeSegmenter.segment(text), (part) => part.segment);

/** How many characters a person sees in `text`. */
export const visibleLength = (text: string): number => {
  let count = 0;
  for (const _part of graphemeSegmenter.segment(text)) count += 1;
  return count;
};

/**
 * Text from outside (a user's prompt, a service's error) made safe to print on a terminal: control
 * characters (escape sequences, bell) and the bidirectional overrides and isolates, with which a
 * line can be drawn in another order than it reads, are dropped. Line breaks and tabs stay.
 */
export const terminalSafe = (text: string): string => text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, '');

/** `text` on one line: runs of whitespace, line breaks included, as one space. */
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

export interface CutOptions {
  /**
   * How a character is counted: as seen (default), or as its code points, where a service caps a
   * field by those (a WhatsApp button's 20-character title); the cut is between whole characters either way.
   */
  readonly count?: 'seen' | 'codePoints';
  /** Collapse runs of whitespace and trim first (default true). */
  readonly collapse?: boolean;
}

/** `text` in at most `max` characters, ending with "…" when it was longer. */
export const cutText = (text: string, max: number, options: CutOptions = {}): string => {
  const line = options.collapse === false ? text : oneLine(text);
  const parts = graphemes(line);
  const size = (part: string): number => (options.count === 'codePoints' ? [...part].length : 1);
  if (parts.reduce((sum, part) => sum + size(part), 0) <= max) return line;
  let kept = '';
  let used = 0;
  for (const part of parts) {
    if (used + size(part) > max - 1) break;
    kept += part;
    used += size(part);
  }
  return `${kept.trimEnd()}…`;
};

/** Names said in a sentence: "a", "a and b", "a, b and c". */
export const inWords = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/**
 * `text` with `secret` shown as `***`. A short secret (under 8 characters) only where it stands as a
 * word of its own: hidden inside other words it would garble them ("ECONNREFU***ED" for a secret "S").
 */
export const hideSecret = (text: string, secret: string): string => {
  if (secret === '') return text;
  if (secret.length >= 8) return text.split(secret).join('***');
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = /^[\p{L}\p{N}]/u;
  // A word's edge only where the secret's own edge is a letter or digit ("#pw" hides in "a#pw" too).
  const before = word.test(secret) ? '(?<![\\p{L}\\p{N}])' : '';
  const after = word.test([...secret].at(-1) ?? '') ? '(?![\\p{L}\\p{N}])' : '';
  return text.replace(new RegExp(`${before}${escaped}${after}`, 'gu'), '***');
};
