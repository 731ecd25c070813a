/**
 * Which adapter each port gets, from the configuration: the embedded default, or the service or
 * engine its settings name. Heavy SDKs are imported only when picked.
 */
import type { ActivityBus } from './activity/bus/port.ts';
import { openDatabase } from './sqlite/open.ts';
import type { Config } from './config/settings.ts';
import { createLocalMediaHost } from './media-host/local.ts';
import type { MediaHost } from './media-host/port.ts';
import { createCloudApiChannel } from './channel/cloud-api/index.ts';
import { createLocalChannel } from './channel/local/index.ts';
import type { Channel } from './channel/port.ts';
import { createTwilioChannel } from './channel/twilio/index.ts';
import { twilioWebhooks } from './channel/twilio/webhooks.ts';
import { createPassthroughPolisher } from './polisher/passthrough.ts';
import type { PromptPolisher } from './polisher/port.ts';
import type { JobQueue } from './queue/port.ts';
import { type SqliteJobQueue, createSqliteQueue } from './queue/sqlite/index.ts';
import type { TaskJob } from './tasks/deps.ts';
import type { Store } from './store/port.ts';
import { createDailyBudget, type DailyBudget } from './cost/budget.ts';
import { type PriceTable, parsePriceTable } from './cost/prices.ts';
import { openSharedStore, pickStoreKind } from './pick-store.ts';
import type { Redis } from 'ioredis';
import { type RedisWait, pickRedisQueue } from './pick-redis.ts';
import { createIngestJournal, journalQueueOf, recoveredText, replayJournals, type RunningJournal } from './ingest-journal/index.ts';
import { createSqliteStore } from './store/sqlite/index.ts';
import type { SharedJobs } from './store/sqlite/ingest.ts';
import { createOpenAITranscriber } from './transcriber/openai.ts';
import type { Transcriber } from './transcriber/port.ts';
import type { CircuitBoard } from './video-provider/failover/board.ts';
import type { VideoProvider } from './video-provider/port.ts';
import { createProvider } from './video-provider/registry.ts';

export type { RedisWait, TaskJob };

/** How a served vidbot checks its webhooks: the token Twilio-format requests are signed with. */
export interface InboundOptions {
  /** TWILIO_AUTH_TOKEN, or the local token `vidbot serve` makes when there is none. */
  readonly authToken: string;
  /** Accept unsigned requests (--insecure-skip-signature). */
  readonly skipSignature?: boolean;
}

/**
 * The default channel: Twilio when its account, token and sender are all configured; the local
 * recorder otherwise. Served (`inbound` given), the local one takes Twilio-format webhooks too, so
 * `vidbot sign --curl` works without an account. `onWarning` hears when reply buttons fall back to text.
 */
export const pickChannel = (config: Config, inbound: InboundOptions | undefined, onWarning?: (message: string) => void): Channel => {
  const { twilioAccountSid: accountSid, twilioAuthToken: authToken, twilioWhatsappFrom: from } = config;
  const skip = inbound?.skipSignature === true ? { skipSignature: true } : {};
  if (!accountSid || !authToken || !from) {
    return createLocalChannel(inbound ? { webhooks: twilioWebhooks({ channel: 'local', authToken: inbound.authToken, ...skip }) } : {});
  }
  return createTwilioChannel({
    accountSid,
    authToken,
    from,
    webhooks: { authToken: inbound?.authToken ?? authToken, ...skip },
    ...(config.publicBaseUrl ? { statusCallbackUrl: `${config.publicBaseUrl}/whatsapp/status` } : {}),
    ...(config.twilioContentSid ? { contentSid: config.twilioContentSid } : {}),
    ...(config.twilioApiBaseUrl ? { apiBaseUrl: config.twilioApiBaseUrl } : {}),
    ...(onWarning ? { onWarning } : {}),
  });
};

/** The Cloud API channel when its token and phone number id are configured. */
const pickCloudApi = (config: Config, inbound: InboundOptions | undefined, onWarning?: (message: string) => void): Channel | undefined => {
  if (!config.whatsappToken || !config.whatsappPhoneNumberId) return undefined;
  return createCloudApiChannel({
    token: config.whatsappToken,
    phoneNumberId: config.whatsappPhoneNumberId,
    baseUrl: config.whatsappGraphBaseUrl,
    version: config.whatsappGraphVersion,
    webhookPath: config.whatsappWebhookPath,
    templateLanguage: config.whatsappTemplateLanguage,
    ...(config.whatsappAppSecret ? { appSecret: config.whatsappAppSecret } : {}),
    ...(config.whatsappVerifyToken ? { verifyToken: config.whatsappVerifyToken } : {}),
    ...(config.whatsappTemplateName ? { templateName: config.whatsappTemplateName } : {}),
    ...(inbound?.skipSignature ? { skipSignature: true } : {}),
    ...(onWarning ? { onWarning } : {}),
  });
};

