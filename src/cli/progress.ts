import type { PipelineEvent } from '../lib/pipeline/events.ts';
import { formatDuration, madeByText } from './format.ts';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressView {
  onEvent(event: PipelineEvent): void;
  /** Prints a warning (a fallback, a retry) without breaking the bar. */
  warn(message: string): void;
  /** Clears a half-drawn bar, e.g. before an error is printed. */
  stop(): void;
}

const BAR_WIDTH = 24;
const RENDER_INTERVAL_MS = 100;

const bar = (percent: number): string => {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
};

const eta = (startedAt: number, percent: number): string => {
  if (percent <= 2 || percent >= 100) return '';
  const elapsed = Date.now() - startedAt;
  return ` eta ${formatDuration((elapsed * (100 - percent)) / percent)}`;
};

/**
 * Draws one progress bar per stage on a terminal (redrawn in place, throttled), and plain
 * one-line-per-step output elsewhere, so logs and pipes stay readable.
 */
export const createProgressView = (stream: Stream, options: { quiet?: boolean } = {}): ProgressView => {
  if (options.quiet) return { onEvent() {}, warn() {}, stop() {} };
  return stream.isTTY ? ttyView(stream) : plainView(stream);
};

const plainView = (stream: Stream): ProgressView => {
  const lastDecile = new Map<string, number>();
  const lastMessage = new Map<string, string>();
  return {
    onEvent(event) {
      switch (event.type) {
        case 'stage:start':
          stream.write(`${event.stage}: started\n`);
          break;
        case 'stage:progress': {
          // A new status or log line is always worth a line (a provider's live logs).
          if (event.message && event.message !== lastMessage.get(event.stage)) {
            lastMessage.set(event.stage, event.message);
            stream.write(`${event.stage}: ${event.message}\n`);
            break;
          }
          // Otherwise a line per 25% keeps CI logs short while still showing movement.
          if (event.percent === undefined) break;
          const step = Math.floor(event.percent / 25);
          if (step > (lastDecile.get(event.stage) ?? 0) && step < 4) {
            lastDecile.set(event.stage, step);
            stream.write(`${event.stage}: ${step * 25}%\n`);
          }
          break;
        }
        case 'stage:done':
          stream.write(`${event.stage}: done in ${formatDuration(event.durationMs)}${event.note ? ` (${event.note})` : ''}\n`);
          break;
        case 'stage:skip':
          stream.write(`${event.stage}: skipped (${event.reason})\n`);
          break;
        case 'made':
          stream.write(`made by ${madeByText(event)}\n`);
          break;
      }
    },
    warn(message) {
      stream.write(`warning: ${message}\n`);
    },
    stop() {},
  };
};

const ttyView = (stream: Stream): ProgressView => {
  let current: { stage: string; percent: number; message: string; startedAt: number } | undefined;
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!current) return;
    const now = Date.now();
    if (!force && now - lastDraw < RENDER_INTERVAL_MS) return;
    lastDraw = now;
    const label = current.stage.padEnd(9);
    const pct = `${Math.round(current.percent)}%`.padStart(4);
    const line = `${label} ${bar(current.percent)} ${pct}${eta(current.startedAt, current.percent)} ${current.message}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 80) - 1)}`);
  };
  const finishLine = (text: string) => {
    stream.write(`\r\x1b[2K${text}\n`);
    current = undefined;
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case 'stage:start':
          current = { stage: event.stage, percent: 0, message: '', startedAt: Date.now() };
          draw(true);
          break;
        case 'stage:progress':
          if (!current) break;
          if (event.percent !== undefined) current.percent = event.percent;
          if (event.message) current.message = event.message;
          draw();
          break;
        case 'stage:done':
          finishLine(`✔ ${event.stage.padEnd(9)} ${formatDuration(event.durationMs)}${event.note ? `  ${event.note}` : ''}`);
          break;
        case 'stage:skip':
          finishLine(`- ${event.stage.padEnd(9)} skipped (${event.reason})`);
          break;
        case 'made':
          // Between compress and publish: no bar is drawn then.
          stream.write(`\r\x1b[2K  made by ${madeByText(event)}\n`);
          break;
      }
    },
    warn(message) {
      stream.write(`\r\x1b[2K⚠ ${message}\n`);
      draw(true);
    },
    stop() {
      if (current) stream.write('\r\x1b[2K');
      current = undefined;
    },
  };
};
