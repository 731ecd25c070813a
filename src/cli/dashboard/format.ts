/** Small text helpers of the dashboard: pure, so a row or a header line reads the same in every test. */
import { displayWidth, graphemeColumns, graphemes, terminalSafe } from '../../lib/text.ts';

/** Local wall-clock time, HH:MM:SS: what a person at the terminal compares with their own clock. */
export const clock = (ts: number): string => {
  const date = new Date(ts);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

/**
 * Task ids are UUIDs: 8 characters tell the jobs of one session apart, as git's short hashes do.
 * Their last 8, since new ids begin with the time (UUIDv7) and so begin alike for about a minute.
 * A task's later runs keep their number (`<task id>#2` reads `1a2b3c4d#2`), so a job's short id
 * starts with its task's, the one `vidbot status` lists.
 */
export const shortId = (id: string): string => {
  const run = /#\d+$/.exec(id);
  const base = run === null ? id : id.slice(0, run.index);
  return `${base.length > 12 ? base.slice(-8) : base}${run?.[0] ?? ''}`;
};

const PHONE = /^(?<channel>[a-z]+:)?(?<number>\+?\d{8,})$/;

/**
 * A sender shortened to fit and masked, since the terminal may be shared or filmed: the country and
 * area digits and the last four stay (whatsapp:+1555…1111); `compact` drops the channel.
 */
export const maskSender = (sender: string, compact: boolean): string => {
  const match = PHONE.exec(sender);
  if (!match?.groups) return sender;
  const number = match.groups.number ?? '';
  const masked = `${number.slice(0, 5)}…${number.slice(-4)}`;
  return compact ? masked : `${match.groups.channel ?? ''}${masked}`;
};

/** A rough time ahead, as the bot's acknowledgement words it: "~40s", "~3m", "~1h". */
export const aboutSeconds = (seconds: number): string => {
  if (seconds <= 0) return 'soon';
  if (seconds < 60) return `~${Math.max(5, Math.round(seconds / 5) * 5)}s`;
  if (seconds < 3600) return `~${Math.round(seconds / 60)}m`;
  return `~${Math.round(seconds / 3600)}h`;
};

/** A countdown that must not jump: whole seconds under two minutes, then minutes. */
export const inSeconds = (seconds: number): string => (seconds < 120 ? `${Math.max(0, Math.ceil(seconds))}s` : `${Math.round(seconds / 60)}m`);

export const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** Cuts the middle out of a string that cannot fit, keeping both ends (a URL's host and its path). */
export const middleTruncate = (text: string, width: number): string => {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${chars.slice(0, head).join('')}…${tail > 0 ? chars.slice(-tail).join('') : ''}`;
};

/**
 * Word-wraps text into lines of at most `width` characters (a word longer than a line is cut),
 * with continuation lines indented, so a pane can count its lines before Ink draws them.
 */
export const wrapText = (text: string, width: number, indent = 0): string[] => {
  const lines: string[] = [];
  // Counted in the terminal's columns: an emoji or a CJK character takes two.
  let line: string[] = [];
  let used = 0;
  const limit = () => Math.max(1, lines.length === 0 ? width : width - indent);
  const flush = () => {
    lines.push(`${lines.length === 0 ? '' : ' '.repeat(indent)}${line.join('')}`);
    line = [];
    used = 0;
  };
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const chars = graphemes(word);
    if (line.length > 0 && used + 1 + displayWidth(word) > limit()) flush();
    if (line.length > 0) {
      line.push(' ');
      used += 1;
    }
    for (const char of chars) {
      const columns = graphemeColumns(char);
      if (used + columns > limit() && line.length > 0) flush();
      line.push(char);
      used += columns;
    }
  }
  if (line.length > 0 || lines.length === 0) flush();
  return lines;
};

const BAR_CELLS = 10;

/** A small progress bar for wide terminals. */
export const bar = (percent: number, cells = BAR_CELLS): string => {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * cells);
  return `${'█'.repeat(filled)}${'░'.repeat(cells - filled)}`;
};

/** One line of a text that may hold several (ffmpeg's output after its error, a prompt's line breaks). */
export const oneLine = (text: string): string => terminalSafe(text.split('\n').find((line) => line.trim()) ?? '').replace(/\s+/g, ' ').trim();

/** Time spent, compact: "42s", "3m05s", "1h02m". */
export const elapsed = (ms: number): string => {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
};
