/**
 * How `vidbot serve` shows itself: the live Ink dashboard on a terminal, or plain log lines (JSON from
 * the server's logger, and the banner) when output is piped, in CI, or with --no-tui.
 */
import { Writable } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';
import type { ActivityFeed } from '../../lib/activity/feed.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import type { QueueWorker } from '../../lib/queue/port.ts';
import { backgroundLog } from '../../server/log-destination.ts';
import type { CliContext } from '../context.ts';
import { vidbotError } from '../../lib/errors.ts';
import { plural, shortId } from '../dashboard/format.ts';
import type { DashboardHandle } from '../dashboard/run.tsx';
import { watchOpenTasks } from '../dashboard/open-tasks.ts';
import { endedInTime } from '../format.ts';
import type { ServeDescription } from './serve-banner.ts';

export interface ServeView {
  readonly tui: boolean;
  /** The server's logger options: into the dashboard's log on a terminal, JSON lines on standard output (written in the background) otherwise. */
  readonly logger: NonNullable<FastifyServerOptions['logger']>;
  /** Fires when the user presses q (or Ctrl-C) in the dashboard. */
  readonly quit: AbortSignal;
  show(input: {
    description: ServeDescription;
    worker?: QueueWorker;
    /** What the dashboard draws (startServer's feed); plain output needs none. */
    feed?: ActivityFeed;
    vidbot: Vidbot;
  }): Promise<void>;
  /** The server is stopping: running jobs get `graceSec` to finish. */
  stopping(graceSec: number): void;
  /** Running jobs did not finish in time and go back to the queue. */
  handingBack(running: number): void;
  /** Stopped: the last frame says what happened to the running jobs (`handedBack` null: this process ran none). */
  stopped(handedBack: number | null): Promise<void>;
  /** Leaves the last frame on the terminal and gives it back. */
  close(): Promise<void>;
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

/** One of the server's pino log lines, as far as the view reads it. */
export interface LogEntry {
  level?: number;
  msg?: string;
  err?: { message?: string };
  channel?: string;
  kind?: string;
  taskId?: string;
  duplicate?: boolean;
  status?: string;
  errorCode?: string | number;
}

/** What the bot did with a message that queued nothing (its words stay out of the log). */
const REPLY_WORDS: Readonly<Record<string, string>> = {
  command: 'answered a command',
  model: 'answered about the models',
  'rate-limited': 'over the per-minute limit, told to wait',
  quota: "over today's limit, told so",
  repeat: 'asked again for a video it has or will get, told so',
  rejected: 'not a prompt it could use, told why',
};

/** A log entry as a line for a person: the webhook's entries say what came in; the rest say their message. */
export const describeEntry = (entry: LogEntry): string => {
  if (entry.msg === 'inbound message') {
    const what = entry.kind === 'ack' ? `queued ${shortId(entry.taskId ?? '')}` : (REPLY_WORDS[entry.kind ?? ''] ?? entry.kind ?? 'handled');
    return `${entry.channel ?? 'channel'} message${entry.duplicate ? ' (a duplicate)' : ''}: ${what}`;
  }
  if (entry.msg === 'delivery status') return `${entry.channel ?? 'channel'} delivery status: ${entry.status ?? '?'}${entry.errorCode ? ` (${entry.errorCode})` : ''}`;
  return [entry.msg, entry.err?.message].filter(Boolean).join(': ');
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
          const entry = JSON.parse(line) as LogEntry;
          // Request logs are too many for a screen; the dashboard shows what the workers do.
          if (entry.msg === 'incoming request' || entry.msg === 'request completed') continue;
          const text = describeEntry(entry);
          if (text) feed.log(LEVELS[entry.level ?? 30] ?? 'info', text);
        } catch {
          if (line.trim()) feed.log('info', line.trim());
        }
      }
      done();
    },
  });
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** VIDBOT_LOG_LEVEL, checked as every setting is (a level pino does not know crashed the server with its stack). */
const logLevel = (value: string | undefined): string => {
  const level = (value ?? '').trim().toLowerCase() || 'info';
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level;
  throw vidbotError('VIDBOT_CONFIG_INVALID', `VIDBOT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${value ?? ''}".`);
};

