import { access, constants } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { healthSchema, liveSchema, readySchema, rootSchema } from '../schemas/service.ts';

export interface WorkerStatus {
  readonly running: number;
  readonly concurrency: number;
  readonly paused: boolean;
  /** With Redis: the worker processes counted (this one's and those heard from), and their machines. */
  readonly processes?: number;
  readonly machines?: number;
}

export interface HealthRouteDeps {
  readonly vidbot: Pick<Vidbot, 'store' | 'queue' | 'provider' | 'polisher' | 'mediaHost' | 'channels' | 'ffmpeg' | 'budget'>;
  readonly version: string;
  readonly workers: () => WorkerStatus;
  readonly apiAuth: 'api-key' | 'local-only';
  readonly signatureCheck: boolean;
  readonly publicBaseUrl?: string;
  /** Routes that exist only in some setups: the channels' webhooks, the simulator. */
  readonly extraEndpoints: readonly string[];
}

const check = async <T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> => {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
};

const ENDPOINTS = [
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /replicate/webhook',
  'GET /media/:file',
  'POST /api/generate-video',
  'GET /api/session-history/:sid',
  'GET /api/list-videos',
  'GET /api/tasks',
  'GET /api/tasks/:id',
  'POST /api/tasks/:id/cancel',
  'POST /api/tasks/:id/retry',
  'GET /api/events',
  'POST /api/workers/pause',
  'POST /api/workers/resume',
  'POST /test-send',
  'GET /openapi.json',
  'GET /docs',
];

export const healthRoutes = (app: FastifyInstance, deps: HealthRouteDeps): void => {
  const { vidbot } = deps;
  const started = Date.now();

  // The channels' own webhooks first (what a person pastes into a console), then the rest.
  const endpoints = [...deps.extraEndpoints, ...ENDPOINTS];
  app.get('/', { schema: rootSchema }, async () => ({ name: 'vidbot', status: 'ok', version: deps.version, endpoints }));

  // `counted`: the store's task count too (/health); readiness, probed every few seconds, skips it,
  // since counting reads every task's index entry.
  const parts = (counted: boolean) =>
    Promise.all([
      // A real write: a full disk still answers reads, and a store that cannot write cannot take a webhook.
      check(async () => {
        await vidbot.store.probeWrite();
        return counted ? vidbot.store.countTasks() : undefined;
      }),
      check(() => vidbot.queue.counts()),
      check(() => access(vidbot.ffmpeg.ffmpeg, constants.X_OK).then(() => vidbot.ffmpeg.ffmpeg)),
    ]);

  // For orchestrators: live (the process answers; restart it otherwise) and ready (send it traffic).
  app.get('/health/live', { schema: liveSchema }, async () => ({ status: 'live', uptime_sec: Math.round((Date.now() - started) / 1000) }));
  app.get('/health/ready', { schema: readySchema }, async (_request, reply) => {
    const [store, queue, ffmpeg] = await parts(false);
    const ready = store.ok && queue.ok && ffmpeg.ok;
    const failing = { ...(store.ok ? {} : { store: store.error }), ...(queue.ok ? {} : { queue: queue.error }), ...(ffmpeg.ok ? {} : { ffmpeg: ffmpeg.error }) };
    return reply.status(ready ? 200 : 503).send(ready ? { status: 'ready' } : { status: 'unready', failing });
  });

  app.get('/health', { schema: healthSchema }, async (_request, reply) => {
    const { budget: daily } = vidbot;
    const [[store, queue, ffmpeg], budget] = await Promise.all([parts(true), daily ? check(() => daily.state()) : undefined]);
    const healthy = store.ok && queue.ok && ffmpeg.ok;
    return reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'unhealthy',
      version: deps.version,
      uptime_sec: Math.round((Date.now() - started) / 1000),
      store: store.ok ? { ok: true, name: vidbot.store.name, tasks: store.value } : { ok: false, name: vidbot.store.name, error: store.error },
      queue: queue.ok ? { ok: true, name: vidbot.queue.name, ...queue.value } : { ok: false, name: vidbot.queue.name, error: queue.error },
      workers: deps.workers(),
      ffmpeg: ffmpeg.ok ? { ok: true, path: ffmpeg.value } : { ok: false, error: ffmpeg.error },
      adapters: {
        provider: vidbot.provider.name,
        polisher: vidbot.polisher.name,
        media_host: vidbot.mediaHost.name,
        channels: vidbot.channels.all.map((channel) => channel.name),
        store: vidbot.store.name,
        queue: vidbot.queue.name,
      },
      security: {
        api: deps.apiAuth === 'api-key' ? 'bearer token (VIDBOT_API_KEY)' : 'this machine only (VIDBOT_API_KEY not set)',
        twilio_signature: deps.signatureCheck ? 'checked' : 'NOT CHECKED (--insecure-skip-signature)',
      },
      public_base_url: deps.publicBaseUrl ?? null,
      // A failover chain: each provider's circuit, as this process sees it.
      ...(vidbot.provider.circuits
        ? {
            providers: vidbot.provider.circuits().map((circuit) => ({
              provider: circuit.provider,
              state: circuit.state,
              outages: circuit.outages,
              retry_at: circuit.retryAt === undefined ? null : new Date(circuit.retryAt).toISOString(),
            })),
          }
        : {}),
      // Reached is not unhealthy: cached videos still go out, and tomorrow new ones do.
      ...(budget === undefined
        ? {}
        : {
            budget: budget.ok
              ? { limit: budget.value.limit, spent_today: budget.value.spent, reached: budget.value.reached, resets_at: new Date(budget.value.resetsAt).toISOString() }
              : { error: budget.error },
          }),
    });
  });
};
