/** `vidbot config list` as lines: a setting a row, its value, where it came from, and the words about it. */
import { middleTruncate } from '../dashboard/format.ts';
import { wrapWords } from '../format.ts';

/** Where a bad value is and what it is (never a secret's), from its VIDBOT_CONFIG_INVALID's details. */
export interface BadValue {
  readonly source?: string;
  readonly given?: string;
}

export interface ListRow {
  readonly key: string;
  readonly value: string;
  readonly source: string;
  readonly description: string;
  readonly invalid?: string;
  readonly badValue?: BadValue;
}

/** The value column on a terminal: wide enough for every default, a URL's start and end. */
const VALUE_WIDTH = 24;

/** The narrowest room beside the columns a setting's description is given; less, and it goes under them. */
const ABOUT_MIN_WIDTH = 40;
const ABOUT_INDENT = '    ';

/**
 * On a terminal (`columns`) the columns stay in line within its width: a long value (a folder) is
 * cut in its middle (`config get` and --json give it whole), and the words about it wrap beside
 * the columns, or under each setting when too narrow for them (80 columns left them eight). Piped
 * (grep, a file), each setting is one line with its value whole. A bad value shows itself and
 * where it is, not what the setting falls back to: every other command refuses it.
 */
export const listLines = (rows: readonly ListRow[], columns: number | undefined): string[] => {
  const shownRows = rows.map((row) => ({
    key: row.key,
    value: row.badValue === undefined ? row.value || '-' : `✖ ${row.badValue.given ?? '(hidden)'}`,
    source: row.badValue?.source ?? row.source,
    about: row.invalid === undefined ? row.description : `✖ ${row.invalid}`,
  }));
  const width = Math.max(...shownRows.map((row) => row.key.length));
  const valueWidth = columns === undefined ? Math.max(...shownRows.map((row) => Array.from(row.value).length)) : VALUE_WIDTH;
  const sourceWidth = Math.max(12, ...shownRows.map((row) => row.source.length));
  const head = width + 2 + valueWidth + 2 + sourceWidth + 2;
  const beneath = columns !== undefined && columns - head < ABOUT_MIN_WIDTH;
  const lines: string[] = [];
  for (const row of shownRows) {
    const shown = columns === undefined ? row.value : middleTruncate(row.value, VALUE_WIDTH);
    const line = `${row.key.padEnd(width)}  ${shown.padEnd(valueWidth)}  ${row.source}`;
    if (beneath) {
      lines.push(line, ...wrapWords(row.about, columns - ABOUT_INDENT.length, 0).map((each) => `${ABOUT_INDENT}${each}`));
      continue;
    }
    const [first = '', ...more] = wrapWords(row.about, columns === undefined ? undefined : columns - head, 0);
    lines.push(`${line.padEnd(head - 2)}  ${first}`, ...more.map((each) => `${' '.repeat(head)}${each}`));
  }
  return lines;
};
