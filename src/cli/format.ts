import { formatCost } from '../lib/cost/prices.ts';
import type { MediaInfo, TaskDelivery } from '../lib/domain.ts';
import { displayWidth } from '../lib/text.ts';

export const formatBytes = (bytes: number): string => {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
};

export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
};

/** One line a person can read: "6.0 s, 1.9 MB, h264 (High) 720x1280, aac (LC)". */
export const describeMedia = (info: MediaInfo): string => {
  const parts = [`${info.durationSec.toFixed(1)} s`, formatBytes(info.sizeBytes)];
  if (info.video) {
    const profile = info.video.profile ? ` (${info.video.profile})` : '';
    parts.push(`${info.video.codec}${profile} ${info.video.width ?? '?'}x${info.video.height ?? '?'}`);
  }
  if (info.audio) parts.push(`${info.audio.codec}${info.audio.profile ? ` (${info.audio.profile})` : ''}`);
  return parts.join(', ');
};

/** The machine-readable form of a probe, for --json output. */
export const mediaJson = (info: MediaInfo) => ({
  file: info.file,
  sizeBytes: info.sizeBytes,
  durationSec: Number(info.durationSec.toFixed(3)),
  video: info.video ?? null,
  audio: info.audio ?? null,
});

/** Who made a video, and what it took and cost, as every view says it. */
export interface MadeBy {
  readonly provider: string;
  readonly model: string;
  readonly runSec?: number | undefined;
  readonly cost?: number | undefined;
}

/**
 * "replicate minimax/video-01, ran 3.2 s, cost 0.50". A model named after its provider
 * (local-preview, fal-ai/...) says it alone, rather than "local local-preview".
 */
export const madeByText = (made: MadeBy, modelWidth = Number.POSITIVE_INFINITY): string => {
  const model = made.model.length > modelWidth ? `${made.model.slice(0, modelWidth - 1)}…` : made.model;
  const who = made.model.startsWith(`${made.provider}-`) ? model : `${made.provider} ${model}`;
  const ran = made.runSec === undefined ? '' : `, ran ${formatDuration(made.runSec * 1000)}`;
  return `${who}${ran}${made.cost === undefined ? '' : `, cost ${formatCost(made.cost)}`}`;
};

/** "delivered", "failed as text (63019)": the channel's word on a result, as its receipts last said. */
export const deliveryText = (delivery: Pick<TaskDelivery, 'status' | 'fallback' | 'errorCode'> & { readonly channel?: string }): string =>
  // The local channel carries nothing anywhere: its "delivered" means kept here.
  delivery.channel === 'local'
    ? 'not sent (no messenger set up)'
    : `${delivery.status}${delivery.fallback ? ` as ${delivery.fallback}` : ''}${delivery.errorCode ? ` (${delivery.errorCode})` : ''}`;

/** The terminal's width when stdout is one (a pipe or a file has none: its lines are never wrapped or cut). */
export const terminalColumns = (stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): number | undefined =>
  stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : undefined;

/**
 * `text` in lines at most `columns` characters wide, broken between words, each line after the
 * first indented by `indent` spaces (a terminal would wrap to its left edge, through the columns).
 * A word longer than a line (a path) stays whole. Without `columns`, one line. Not the dashboard's
 * wrapText: that one collapses runs of spaces (the doctor's aligned padding) and breaks long words.
 */
export const wrapWords = (text: string, columns: number | undefined, indent: number): string[] => {
  if (columns === undefined || displayWidth(text) <= columns) return [text];
  const room = Math.max(20, columns - indent);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const limit = lines.length === 0 ? columns : room;
    if (line !== '' && displayWidth(`${line} ${word}`) > limit) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.map((part, index) => (index === 0 ? part : `${' '.repeat(indent)}${part}`));
};

/** What became of the jobs running when a stop began, past those handed back: "The running job ended in time." */
export const endedInTime = (finished: number, handedBack: number): string => {
  if (finished === 0) return '';
  if (handedBack > 0) return `${finished} running ${finished === 1 ? 'job' : 'jobs'} ended in time.`;
  return finished === 1 ? 'The running job ended in time.' : `All ${finished} running jobs ended in time.`;
};

/** POSIX shell single quotes: nothing is special inside them except the quote itself. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** A task the library created and never ran: no job, so no worker will take it; "queued" would promise one. */
export const notRunText = (task: { readonly status: string; readonly jobId?: string | undefined }): string | undefined =>
  task.status === 'queued' && task.jobId === undefined ? 'created, not run (no job: runTask runs it)' : undefined;
