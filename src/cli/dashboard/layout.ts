/**
 * How the dashboard fits a terminal: the pinned header's lines, which table columns a width affords,
 * and how many lines the table and the log get. Pure, so a width or a height is a test case.
 */
import { middleTruncate } from './format.ts';

export interface DashboardUrls {
  /** Where this server listens. */
  readonly local?: string;
  /** The server a remote viewer watches (`vidbot status --watch`). */
  readonly server?: string;
  readonly webhook?: string;
  readonly statusCallback?: string;
  /** Meta's Cloud API callback URL, when that channel is on. */
  readonly cloudWebhook?: string;
  readonly simulator?: string;
  /** The public base URL, and what provides it ("ngrok tunnel"). */
  readonly public?: string;
  readonly publicVia?: string;
  /** Said in place of the public URL when there is none. */
  readonly publicMissing?: string;
}

export interface HeaderLine {
  readonly label: string;
  readonly value: string;
  readonly note?: string;
  readonly tone: 'title' | 'url' | 'warn';
}

/** The dashboard's horizontal padding: one column on each side. */
export const PADDING = 1;
const LABEL = 17;

const link = (label: string, url: string, inner: number, note?: string): HeaderLine[] => {
  const padded = label.padEnd(LABEL);
  const noted = note ? ` (${note})` : '';
  if (padded.length + url.length + noted.length <= inner) return [{ label: padded, value: url, ...(note ? { note: noted } : {}), tone: 'url' }];
  // A URL is copied whole: it gets a line of its own before anything is cut from it.
  if (padded.length + url.length <= inner) return [{ label: padded, value: url, tone: 'url' }];
  return [
    { label, value: '', ...(note ? { note: noted } : {}), tone: 'url' },
    { label: '  ', value: middleTruncate(url, inner - 2), tone: 'url' },
  ];
};

/** The pinned lines: where it listens, then each URL a person needs, each on its own line. */
export const headerLines = (urls: DashboardUrls, width: number): HeaderLine[] => {
  const inner = width - 2 * PADDING;
  const title = urls.local ? `serving on ${urls.local}` : urls.server ? `watching ${urls.server}` : '';
  const lines: HeaderLine[] = [{ label: 'vidbot', value: title, tone: 'title' }];
  if (urls.webhook) lines.push(...link('webhook (POST)', urls.webhook, inner));
  if (urls.statusCallback) lines.push(...link('status callback', urls.statusCallback, inner));
  if (urls.cloudWebhook) lines.push(...link('Cloud API', urls.cloudWebhook, inner));
  if (urls.simulator) lines.push(...link('simulator', urls.simulator, inner));
  if (urls.public) lines.push(...link('public URL', urls.public, inner, urls.publicVia));
  else if (urls.publicMissing) lines.push({ label: 'public URL'.padEnd(LABEL), value: urls.publicMissing, tone: 'warn' });
  return lines;
};

export interface TableColumns {
  readonly job: number;
  /** 0: hidden. */
  readonly sender: number;
  /** Drop the channel from senders (whatsapp:). */
  readonly senderCompact: boolean;
  readonly prompt: number;
  /** 0: hidden (every job ran in one process). */
  readonly machine: number;
  readonly stage: number;
  /** 0: hidden; 4: the percent; wider: a bar too. */
  readonly progress: number;
  readonly elapsed: number;
  readonly eta: number;
  /** 0: hidden (a done row's stage says its cost instead). */
  readonly cost: number;
  readonly attempt: number;
}

/**
 * Columns for a terminal width: the least useful go first as it narrows, and no row is ever wider
 * than it. `machine`: jobs run in several processes, so say where each runs (a container id is 12).
 */
export const tableColumns = (width: number, options: { machine?: boolean; longestId?: number } = {}): TableColumns => {
  const inner = width - 2 * PADDING;
  const fixed = {
    // The selection mark and the short id, wider for a retried job's run shown ("c3d4e5f6#2").
    job: 1 + Math.min(Math.max(8, options.longestId ?? 8), 12),
    sender: inner >= 118 ? 19 : inner >= 68 ? 10 : 0,
    machine: options.machine ? (inner >= 118 ? 14 : inner >= 68 ? 10 : 0) : 0,
    stage: 12,
    progress: inner >= 108 ? 15 : inner >= 58 ? 4 : 0,
    elapsed: inner >= 118 ? 7 : 0,
    eta: inner >= 60 ? 5 : 0,
    cost: inner >= 96 ? 6 : 0,
    attempt: inner >= 70 ? 3 : 0,
  };
  const shown = Object.values(fixed).filter((cells) => cells > 0);
  // One space after every column but the last (the prompt sits between the others).
  const used = shown.reduce((sum, cells) => sum + cells, 0) + shown.length;
  return { ...fixed, senderCompact: fixed.sender < 19, prompt: Math.max(8, inner - used) };
};

export interface LineBudget {
  /** Rows of running, retrying and queued jobs shown. */
  readonly active: number;
  /** Finished rows shown under them, newest first. */
  readonly finished: number;
  /** Whether a "+ n more" line closes the table. */
  readonly more: boolean;
  readonly log: number;
}

const MIN_LOG = 4;
const MAX_FINISHED_SHOWN = 5;

/**
 * Splits the lines left after the fixed parts between the table and the log; jobs that wait or run
 * come before finished ones. The frame stays a line shorter than the terminal, since Ink redraws the
 * whole screen (flickering) once a frame fills it.
 */
export const lineBudget = (input: { height: number; fixed: number; active: number; finished: number; unlisted: boolean }): LineBudget => {
  const available = Math.max(0, input.height - 1 - input.fixed);
  const tableCap = Math.max(3, Math.floor(available * 0.6), Math.min(available - MIN_LOG, input.active + 1));
  let active = input.active;
  let finished = Math.min(input.finished, MAX_FINISHED_SHOWN);
  const more = () => active < input.active || finished < input.finished || input.unlisted;
  const lines = () => Math.max(1, active + finished + (more() ? 1 : 0));
  while (lines() > tableCap && finished > 0) finished -= 1;
  while (lines() > tableCap && active > 0) active -= 1;
  return { active, finished, more: more(), log: Math.max(MIN_LOG, available - lines()) };
};