export const createServeView = (input: { context: CliContext; noTui?: boolean }): ServeView => {
  const { context } = input;
  const sink = createLogSink();
  const level = logLevel(context.env.VIDBOT_LOG_LEVEL);
  const stdout = context.stdout as NodeJS.WriteStream;
  const tui = !input.noTui && Boolean(stdout.isTTY) && !context.env.CI && process.stdin.isTTY === true;
  const quit = new AbortController();
  let dashboard: DashboardHandle | undefined;
  let stopTasks: (() => void) | undefined;
  const say = (line: string) => void context.stderr.write(`${line}\n`);
  // Plain output's last words say what happens to the jobs, as the dashboard's last frame does.
  let plain: { readonly worker?: QueueWorker; readonly vidbot: Vidbot } | undefined;
  let queuedAtStop: Promise<number | undefined> = Promise.resolve(undefined);
  let runningAtStop = 0;
  let shownQueue: Vidbot['queue'] | undefined;
  // Read as the stop begins, before the queue closes with the server: the last words say it (what the
  // dashboard saw of the queue misses jobs from before its start, or from other processes).
  const countQueued = () => {
    if (shownQueue === undefined) return;
    const counted = shownQueue.counts().then((counts) => counts.waiting + counts.delayed, () => undefined);
    // A queue that does not answer (Redis gone) must not hold the last line.
    queuedAtStop = Promise.race([counted, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref())]);
  };

  return {
    tui,
    logger: { level, stream: tui ? feedLogStream(sink) : backgroundLog() },
    quit: quit.signal,
    async show({ description, worker, feed, vidbot }) {
      shownQueue = vidbot.queue;
      if (!tui || feed === undefined) {
        for (const line of description.banner) say(line);
        plain = { vidbot, ...(worker ? { worker } : {}) };
        return;
      }
      sink.attach(feed);
      // Said once, in the log: the URLs stay pinned above it.
      for (const fact of description.facts) feed.log('info', fact);
      for (const warning of description.warnings) feed.log('warn', warning);
      // The feed reads the workers on its own tick; a toggle is shown at once.
      const report = () => feed.workers({ running: worker?.running ?? 0, concurrency: worker ? vidbot.config.workerCount : 0, paused: worker?.paused ?? false });
      report();
      // Loaded only here: React and Ink are not needed for piped output or any other command.
      const { runDashboard } = await import('../dashboard/run.tsx');
      const shown = runDashboard({
        source: feed,
        urls: description.urls,
        keys: { pause: worker !== undefined, retry: true },
        stdout,
        stdin: process.stdin,
        onQuit: () => quit.abort(),
        onInterrupt: context.interrupt ?? (() => quit.abort()),
        onTogglePause: () => {
          if (!worker) return;
          if (worker.paused) worker.resume();
          else worker.pause();
          report();
        },
        onRetry: async (jobId) => {
          const taskId = (await vidbot.queue.get(jobId))?.data.taskId ?? jobId;
          const queued = await vidbot.retryTask(taskId);
          return `Retrying ${shortId(queued.jobId ?? taskId)}: ${queued.videoId ? 'its video is sent again' : 'its video is made again'}.`;
        },
      });
      dashboard = shown;
      stopTasks = watchOpenTasks(vidbot.store, (event) => shown.send(event));
    },
    stopping(graceSec) {
      // The store closes with the server: stop reading it first.
      stopTasks?.();
      countQueued();
      if (dashboard) {
        dashboard.send({ type: 'stopping', graceSec, ts: Date.now() });
        return;
      }
      const worker = plain?.worker;
      const running = worker?.running ?? 0;
      runningAtStop = running;
      const jobs =
        worker === undefined
          ? 'this process runs no jobs; closing the server'
          : running === 0
            ? 'no job is running, and none will start; closing the server'
            : `${plural(running, 'running job')} ${running === 1 ? 'gets' : 'get'} up to ${graceSec} s to finish, and no new one starts; the server closes after`;
      say(`\nShutting down: ${jobs}...`);
    },
    handingBack(running) {
      if (!dashboard) say(`Handing ${plural(running, 'running job')} back to the queue.`);
    },
    async stopped(handedBack) {
      const queued = await queuedAtStop;
      if (dashboard) {
        dashboard.send({ type: 'stopped', handedBack, ...(queued === undefined ? {} : { waiting: queued }), ts: Date.now() });
        return;
      }
      // The jobs running when the stop began: each ended in time (done, failed or retried), or went back.
      const done = endedInTime(Math.max(0, runningAtStop - (handedBack ?? 0)), handedBack ?? 0);
      const parts = [
        ...(handedBack ? [`${plural(handedBack, 'running job')} went back to the queue`] : []),
        ...(queued ? [`${plural(queued, 'job')} ${queued === 1 ? 'waits' : 'wait'} in ${handedBack ? 'it' : 'the queue'}`] : []),
      ];
      const waiting = (handedBack ?? 0) + (queued ?? 0);
      // With Redis, other workers share the queue: the jobs need not wait for this one to start again.
      const [they, them] = waiting === 1 ? ['it runs', 'it'] : ['they run', 'them'];
      const runs = plain?.vidbot.config.redisUrl ? `${they} when a worker sharing the queue takes ${them}` : `${they} on the next start`;
      say(['Stopped.', done, parts.length === 0 ? '' : `${parts.join('; ')}: ${runs}.`].filter(Boolean).join(' '));
    },
    async close() {
      stopTasks?.();
      const shown = dashboard;
      dashboard = undefined;
      await shown?.finish();
    },
  };
};
