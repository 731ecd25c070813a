import type { Orientation } from './port.ts';

/** The prompt laid out for drawing: one string per line, at one font size. */
export interface TextLayout {
  readonly lines: readonly string[];
  readonly fontSize: number;
  readonly lineHeight: number;
}

interface SizeStep {
  readonly fontSize: number;
  readonly maxLines: number;
}

// Tried in order until the prompt fits; the last step truncates with an ellipsis.
const STEPS: Record<Orientation, readonly SizeStep[]> = {
  portrait: [
    { fontSize: 52, maxLines: 8 },
    { fontSize: 44, maxLines: 10 },
    { fontSize: 36, maxLines: 12 },
  ],
  landscape: [
    { fontSize: 56, maxLines: 5 },
    { fontSize: 46, maxLines: 6 },
    { fontSize: 38, maxLines: 8 },
  ],
};

// Average advance of DejaVu Sans Bold, in em; a wide glyph (CJK, emoji) counts double.
const AVERAGE_ADVANCE = 0.62;
const USABLE_WIDTH = 0.86;

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|\p{Extended_Pictographic}/u;

const graphemes = (text: string): string[] =>
  Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text), (s) => s.segment);

const widthOf = (text: string): number =>
  graphemes(text).reduce((sum, g) => sum + (WIDE.test(g) ? 2 : 1), 0);

/** Collapses whitespace and drops control and bidi-override characters drawtext would show as boxes. */
export const normalizePromptText = (prompt: string): string =>
  prompt
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/gu, ' ')
    .trim();

// Joiners, variation selectors, skin tones, tags and the keycap mark: drawtext does no shaping, so
// they are never drawn (❤️ is drawn as ❤ by a font that has ❤), and never make a grapheme missing.
const MODIFIER = /^[\u200D\uFE00-\uFE0F\u20E3\u{1F3FB}-\u{1F3FF}\u{E0020}-\u{E007F}]$/u;

/**
 * The prompt as the font can draw it: a character it has no glyph for (an emoji in DejaVu, Chinese
 * without a CJK font) is left out, with the rest of its grapheme, instead of drawn as a box.
 */
export const drawableText = (prompt: string, covers: (codePoint: number) => boolean): string =>
  normalizePromptText(
    // Composed first: "e" and a combining acute is "é", which a font without the lone accent has.
    graphemes(prompt.normalize('NFC'))
      .map((g) => {
        if (/^\s+$/u.test(g)) return g;
        const points = Array.from(g);
        const missing = points.some((point) => !MODIFIER.test(point) && !covers(point.codePointAt(0) ?? 0));
        return missing ? ' ' : points.filter((point) => !MODIFIER.test(point)).join('');
      })
      .join(''),
  );

/** Splits a word wider than a line into line-sized pieces, never inside a grapheme. */
const splitWord = (word: string, columns: number): string[] => {
  const pieces: string[] = [];
  let piece = '';
  for (const g of graphemes(word)) {
    if (piece && widthOf(piece + g) > columns) {
      pieces.push(piece);
      piece = '';
    }
    piece += g;
  }
  if (piece) pieces.push(piece);
  return pieces;
};

/** Greedy word wrap by display columns; CJK runs without spaces are broken anywhere. */
export const wrapText = (text: string, columns: number): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    for (const piece of widthOf(word) > columns ? splitWord(word, columns) : [word]) {
      const candidate = line ? `${line} ${piece}` : piece;
      if (widthOf(candidate) <= columns) {
        line = candidate;
      } else {
        if (line) lines.push(line);
        line = piece;
      }
    }
  }
  if (line) lines.push(line);
  return lines;
};

const truncate = (lines: string[], maxLines: number, columns: number): string[] => {
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = graphemes(kept[maxLines - 1] ?? '');
  while (last.length > 0 && widthOf(`${last.join('')}…`) > columns) last.pop();
  kept[maxLines - 1] = `${last.join('').trimEnd()}…`;
  return kept;
};

/** Picks the largest font size at which the prompt fits the frame, wrapping it into lines. */
export const layoutPrompt = (prompt: string, orientation: Orientation, frameWidth: number): TextLayout => {
  const text = normalizePromptText(prompt);
  const steps = STEPS[orientation];
  let chosen: TextLayout | undefined;
  for (const [index, step] of steps.entries()) {
    const columns = Math.floor((frameWidth * USABLE_WIDTH) / (step.fontSize * AVERAGE_ADVANCE));
    const lines = wrapText(text, columns);
    const last = index === steps.length - 1;
    if (lines.length <= step.maxLines || last) {
      chosen = {
        lines: truncate(lines, step.maxLines, columns),
        fontSize: step.fontSize,
        lineHeight: Math.round(step.fontSize * 1.3),
      };
      break;
    }
  }
  return chosen ?? { lines: [], fontSize: 40, lineHeight: 52 };
};
