import { once } from 'node:events';
import { createBot } from '../../lib/bot/index.ts';
import type { FastifyBaseLogger } from 'fastify';
import { type Vidbot, createVidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import { assertSharedMedia } from './deployment.ts';
import type { QueueWorker } from '../../lib/queue/port.ts';
import { loadLocalAuthToken } from '../../lib/twilio/local-token.ts';
import { createServer, createServerMetrics } from '../../server/index.ts';
import { createSimulator } from '../../server/simulator/index.ts';
import { type CliContext, loadCliConfig } from '../context.ts';
import { createActivityFeed } from '../../lib/activity/feed.ts';
import { drainWorkers } from './drain.ts';
import { redisWait } from './redis-wait.ts';
import { createServeView } from './serve-view.ts';
import { type TunnelSetup, setUpTunnel } from './serve-tunnel.ts';
import type { Config } from '../../lib/config/index.ts';
import { bannerLines } from './serve-banner.ts';

export interface ServeFlags {
  port?: string;
  host?: string;
  workers: string | boolean | undefined;
  trustProxy?: boolean;
  insecureSkipSignature?: boolean;
  queue?: string;
  tui?: boolean;
  tunnel?: boolean;
  domain?: string;
  simulator?: boolean;
}

export const serveCommand = async (context: CliContext, flags: ServeFlags): Promise<void> => {
  const runWorkers = flags.workers !== false;
  const overrides = {
    port: flags.port,
    host: flags.host,
    trustProxy: flags.trustProxy ? 'true' : undefined,
    workerCount: typeof flags.workers === 'string' ? flags.workers : undefined,
    redisUrl: flags.queue,
  };
  const loaded = await loadCliConfig(context, overrides);
  const tunnelSetup = await setUpTunnel(loaded.config, flags);
  // The tunnel's URL is the public base URL everything else is built with.
  const { config } = tunnelSetup.tunnel
    ? await loadCliConfig(context, { ...overrides, port: String(tunnelSetup.port), publicBaseUrl: tunnelSetup.tunnel.url })
    : { config: Object.freeze({ ...loaded.config, port: tunnelSetup.port }) };
  try {
    await runServe(context, flags, config, tunnelSetup, runWorkers);
  } finally {
    // Also on any failure after the tunnel opened, so no ngrok session outlives the command.
    await tunnelSetup.tunnel?.close().catch(() => {});
  }
};

const runServe = async (context: CliContext, flags: ServeFlags, config: Config, tunnelSetup: TunnelSetup, runWorkers: boolean): Promise<void> => {
  const authToken = config.twilioAuthToken ?? (await loadLocalAuthToken({ dataDir: config.dataDir }));
  // The simulator stands in for WhatsApp when there is no Twilio sender to talk to.
  const twilioReady = Boolean(config.twilioAccountSid && config.twilioAuthToken && config.twilioWhatsappFrom);
  let opened: Vidbot | undefined;
  const simulator =
    (flags.simulator ?? !twilioReady)
      ? createSimulator({
          store: () => (opened as Vidbot).store,
          authToken,
          ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
        })
      : undefined;
  // Warnings go to the server's log once it exists; anything earlier goes to stderr.
  let warn = (message: string): void => void context.stderr.write(`warning: ${message}\n`);
  const vidbot = await createVidbot(config, {
    env: { ...context.env },
    webhooks: true,
    onWarning: (message) => warn(message),
    waitForRedis: redisWait(context),
    ...(simulator ? { overrides: { messenger: simulator.messenger } } : {}),
  });
  opened = vidbot;
  try {
    assertSharedMedia(vidbot);
  } catch (error) {
    await vidbot.close();
    throw error;
  }
  const bot = createBot({ vidbot, ...(simulator ? { allowMediaUrl: simulator.allowMediaUrl } : {}) });
  const metrics = createServerMetrics({ queue: vidbot.queue });
  const feed = createActivityFeed({ queue: vidbot.queue });
  const view = createServeView({ context, feed, vidbot, noTui: flags.tui === false });
  let worker: QueueWorker | undefined;
  const app = await createServer({
    metrics,
    activity: feed,
    ...(simulator ? { simulator } : {}),
    workerControl: { pause: () => worker?.pause(), resume: () => worker?.resume() },
    vidbot,
    bot,
    authToken,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    trustProxy: config.trustProxy,
    insecureSkipSignature: Boolean(flags.insecureSkipSignature),
    logger: view.logger,
    workers: () => ({
      running: worker?.running ?? 0,
      concurrency: runWorkers ? config.workerCount : 0,
      paused: worker?.paused ?? false,
    }),
  });

  warn = (message) => {
    app.log.warn(message);
  };
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    feed.close();
    await vidbot.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw vidbotError('VIDBOT_INPUT_INVALID', `Port ${config.port} is already in use.`, {
        hint: 'Stop the other server or pick another port with --port.',
      });
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The dashboard shows job transitions itself; log lines would say the same twice.
  const unwatch = [metrics.watchQueue(vidbot.queue), ...(view.tui ? [] : logQueueEvents(vidbot, app.log))];
  if (runWorkers) {
    worker = vidbot.startWorkers({
      concurrency: config.workerCount,
      onEvent: (_taskId, event, jobId) => {
        metrics.observePipeline(event);
        // The feed follows jobs (a retried task runs under a new job id), like the queue's events.
        feed.pipeline(jobId, event);
      },
    });
  }

  const stopPruning = schedulePrune(vidbot, config.mediaRetentionDays, app.log);

  const banner = bannerLines({ config, port, authTokenIsLocal: !config.twilioAuthToken, runWorkers, vidbot, flags });
  if (tunnelSetup.tunnel) banner.splice(1, 0, `  tunnel: ${tunnelSetup.tunnel.url} → http://127.0.0.1:${port} (ngrok)`);
  if (tunnelSetup.warning) banner.push(`  ⚠ ${tunnelSetup.warning}`);
  const local = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
  const publicUrl = config.publicBaseUrl?.replace(/\/+$/, '');
  if (simulator) banner.splice(1, 0, `  simulator (chat with the bot in a browser): ${local}/simulator`);

  await view.show({
    urls: { local, webhook: `${publicUrl ?? local}/whatsapp/webhook`, ...(publicUrl ? { public: publicUrl } : {}) },
    banner,
    ...(worker ? { worker } : {}),
  });

  const stop = AbortSignal.any([context.signal, view.quit]);
  if (!stop.aborted) await once(stop, 'abort');
  view.close();
  context.stderr.write('\nShutting down: letting running jobs finish, then closing the server...\n');
  stopPruning();
  // Workers first, with the server (and tunnel) still up: a job that finishes in the grace time sends
  // a /media link that Twilio fetches after the message goes out.
  if (worker) await drainWorkers(worker, config.shutdownGraceSec, context.stderr);
  await app.close();
  for (const off of unwatch) off();
  feed.close();
  await vidbot.close();
  context.stderr.write('Stopped.\n');
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** With VIDBOT_MEDIA_RETENTION_DAYS, deletes old uploads at start and then daily. */
const schedulePrune = (vidbot: Vidbot, days: number | undefined, log: FastifyBaseLogger): (() => void) => {
  const prune = vidbot.mediaHost.prune?.bind(vidbot.mediaHost);
  if (!days || !prune) return () => {};
  const controller = new AbortController();
  const run = () =>
    void prune({ olderThanDays: days, signal: controller.signal }).then(
      ({ deleted }) => log.info({ deleted: deleted.length, olderThanDays: days }, 'pruned old uploads'),
      (error: unknown) => controller.signal.aborted || log.warn({ error: (error as Error).message }, 'pruning old uploads failed'),
    );
  run();
  const timer = setInterval(run, DAY_MS).unref();
  return () => {
    clearInterval(timer);
    controller.abort();
  };
};

/** One structured log line per job transition, so `vidbot serve` shows what the workers do. */
const logQueueEvents = (vidbot: Vidbot, log: FastifyBaseLogger): Array<() => void> => [
  vidbot.queue.on('active', (e) => log.info({ taskId: e.jobId, attempt: e.attempt, worker: e.workerId }, 'job started')),
  vidbot.queue.on('completed', (e) => log.info({ taskId: e.jobId, ms: e.durationMs }, 'job done')),
  vidbot.queue.on('retrying', (e) => log.warn({ taskId: e.jobId, attempt: e.attempt, delayMs: e.delayMs, error: e.error }, 'job will retry')),
  vidbot.queue.on('failed', (e) => log.error({ taskId: e.jobId, code: e.errorCode, error: e.error }, 'job failed')),
  vidbot.queue.on('canceled', (e) => log.info({ taskId: e.jobId }, 'job canceled')),
  vidbot.queue.on('stalled', (e) => log.warn({ taskId: e.jobId }, 'job taken back from a worker that stopped')),
];
