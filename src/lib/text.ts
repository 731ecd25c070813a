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

const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;

/** Code points a terminal draws two columns wide (East Asian Wide and Fullwidth: CJK, Hangul, kana, fullwidth forms). */
const isWide = (code: number): boolean =>
  (code >= 0x1100 && code <= 0x115f) ||
  (code >= 0x2e80 && code <= 0x303e) ||
  (code >= 0x3041 && code <= 0x33ff) ||
  (code >= 0x3400 && code <= 0x4dbf) ||
  (code >= 0x4e00 && code <= 0x9fff) ||
  (code >= 0xa000 && code <= 0xa4cf) ||
  (code >= 0xac00 && code <= 0xd7a3) ||
  (code >= 0xf900 && code <= 0xfaff) ||
  (code >= 0xfe30 && code <= 0xfe4f) ||
  (code >= 0xff00 && code <= 0xff60) ||
  (code >= 0xffe0 && code <= 0xffe6) ||
  (code >= 0x20000 && code <= 0x3fffd);

/** The columns a terminal gives one character (a grapheme): 2 for an emoji or a CJK character, 0 for a lone mark. */
export const graphemeColumns = (part: string): number => {
  if (EMOJI_PRESENTATION.test(part)) return 2;
  if (ZERO_WIDTH.test(part)) return 0;
  return isWide(part.codePointAt(0) ?? 0) ? 2 : 1;
};

/** The columns `text` takes on a terminal. */
export const displayWidth = (text: string): number => {
  let columns = 0;
  for (const { segment } of graphemeSegmenter.segment(text)) columns += graphemeColumns(segment);
  return columns;
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
   * How a character is counted: as seen (default), as its code points, where a service caps a
   * field by those (a WhatsApp button's 20-character title), or as the columns a terminal draws it
   * in; the cut is between whole characters either way.
   */
  readonly count?: 'seen' | 'codePoints' | 'columns';
  /** Collapse runs of whitespace and trim first (default true). */
  readonly collapse?: boolean;
  /**
   * End the cut text between words, as a person would, when the last space within the limit leaves
   * most of it (a long word alone is still cut inside): for what a user reads, not a terminal's columns.
   */
  readonly atWord?: boolean;
}

/** `text` in at most `max` characters, ending with "…" when it was longer. */
export const cutText = (text: string, max: number, options: CutOptions = {}): string => {
  const line = options.collapse === false ? text : oneLine(text);
  const parts = graphemes(line);
  const size = (part: string): number => (options.count === 'codePoints' ? [...part].length : options.count === 'columns' ? graphemeColumns(part) : 1);
  if (parts.reduce((sum, part) => sum + size(part), 0) <= max) return line;
  let kept = '';
  let used = 0;
  let next: string | undefined;
  for (const part of parts) {
    if (used + size(part) > max - 1) {
      next = part;
      break;
    }
    kept += part;
    used += size(part);
  }
  if (options.atWord === true) {
    const space = next !== undefined && !/\s/.test(next) ? kept.search(/\s\S*$/) : -1;
    if (space >= kept.length * 0.6) kept = kept.slice(0, space);
    // "a fox, a cat…" rather than "a fox, a cat,…".
    kept = kept.replace(/[\s,;:.-]+$/, '');
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

/** Letters added, dropped, changed or swapped with a neighbour ("stauts" is one from "status"). */
export const editDistance = (a: string, b: string): number => {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const above = rows[i - 1] ?? [];
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
};