/**
 * Every configured channel, the default first: Twilio (or the local recorder) and Meta's Cloud API
 * side by side. With the Cloud API alone it is the default; served, the local channel still takes
 * `vidbot sign --curl` requests beside it.
 */
export const pickChannels = (config: Config, inbound: InboundOptions | undefined, onWarning?: (message: string) => void): Channel[] => {
  const main = pickChannel(config, inbound, onWarning);
  const cloud = pickCloudApi(config, inbound, onWarning);
  if (cloud === undefined) return [main];
  if (main.name === 'twilio') return [main, cloud];
  return inbound ? [cloud, main] : [cloud];
};

/**
 * The provider asked for (VIDBOT_PROVIDER; a list fails over), or on auto the first configured of
 * replicate, fal, cog; the local renderer otherwise. `onWarning` hears when a task fails over.
 */
export const pickProvider = async (
  config: Config,
  ffmpeg: { ffmpeg: string; ffprobe: string },
  webhooks: boolean,
  shared: { onWarning?: (message: string) => void; circuits?: CircuitBoard } = {},
): Promise<VideoProvider> => createProvider(config, { ffmpeg, webhooks, ...shared });

export interface StoreAndQueue {
  readonly store: Store;
  readonly queue: JobQueue<TaskJob>;
  /** The Redis client the queue adds jobs with, when REDIS_URL is set (shared limits use it too). */
  readonly redis?: Redis;
  /** How the processes sharing a Redis queue tell each other what their workers do; none without Redis. */
  readonly activityBus?: ActivityBus;
  /** Closes the queue opened here (releasing its workers' jobs) and its Redis clients. */
  readonly closeQueue: () => Promise<void>;
  /** Then the store opened here, and the shared file. */
  readonly closeStore: () => Promise<void>;
}

/**
 * The store (PostgreSQL or MongoDB when DATABASE_URL or MONGODB_URI is set, else the embedded
 * SQLite file) and the queue (BullMQ when REDIS_URL is set, else the embedded queue). Embedded both,
 * they share one connection, so a task and its job are written in one transaction; otherwise the
 * lifecycle adds the job after the task, and the sweep mends a crash between. Either may be given
 * instead (tests, plugins).
 */
/** The embedded queue on the store's connection, as the store adds a task's job and reads its place. */
export const sharedJobsOf = (queue: SqliteJobQueue<TaskJob>): SharedJobs => ({
  add: (task) => void queue.addWithin({ taskId: task.taskId }, { jobId: task.jobId ?? task.taskId, group: task.sessionId }),
  position: (jobId) => queue.positionWithin(jobId),
});

