/**
 * The served bot's whole lifecycle in one call: the vidbot with its channels (and the simulator),
 * the bot, metrics, the activity feed, the Fastify app, listening, workers, media pruning, and a
 * graceful close. `vidbot serve`, the tests and the benchmark all start the server through it.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ActivityFeed } from '../lib/activity/feed.ts';
import { createVidbotFeed } from '../lib/activity/vidbot-feed.ts';
import { type CreateBotOptions, createBot } from '../lib/bot/create-bot.ts';
import type { Bot } from '../lib/bot/types.ts';
import { loadLocalAuthToken } from '../lib/channel/twilio/local-token.ts';
import type { Config } from '../lib/config/settings.ts';
import { type CreateVidbotOptions, type StartWorkersOptions, type Vidbot, createVidbot } from '../lib/create-vidbot.ts';
import { assertSharedMedia } from '../lib/deployment.ts';
import { vidbotError } from '../lib/errors.ts';
import { drainWorkers } from '../lib/queue/drain.ts';
import type { QueueWorker } from '../lib/queue/port.ts';
import { createServer } from './create-server.ts';
import { type ServerMetrics, createServerMetrics } from './metrics.ts';
import { schedulePrune } from './prune.ts';
import { type Simulator, type SimulatorOptions, createSimulator } from './simulator/index.ts';
import { showRelayed } from '../lib/channel/simulator/relay.ts';

export interface StartServerOptions extends Pick<CreateVidbotOptions, 'env' | 'ffmpeg' | 'onWarning' | 'waitForRedis' | 'overrides' | 'extraChannels'> {
  /** Listen on config.host and config.port (default true); false serves only through `app.inject()`. */
  readonly listen?: boolean;
  /** Jobs this process runs at once (default config.workerCount); 0 for the web side only. */
  readonly workers?: number;
  /** The browser WhatsApp simulator at /simulator, as a channel of its own (default off). */
  readonly simulator?: boolean | Omit<SimulatorOptions, 'authToken' | 'publicBaseUrl'>;
  /** The token Twilio-format webhooks are checked with: default TWILIO_AUTH_TOKEN, else the local token. */
  readonly authToken?: string;
  /** Accept unsigned webhooks (local experiments): warned about on every request. */
  readonly insecureSkipSignature?: boolean;
  /** Fastify's logger option (secrets in headers are redacted); default none. */
  readonly logger?: FastifyServerOptions['logger'];
  /**
   * Keep an activity feed even without workers or a bus (a dashboard's); with either there is always
   * one. A server with neither makes one for /api/events on demand.
   */
  readonly activity?: boolean;
  /** Largest request body in bytes (default 256 KB). */
  readonly bodyLimit?: number;
  /** The bot's tuning (rate limiter, clock, ETA basis); by default from the config. */
  readonly bot?: Omit<CreateBotOptions, 'vidbot'>;
  /** Every pipeline event of every job this process's workers run (besides metrics and the feed). */
  readonly onEvent?: StartWorkersOptions['onEvent'];
  /**
   * Your own routes, hooks or Fastify plugins, and listeners on the queue, added before the server
   * listens (Fastify takes no routes once it does) and before its workers take a job (so a listener
   * hears the jobs a restart resumes): `setup: ({ app }) => app.get('/hello', async () => 'hi')`.
   */
  readonly setup?: (server: { readonly app: FastifyInstance; readonly vidbot: Vidbot }) => unknown;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly vidbot: Vidbot;
  readonly bot: Bot;
  readonly metrics: ServerMetrics;
  readonly feed?: ActivityFeed;
  readonly simulator?: Simulator;
  readonly worker?: QueueWorker;
  /** The token webhooks are checked with, and whether it is the local one (made because Twilio's is not set). */
  readonly authToken: { readonly value: string; readonly local: boolean };
  /** The port it listens on (0 when not listening). */
  readonly port: number;
  /**
   * Stops gracefully: workers take no new jobs and running ones get `graceSec` (default
   * VIDBOT_SHUTDOWN_GRACE_SEC) to finish while the server still answers (Twilio may be fetching
   * their videos), then the rest go back to the queue, and everything closes.
   */
  close(options?: { graceSec?: number; onHandBack?: (running: number) => void }): Promise<void>;
}

/** Why the server could not listen, said as the setting that caused it: not a bug's stack trace. */
const listenError = (error: unknown, host: string, port: number): unknown => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return vidbotError('VIDBOT_PORT_IN_USE', `Port ${port} is already in use.`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return vidbotError('VIDBOT_CONFIG_INVALID', `Cannot listen on ${host} (${code}): it is not an address of this machine (--host / VIDBOT_HOST).`, {
      cause: error,
      hint: 'Use 127.0.0.1 for this machine only, 0.0.0.0 for every network it is on, or one of its own addresses.',
    });
  }
  if (code === 'EACCES') {
    return vidbotError('VIDBOT_CONFIG_INVALID', `Not allowed to listen on port ${port} (EACCES; --port / PORT).`, {
      cause: error,
      hint: 'Ports below 1024 need privileges: use a higher port (the default is 3000) behind a proxy or tunnel.',
    });
  }
  return error;
};

