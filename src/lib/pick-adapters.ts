/**
 * Which adapter each port gets, from the configuration: the embedded default, or the service or
 * engine its settings name. Heavy SDKs are imported only when picked.
 */
import type { Redis } from 'ioredis';
import { vidbotError } from './errors.ts';
import type { Config } from './config/settings.ts';
import { createLocalMediaHost } from './media-host/local.ts';
import type { MediaHost } from './media-host/port.ts';
import { createLocalMessenger } from './messenger/local.ts';
import { createTwilioMessenger } from './messenger/twilio.ts';
import type { Messenger } from './messenger/port.ts';
import { createPassthroughPolisher } from './polisher/passthrough.ts';
import type { PromptPolisher } from './polisher/port.ts';
import type { JobQueue } from './queue/port.ts';
import { createSqliteQueue } from './queue/sqlite/index.ts';
import type { Store } from './store/port.ts';
import { createSqliteStore } from './store/sqlite/index.ts';
import { createLocalProvider } from './video-provider/local.ts';
import type { VideoProvider } from './video-provider/port.ts';

/** What a task's queue job carries. */
export interface TaskJob {
  readonly taskId: string;
}

/** Twilio when its account, token and sender are all configured; the local recorder otherwise. */
export const pickMessenger = (config: Config, store: Store, enforceWindow: boolean): Messenger => {
  const { twilioAccountSid: accountSid, twilioAuthToken: authToken, twilioWhatsappFrom: from } = config;
  if (!accountSid || !authToken || !from) return createLocalMessenger({ store });
  return createTwilioMessenger({
    accountSid,
    authToken,
    from,
    store,
    enforceWindow,
    ...(config.publicBaseUrl ? { statusCallbackUrl: `${config.publicBaseUrl.replace(/\/+$/, '')}/whatsapp/status` } : {}),
    ...(config.twilioContentSid ? { contentSid: config.twilioContentSid } : {}),
    ...(config.twilioApiBaseUrl ? { apiBaseUrl: config.twilioApiBaseUrl } : {}),
  });
};

/** Replicate when asked for, or on auto when its token is set; the local renderer otherwise. */
export const pickProvider = async (
  config: Config,
  ffmpeg: { ffmpeg: string; ffprobe: string },
  webhooks: boolean,
): Promise<VideoProvider> => {
  const wantsReplicate = config.provider === 'replicate' || (config.provider === 'auto' && Boolean(config.replicateApiToken));
  if (!wantsReplicate) return createLocalProvider({ ffmpeg: ffmpeg.ffmpeg });
  if (!config.replicateApiToken) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', 'The replicate provider needs REPLICATE_API_TOKEN.', {
      hint: 'Set REPLICATE_API_TOKEN (from your Replicate account settings), or use --provider local.',
    });
  }
  const { createReplicateProvider } = await import('./video-provider/replicate.ts');
  const publicUrl = config.publicBaseUrl?.replace(/\/+$/, '');
  return createReplicateProvider({
    apiToken: config.replicateApiToken,
    model: config.replicateModel,
    ffprobe: ffmpeg.ffprobe,
    timeoutMs: config.replicateTimeoutSec * 1000,
    maxDownloadBytes: config.downloadMaxBytes,
    cancelOnShutdown: config.replicateCancelOnShutdown,
    ...(config.replicateApiBaseUrl ? { baseUrl: apiRoot(config.replicateApiBaseUrl) } : {}),
    ...(webhooks && publicUrl ? { webhookUrl: `${publicUrl}/replicate/webhook` } : {}),
    ...(config.replicateWebhookSecret ? { webhookSecret: config.replicateWebhookSecret } : {}),
  });
};

/** REPLICATE_API_BASE_URL may be given with or without the /v1 the SDK expects. */
const apiRoot = (url: string): string => {
  const parsed = new URL(url);
  return parsed.pathname === '/' ? `${parsed.origin}/v1` : url.replace(/\/+$/, '');
};

/** MongoDB when MONGODB_URI is set (the seed's database); the embedded SQLite file otherwise. */
export const pickStore = async (config: Config, database: string): Promise<Store> => {
  if (!config.mongodbUri) return createSqliteStore({ file: database });
  const { createMongoStore } = await import('./store/mongo/index.ts');
  return createMongoStore({ uri: config.mongodbUri, dbName: config.mongoDbName });
};

/** BullMQ on Redis when REDIS_URL is set; the embedded SQLite queue (in the store's file) otherwise. */
export const pickQueue = async (config: Config, database: string): Promise<{ queue: JobQueue<TaskJob>; redis?: Redis[] }> => {
  // One active job per sender: a burst from one user must not hold up everyone else.
  const leaseMs = config.jobLeaseSec * 1000;
  if (!config.redisUrl) return { queue: createSqliteQueue<TaskJob>({ file: database, maxActivePerGroup: 1, leaseMs }) };
  const { connectRedis, createBullmqQueue } = await import('./queue/bullmq/index.ts');
  // Bounded retries for adding jobs (a webhook answers an error Twilio retries, rather than hang);
  // unbounded for workers, which wait through a Redis restart.
  const redis = await connectRedis(config.redisUrl, { maxRetriesPerRequest: 20 });
  const workerRedis = redis.duplicate({ maxRetriesPerRequest: null });
  workerRedis.on('error', () => {});
  const queue = createBullmqQueue<TaskJob>({ connection: redis, workerConnection: workerRedis, name: 'tasks', prefix: 'vidbot', maxActivePerGroup: 1, leaseMs });
  return { queue, redis: [redis, workerRedis] };
};

/** Cloudinary when CLOUDINARY_URL is set, keeping a local copy to fall back on; local media otherwise. */
export const pickMediaHost = async (config: Config, dir: string, onWarning: ((message: string) => void) | undefined): Promise<MediaHost> => {
  const local = createLocalMediaHost({ dir, ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) });
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