export const pickStoreAndQueue = async (
  config: Config,
  database: string,
  given: { store?: Store; queue?: JobQueue<TaskJob> } = {},
  waitForRedis?: RedisWait,
  onWarning?: (message: string) => void,
): Promise<StoreAndQueue> => {
  const queueClosers: Array<() => Promise<unknown>> = [];
  const storeClosers: Array<() => Promise<unknown>> = [];
  const run = (closers: Array<() => Promise<unknown>>) => async () => {
    for (const fn of closers.splice(0)) await fn().catch(() => {});
  };
  const closeQueue = run(queueClosers);
  const closeStore = run(storeClosers);
  try {
    const kind = given.store === undefined ? pickStoreKind(config) : undefined;
    const embeddedStore = kind === 'sqlite';
    const embeddedQueue = given.queue === undefined && !config.redisUrl;
    const db = embeddedStore && embeddedQueue ? openDatabase(database) : undefined;
    let queue = given.queue;
    let redis: Redis | undefined;
    let jobs: SharedJobs | undefined;
    let journal: RunningJournal | undefined;
    let replay: (() => number) | undefined;
    let activityBus: ActivityBus | undefined;
    if (queue === undefined) {
      if (embeddedQueue) {
        // One active job per sender: a burst from one user must not hold up everyone else.
        const sqlite = createSqliteQueue<TaskJob>({
          ...(db ? { db } : { file: database }),
          maxActivePerGroup: 1,
          leaseMs: config.jobLeaseSec * 1000,
        });
        if (db) {
          jobs = sharedJobsOf(sqlite);
          if (database !== ':memory:') {
            replay = () => replayJournals(db, database, sqlite.queueName);
            journal = createIngestJournal({
              file: database,
              db,
              queue: journalQueueOf(sqlite),
              ...(onWarning ? { onWarning } : {}),
            });
          }
        }
        queue = sqlite;
      } else {
        const picked = await pickRedisQueue(config, waitForRedis);
        queueClosers.push(() => picked.queue.close());
        // Before its connection quits: the last messages published go out first.
        queueClosers.push(() => picked.activityBus.close());
        activityBus = picked.activityBus;
        for (const client of picked.redis) queueClosers.push(() => client.quit().catch(() => client.disconnect()));
        queue = picked.queue;
        redis = picked.redis[0];
      }
      if (embeddedQueue) {
        const opened = queue;
        queueClosers.push(() => opened.close());
      }
    }
    let store = given.store;
    if (store === undefined) {
      store =
        kind === 'postgres' || kind === 'mongodb'
          ? await openSharedStore(kind, config)
          : createSqliteStore({ ...(db ? { db } : {}), file: database, checkpoints: 'background', ...(jobs ? { jobs } : {}), ...(journal ? { journal } : {}) });
      const opened = store;
      // The journal's units are written before the store closes.
      if (journal) storeClosers.push(() => (journal as RunningJournal).close());
      storeClosers.push(() => opened.close());
      if (replay !== undefined) {
        // Acknowledged messages a crash left in a journal go into the (migrated) tables before anything reads them.
        const replayed = replay();
        if (replayed > 0) onWarning?.(recoveredText(replayed));
      }
    }
    if (db) storeClosers.push(async () => db.close());
    return { store, queue, ...(redis ? { redis } : {}), ...(activityBus ? { activityBus } : {}), closeQueue, closeStore };
  } catch (error) {
    await closeQueue();
    await closeStore();
    throw error;
  }
};

/** Cloudinary when CLOUDINARY_URL is set, keeping a local copy to fall back on; local media otherwise. */
export const pickMediaHost = async (config: Config, dir: string, onWarning: ((message: string) => void) | undefined): Promise<MediaHost> => {
  const local = createLocalMediaHost({
    dir,
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    ...(config.mediaDir ? { shared: true } : {}),
  });
  if (!config.cloudinaryUrl) return local;
  const { createCloudinaryMediaHost } = await import('./media-host/cloudinary.ts');
  return createCloudinaryMediaHost({
    cloudinaryUrl: config.cloudinaryUrl,
    folder: config.cloudinaryFolder,
    fallback: local,
    ...(onWarning ? { logger: onWarning } : {}),
  });
};

/** OpenAI when its key is set and polishing is on; otherwise prompts go through as written. */
export const pickPolisher = async (config: Config, onWarning: ((message: string) => void) | undefined): Promise<PromptPolisher> => {
  if (!config.openaiApiKey || !config.polish) return createPassthroughPolisher();
  const { createOpenAIPolisher } = await import('./polisher/openai.ts');
  return createOpenAIPolisher({
    apiKey: config.openaiApiKey,
    model: config.openaiModel,
    timeoutMs: config.polishTimeoutSec * 1000,
    maxChars: config.promptMaxChars,
    ...(config.openaiBaseUrl ? { baseUrl: config.openaiBaseUrl } : {}),
    ...(onWarning ? { logger: onWarning } : {}),
  });
};

/**
 * OpenAI when its key is set and voice notes are on; none otherwise, and voice notes get a kind
 * refusal. The adapter loads the SDK on first use, so picking it costs nothing.
 */
export const pickTranscriber = (config: Config): Transcriber | undefined => {
  if (!config.openaiApiKey || !config.voiceNotes) return undefined;
  return createOpenAITranscriber({
    apiKey: config.openaiApiKey,
    model: config.openaiTranscribeModel,
    ...(config.openaiBaseUrl ? { baseUrl: config.openaiBaseUrl } : {}),
  });
};

/** The price table (validated when the configuration loaded) and the budget when VIDBOT_DAILY_BUDGET is set. */
export const pickCost = (config: Pick<Config, 'prices' | 'dailyBudget'>, store: Pick<Store, 'generationCosts'>): { prices: PriceTable; budget?: DailyBudget } => ({
  prices: parsePriceTable(config.prices ?? ''),
  ...(config.dailyBudget === undefined ? {} : { budget: createDailyBudget({ store, limit: config.dailyBudget }) }),
});
