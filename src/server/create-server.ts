/**
 * The web side of vidbot on Fastify: Twilio's webhooks, the seed's JSON API, media for Twilio to
 * fetch, health and metrics, each route with a schema that checks its requests and goes into the
 * OpenAPI description at /openapi.json. Created from a wired Vidbot and Bot, so tests use `inject()`
 * and `vidbot serve` only adds listening, workers and shutdown.
 */
import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { modelOfferChoices } from '../lib/bot/models.ts';
import type { Receipt } from '../lib/channel/port.ts';
import type { Bot } from '../lib/bot/types.ts';
import type { ActivityFeed } from '../lib/activity/feed.ts';
import { createVidbotFeed } from '../lib/activity/vidbot-feed.ts';
import type { Vidbot } from '../lib/create-vidbot.ts';
import { createApiGuard, createBrowserGuard } from './auth.ts';
import { frameworkErrors, installErrorHandlers } from './errors.ts';
import { type ServerMetrics, createServerMetrics } from './metrics.ts';
import { openApiRoutes, registerOpenApi } from './openapi/document.ts';
import { apiRoutes } from './routes/api.ts';
import { type WorkerStatus, healthRoutes } from './routes/health.ts';
import { mediaRoutes } from './routes/media.ts';
import { providerWebhookRoutes } from './routes/provider-webhook.ts';
import { type WorkerControl, eventRoutes } from './routes/events.ts';
import { testSendRoutes } from './routes/test-send.ts';
import { channelRoutes } from './routes/channels.ts';
import { JOB_SCHEMA, TASK_SCHEMA } from './schemas/tasks.ts';
import { metricsSchema } from './schemas/service.ts';
import type { Simulator } from './simulator/index.ts';
import { installRequestLog } from './request-log.ts';
import { AJV_OPTIONS, installValidation, schemaErrorFormatter } from './validation.ts';

export interface CreateServerOptions {
  readonly vidbot: Vidbot;
  readonly bot: Bot;
  /** VIDBOT_API_KEY; without it /api/* and /test-send answer only to this machine. */
  readonly apiKey?: string;
  readonly publicBaseUrl?: string;
  readonly trustProxy?: boolean;
  /** The channels were made not to check signatures (startServer does both): said on each request and in /health. */
  readonly insecureSkipSignature?: boolean;
  /** Fastify's logger option; secrets in headers are redacted. Default: no logging. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest request body in bytes (default 256 KB; Twilio's forms are a few KB). */
  readonly bodyLimit?: number;
  /** What the workers of this process are doing, for /health. */
  readonly workers?: () => WorkerStatus;
  /** Pass your own to feed it worker events too (`vidbot serve` does); one is made otherwise. */
  readonly metrics?: ServerMetrics;
  /**
   * What the bot is doing, streamed at GET /api/events; one is made from the queue otherwise, which
   * hears no pipeline stages: a server running workers passes one fed their events (startServer does).
   */
  readonly activity?: ActivityFeed;
  /** This process's workers, for POST /api/workers/pause|resume. */
  readonly workerControl?: WorkerControl;
  /** The browser WhatsApp simulator (createSimulator); without it every /simulator route is a 404. */
  readonly simulator?: Pick<Simulator, 'register'>;
}

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-twilio-signature"]',
];

const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const createServer = async (options: CreateServerOptions): Promise<FastifyInstance> => {
  const { vidbot, bot } = options;
  const logger = options.logger === undefined || options.logger === false ? false : options.logger === true ? { redact: REDACT } : { redact: REDACT, ...options.logger };
  const app = Fastify({
    logger,
    // One line per request (request-log.ts) instead of Fastify's two: log lines cost a webhook as much as its own work.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors,
    ajv: AJV_OPTIONS,
    schemaErrorFormatter: schemaErrorFormatter(),
  });
  const metrics = options.metrics ?? createServerMetrics({ queue: vidbot.queue, store: vidbot.store });
  // Normalised once here (the config already trims it; a library caller may not have).
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  const version = packageVersion();
  await app.register(formbody);
  // Before any route, so the description sees them all.
  await registerOpenApi(app, { version, ...(publicBaseUrl ? { publicBaseUrl } : {}) });
  installErrorHandlers(app);
  installValidation(app);
  app.addSchema(TASK_SCHEMA);
  app.addSchema(JOB_SCHEMA);

  installRequestLog(app, (request, reply) =>
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000),
  );

  const guard = createApiGuard(options.apiKey);
  const insecure = options.insecureSkipSignature ?? false;
  const publicUrl = { trustProxy: options.trustProxy ?? false, ...(publicBaseUrl ? { publicBaseUrl } : {}) };
  const countingBot: Bot = {
    handleInbound: async (message, handleOptions) => {
      const reply = await bot.handleInbound(message, handleOptions);
      metrics.observeInbound(reply.duplicate ? 'duplicate' : reply.kind);
      return reply;
    },
  };

  const countingReceipts = {
    channels: vidbot.channels,
    tasks: vidbot.tasks,
    applyReceipt: async (receipt: Receipt) => {
      const outcome = await vidbot.applyReceipt(receipt);
      metrics.observeReceipt(receipt.status);
      return outcome;
    },
  };

  channelRoutes(app, { bot: countingBot, vidbot: countingReceipts, publicUrl, insecure });
  await providerWebhookRoutes(app, { provider: vidbot.provider });
  apiRoutes(app, { vidbot, guard });
  // Made on the first viewer, not at start: its counts poll is wasted on a server nobody watches.
  let ownFeed: ActivityFeed | undefined;
  app.addHook('onClose', async () => ownFeed?.close());
  const workers = options.workers ?? (() => ({ running: 0, concurrency: 0, paused: false }));
  const feed = (): ActivityFeed => options.activity ?? (ownFeed ??= createVidbotFeed(vidbot, { ownWorkers: workers }));
  eventRoutes(app, { feed, guard, ...(options.workerControl ? { workers: options.workerControl } : {}) });
  testSendRoutes(app, { vidbot, guard });
  mediaRoutes(app, { mediaHost: vidbot.mediaHost });
  healthRoutes(app, {
    vidbot,
    version,
    workers,
    apiAuth: options.apiKey ? 'api-key' : 'local-only',
    signatureCheck: !insecure,
    extraEndpoints: [
      ...vidbot.channels.all.flatMap((channel) => channel.webhooks.map((hook) => `${hook.method} ${hook.path}`)),
      // The page and what it calls (its API, scriptable too: the README's examples post to /simulator/send).
      ...(options.simulator ? ['GET /simulator', 'POST /simulator/send', 'POST /simulator/status', 'GET /simulator/history', 'GET /simulator/events'] : []),
    ],
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
  });
  options.simulator?.register(app, { store: vidbot.store, modelChoices: modelOfferChoices(vidbot.models) });
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.text()));
  await openApiRoutes(app, createBrowserGuard(options.apiKey));

  return app;
};
