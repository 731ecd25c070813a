import { once } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../lib/config/index.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { startServer } from '../../server/start.ts';
import { type CliContext, flag, loadCliConfig } from '../context.ts';
import { redisWait, stoppedWaiting } from './redis-wait.ts';
import { describeServe } from './serve-banner.ts';
import { type TunnelSetup, setUpTunnel } from './serve-tunnel.ts';
import { createServeView } from './serve-view.ts';

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
    port: flag('--port', flags.port),
    host: flag('--host', flags.host),
    trustProxy: flag('--trust-proxy', flags.trustProxy ? 'true' : undefined),
    workerCount: flag('--workers', typeof flags.workers === 'string' ? flags.workers : undefined),
    redisUrl: flag('--queue', flags.queue),
  };
  const loaded = await loadCliConfig(context, overrides);
  const tunnelSetup = await setUpTunnel(loaded.config, flags);
  // The tunnel's URL is the public base URL everything else is built with.
  const { config } = tunnelSetup.tunnel
    ? await loadCliConfig(context, { ...overrides, port: flag('--port', String(tunnelSetup.port)), publicBaseUrl: { value: tunnelSetup.tunnel.url } })
    : { config: Object.freeze({ ...loaded.config, port: tunnelSetup.port }) };
  try {
    await runServe(context, flags, config, tunnelSetup, runWorkers);
  } finally {
    // Also on any failure after the tunnel opened, so no ngrok session outlives the command.
    await tunnelSetup.tunnel?.close().catch(() => {});
  }
};

const runServe = async (context: CliContext, flags: ServeFlags, config: Config, tunnelSetup: TunnelSetup, runWorkers: boolean): Promise<void> => {
  // The simulator stands in for WhatsApp when there is no Twilio sender to talk to.
  const twilioReady = Boolean(config.twilioAccountSid && config.twilioAuthToken && config.twilioWhatsappFrom);
  const view = createServeView({ context, noTui: flags.tui === false });
  // Warnings go to the server's log once it exists; anything earlier goes to stderr.
  let warn = (message: string): void => void context.stderr.write(`warning: ${message}\n`);
  let unwatch: Array<() => void> = [];
  let atStart: { waiting: number; stalled: number } | undefined;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, {
      // Before the workers take a job: the log hears the jobs a restart resumes, and how many wait.
      setup: async ({ app, vidbot }) => {
        // The dashboard shows job transitions itself; log lines would say the same twice.
        if (!view.tui) unwatch = logQueueEvents(vidbot, app.log);
        const counts = await vidbot.queue.counts().catch(() => undefined);
        // On the embedded queue a job active now is another worker's (vidbot worker on the same data),
        // or was a stopped vidbot's; on Redis, many processes' jobs are: not this start's to tell.
        if (counts !== undefined) atStart = { waiting: counts.waiting, stalled: config.redisUrl === undefined ? counts.active : 0 };
      },
      env: { ...context.env },
      onWarning: (message) => warn(message),
      waitForRedis: redisWait(context),
      simulator: flags.simulator ?? !twilioReady,
      insecureSkipSignature: Boolean(flags.insecureSkipSignature),
      workers: runWorkers ? config.workerCount : 0,
      logger: view.logger,
      activity: view.tui,
    });
  } catch (error) {
    if (stoppedWaiting(context, error)) return;
    throw error;
  }
  const { app, vidbot, port } = server;
  warn = (message) => app.log.warn(message);
  for (const line of startLines(atStart, server.worker !== undefined)) app.log.info(line);

  const description = describeServe({
    config,
    port,
    authTokenIsLocal: server.authToken.local,
    runWorkers,
    vidbot,
    flags,
    simulator: server.simulator !== undefined,
    ...(tunnelSetup.tunnel ? { tunnelUrl: tunnelSetup.tunnel.url } : {}),
    ...(tunnelSetup.warning ? { tunnelWarning: tunnelSetup.warning } : {}),
  });
  try {
    await view.show({ description, vidbot, ...(server.feed ? { feed: server.feed } : {}), ...(server.worker ? { worker: server.worker } : {}) });
    const stop = AbortSignal.any([context.signal, view.quit]);
    if (!stop.aborted) await once(stop, 'abort');
    // The dashboard stays up while running jobs get their grace time, and its last frame says how they ended.
    view.stopping(config.shutdownGraceSec);
    let handedBack = 0;
    await server.close({
      onHandBack: (running) => {
        handedBack = running;
        view.handingBack(running);
      },
    });
    await view.stopped(server.worker ? handedBack : null);
  } finally {
    await view.close();
    for (const off of unwatch) off();
  }
};

/** What the queue holds as serve starts: jobs waiting, and jobs a stopped vidbot left running. */
export const startLines = (atStart: { waiting: number; stalled: number } | undefined, runsJobs: boolean): string[] => {
  if (atStart === undefined) return [];
  const lines: string[] = [];
  const { waiting, stalled } = atStart;
  if (waiting > 0) {
    const [jobs, them] = waiting === 1 ? ['1 job waits', 'it'] : [`${waiting} jobs wait`, 'them'];
    lines.push(`${jobs} in the queue: ${runsJobs ? `the workers take ${them} now` : `a worker process runs ${them} (this one runs none)`}.`);
  }
  if (stalled > 0) {
    const [jobs, them, each] = stalled === 1 ? ['1 job is', 'it', 'it runs'] : [`${stalled} jobs are`, 'them', 'each runs'];
    lines.push(`${jobs} marked running: by another worker, or by a vidbot that stopped without handing ${them} back, and then ${each} again once its lease runs out (VIDBOT_JOB_LEASE_SEC).`);
  }
  return lines;
};

/** One structured log line per job transition, so `vidbot serve` shows what the workers do. */
const logQueueEvents = (vidbot: Vidbot, log: FastifyBaseLogger): Array<() => void> => [
  vidbot.queue.on('active', (e) => log.info({ jobId: e.jobId, attempt: e.attempt, worker: e.workerId }, 'job started')),
  vidbot.queue.on('completed', (e) => log.info({ jobId: e.jobId, ms: e.durationMs }, 'job done')),
  vidbot.queue.on('retrying', (e) => log.warn({ jobId: e.jobId, attempt: e.attempt, delayMs: e.delayMs, error: e.error }, 'job will retry')),
  // A messenger out of reach fails the job, not yet its task: delivery rounds may follow (a warning says when).
  vidbot.queue.on('failed', (e) => log[e.errorCode === 'VIDBOT_MESSENGER_FAILED' ? 'warn' : 'error']({ jobId: e.jobId, code: e.errorCode, error: e.error }, 'job failed')),
  vidbot.queue.on('canceled', (e) => log.info({ jobId: e.jobId }, 'job canceled')),
  vidbot.queue.on('stalled', (e) => log.warn({ jobId: e.jobId }, 'job taken back from a worker that stopped')),
  // What a receipt decides once the job ended: the queue has nothing more to say of it.
  vidbot.tasks.onLateDelivery((e) =>
    e.arrived ? log.info({ taskId: e.taskId, jobId: e.jobId }, 'video delivered after all') : log.error({ taskId: e.taskId, jobId: e.jobId, error: e.reason }, 'video not delivered'),
  ),
];