export const startServer = async (config: Config, options: StartServerOptions = {}): Promise<RunningServer> => {
  const local = config.twilioAuthToken === undefined && options.authToken === undefined;
  const authToken = options.authToken ?? config.twilioAuthToken ?? (await loadLocalAuthToken({ dataDir: config.dataDir }));
  const insecure = options.insecureSkipSignature ?? false;
  const simulator = options.simulator
    ? createSimulator({
        authToken,
        ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
        ...(typeof options.simulator === 'object' ? options.simulator : {}),
      })
    : undefined;
  const vidbot = await createVidbot(config, {
    ...(options.env ? { env: options.env } : {}),
    ...(options.ffmpeg ? { ffmpeg: options.ffmpeg } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.waitForRedis ? { waitForRedis: options.waitForRedis } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    providerWebhooks: options.listen !== false,
    inbound: { authToken, skipSignature: insecure },
    // Channels of the caller's own (their webhooks served beside the default's), and the simulator's.
    extraChannels: [...(options.extraChannels ?? []), ...(simulator ? [simulator.channel] : [])],
  });
  const undo: Array<() => Promise<unknown> | unknown> = [() => vidbot.close()];
  const unwind = async () => {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => {});
  };
  try {
    assertSharedMedia(vidbot);
    const workerCount = options.workers ?? config.workerCount;
    let worker: QueueWorker | undefined;
    const ownWorkers = () => ({ running: worker?.running ?? 0, concurrency: worker ? workerCount : 0, paused: worker?.paused ?? false });
    // From the start whenever this process runs workers: their stages, progress and makers reach
    // /api/events only through it (an on-demand feed hears the queue, not the pipeline), drawn or not.
    // With Redis too: /health sums every process's workers, heard on the bus.
    const feed = options.activity || vidbot.activityBus || workerCount > 0 ? createVidbotFeed(vidbot, { ownWorkers }) : undefined;
    if (feed) undo.push(() => feed.close());
    // The page shows what other processes' workers send its users (channel/simulator/relay.ts).
    if (simulator && vidbot.activityBus) undo.push(showRelayed(vidbot.activityBus, simulator.channel));
    // The ack's place in line follows the workers running now: every process's with Redis, else this one's.
    const liveWorkers = () => {
      const total = feed?.workersTotal();
      return total === undefined || total.processes === 0 ? ownWorkers() : total;
    };
    const bot = createBot({ vidbot, liveWorkers, ...(options.onWarning ? { onWarning: options.onWarning } : {}), ...options.bot });
    const metrics = createServerMetrics({ queue: vidbot.queue, store: vidbot.store });
    const app = await createServer({
      vidbot,
      bot,
      metrics,
      ...(feed ? { activity: feed } : {}),
      ...(simulator ? { simulator } : {}),
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
      trustProxy: config.trustProxy,
      insecureSkipSignature: insecure,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(workerCount > 0 ? { workerControl: { pause: () => worker?.pause(), resume: () => worker?.resume() } } : {}),
      // Health says what this process is set to run, also in the moment before its workers start;
      // with Redis, every worker process's too (the feed hears their heartbeats).
      workers: () => {
        const own = { ...ownWorkers(), concurrency: workerCount };
        const total = feed?.workersTotal();
        if (total === undefined || total.processes <= (worker ? 1 : 0)) return own;
        const starting = worker ? 0 : workerCount;
        return {
          running: total.running,
          concurrency: total.concurrency + starting,
          paused: total.paused,
          processes: total.processes + (starting > 0 ? 1 : 0),
          machines: total.machines,
        };
      },
    });
    undo.push(() => app.close());
    // Awaited when it returns a promise; not when it returns the app (thenable: awaiting it would make it ready).
    const added = options.setup?.({ app, vidbot });
    if (added instanceof Promise) await added;
    let port = 0;
    if (options.listen !== false) {
      await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
        throw listenError(error, config.host, config.port);
      });
      const address = app.server.address();
      port = typeof address === 'object' && address ? address.port : config.port;
    }
    const unwatch = metrics.watchQueue(vidbot.queue);
    undo.push(unwatch);
    if (workerCount > 0) {
      worker = vidbot.startWorkers({
        concurrency: workerCount,
        onEvent: (taskId, event, jobId) => {
          options.onEvent?.(taskId, event, jobId);
          metrics.observePipeline(event);
          // The feed follows jobs (a retried task runs under a new job id), like the queue's events.
          feed?.pipeline(jobId, event);
        },
      });
    }
    const stopPruning = schedulePrune(vidbot, config.mediaRetentionDays, app.log);
    let closing: Promise<void> | undefined;
    return {
      app,
      vidbot,
      bot,
      metrics,
      port,
      authToken: { value: authToken, local },
      ...(feed ? { feed } : {}),
      ...(simulator ? { simulator } : {}),
      ...(worker ? { worker } : {}),
      close(closeOptions = {}) {
        closing ??= (async () => {
          stopPruning();
          // Workers first, with the server still up: a job that finishes in the grace time sends a
          // /media link that Twilio fetches after the message goes out.
          if (worker) await drainWorkers(worker, closeOptions.graceSec ?? config.shutdownGraceSec, closeOptions.onHandBack);
          await app.close();
          unwatch();
          feed?.close();
          await vidbot.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
};
