/** The latest log lines, with their times, wrapped to the width and filling the lines the terminal leaves. */
import { Box, Text } from 'ink';
import { clock, wrapText } from './format.ts';
import { PADDING } from './layout.ts';
import type { LogLine } from './state.ts';

const LEVEL_COLOR = { info: undefined, warn: 'yellow', error: 'red' } as const;
const TIME = 9;

interface VisualLine {
  readonly key: string;
  readonly time: string;
  readonly text: string;
  readonly level: LogLine['level'];
}

/** The newest lines that fit in `height` screen lines, oldest first; a long line wraps under its own text. */
export const visibleLog = (lines: readonly LogLine[], width: number, height: number): VisualLine[] => {
  const inner = width - 2 * PADDING;
  const shown: VisualLine[] = [];
  for (let index = lines.length - 1; index >= 0 && shown.length < height; index -= 1) {
    const line = lines[index];
    if (!line) continue;
    const wrapped = wrapText(line.text, inner - TIME, 0).map((text, part) => ({
      key: `${index}-${part}`,
      time: part === 0 ? clock(line.ts) : '',
      text,
      level: line.level,
    }));
    // The oldest line shown may be cut: its start, with its time, is what says what it was, and an
    // ellipsis says there was more.
    const room = height - shown.length;
    const kept = wrapped.slice(0, room);
    const last = kept.at(-1);
    if (wrapped.length > room && last !== undefined) kept[kept.length - 1] = { ...last, text: `${Array.from(last.text).slice(0, inner - TIME - 1).join('').trimEnd()}…` };
    shown.unshift(...kept);
  }
  return shown;
};

export const LogPane = ({ lines, width, height }: { lines: readonly LogLine[]; width: number; height: number }) => (
  <Box flexDirection="column">
    {visibleLog(lines, width, height).map((line) => (
      <Text key={line.key} color={LEVEL_COLOR[line.level]} wrap="truncate-end">
        <Text color="gray">{line.time.padEnd(TIME)}</Text>
        {line.text}
      </Text>
    ))}
  </Box>
);
