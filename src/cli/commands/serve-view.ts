/**
 * How `vidbot serve` shows itself: the live Ink dashboard on a terminal, or plain log lines (JSON from
 * the server's logger, and the banner) when output is piped, in CI, or with --no-tui.
 */
import { Writable } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';
import type { ActivityFeed } from '../../lib/activity/feed.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import type { QueueWorker } from '../../lib/queue/port.ts';
import type { CliContext } from '../context.ts';

export interface ServeView {
  readonly tui: boolean;
  /** The server's logger options: into the dashboard's log on a terminal, JSON lines otherwise. */
  readonly logger: NonNullable<FastifyServerOptions['logger']>;
  /** Fires when the user presses q (or Ctrl-C) in the dashboard. */
  readonly quit: AbortSignal;
  show(input: {
    urls: { local: string; public?: string; webhook: string };
    banner: readonly string[];
    worker?: QueueWorker;
    /** What the dashboard draws (startServer's feed); plain output needs none. */
    feed?: ActivityFeed;
    vidbot: Vidbot;
  }): Promise<void>;
  close(): void;
}

const LEVELS: Readonly<Record<number, 'info' | 'warn' | 'error'>> = { 40: 'warn', 50: 'error', 60: 'error' };

/** Log lines held until the dashboard's feed exists (the server logs before it is drawn). */
interface LogSink {
  attach(feed: ActivityFeed): void;
  log(level: 'info' | 'warn' | 'error', text: string): void;
}

const createLogSink = (): LogSink => {
  let feed: ActivityFeed | undefined;
  const held: Array<['info' | 'warn' | 'error', string]> = [];
  return {
    attach(target) {
      feed = target;
      for (const [level, text] of held.splice(0)) target.log(level, text);
    },
    log(level, text) {
      if (feed) feed.log(level, text);
      else if (held.length < 200) held.push([level, text]);
    },
  };
};

/** pino writes one JSON object per line; the dashboard wants a level and a message. */
const feedLogStream = (feed: LogSink): Writable => {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string }; req?: unknown };
          // Request logs are too many for a screen; the dashboard shows what the workers do.
          if (entry.msg === 'incoming request' || entry.msg === 'request completed') continue;
          const text = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
          if (text) feed.log(LEVELS[entry.level ?? 30] ?? 'info', text);
        } catch {
          if (line.trim()) feed.log('info', line.trim());
        }
      }
      done();
    },
  });
};

export const createServeView = (input: { context: CliContext; noTui?: boolean }): ServeView => {
  const { context } = input;
  const sink = createLogSink();
  const level = context.env.VIDBOT_LOG_LEVEL ?? 'info';
  const stdout = context.stdout as NodeJS.WriteStream;
  const tui = !input.noTui && Boolean(stdout.isTTY) && !context.env.CI && process.stdin.isTTY === true;
  const quit = new AbortController();
  let unmount: (() => void) | undefined;
  let workerTimer: NodeJS.Timeout | undefined;

  return {
    tui,
    logger: tui ? { level, stream: feedLogStream(sink) } : { level },
    quit: quit.signal,
    async show({ urls, banner, worker, feed, vidbot }) {
      if (!tui || feed === undefined) {
        for (const line of banner) context.stderr.write(`${line}\n`);
        return;
      }
      sink.attach(feed);
      for (const line of banner.slice(1)) feed.log(line.includes('⚠') ? 'warn' : 'info', line.trim().replace(/^⚠ /, ''));
      const report = () => feed.workers({ running: worker?.running ?? 0, concurrency: worker ? vidbot.config.workerCount : 0, paused: worker?.paused ?? false });
      report();
      workerTimer = setInterval(report, 500);
      workerTimer.unref();
      // Loaded only here: React and Ink are not needed for piped output or any other command.
      const { runDashboard } = await import('../dashboard/run.tsx');
      const dashboard = runDashboard({
        source: feed,
        urls: { local: urls.local, webhook: urls.webhook, ...(urls.public ? { public: urls.public } : {}) },
        keys: { pause: worker !== undefined, retry: true },
        stdout,
        stdin: process.stdin,
        onQuit: () => quit.abort(),
        onTogglePause: () => {
          if (!worker) return;
          if (worker.paused) worker.resume();
          else worker.pause();
          report();
        },
        onRetry: async (jobId) => {
          const taskId = (await vidbot.queue.get(jobId))?.data.taskId ?? jobId;
          await vidbot.retryTask(taskId);
          return `Retrying ${taskId}.`;
        },
      });
      unmount = () => dashboard.unmount();
    },
    close() {
      clearInterval(workerTimer);
      unmount?.();
      unmount = undefined;
    },
  };
};
