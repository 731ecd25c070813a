/**
 * Every setting vidbot reads, with the environment variable that sets it. The variable names are
 * the seed bot's where it had one, so an existing .env keeps working.
 */
import type { SettingSpec } from './setting-spec.ts';
import { cloudApiDefaults, cloudApiSettings } from './settings-cloud.ts';
import { generationDefaults, generationSettings } from './settings-generation.ts';
import { storeDefaults, storeSettings } from './settings-store.ts';

export type { SettingSpec, SettingType } from './setting-spec.ts';

export const settings = {
  dataDir: { env: 'VIDBOT_DATA_DIR', type: 'string', description: 'Folder for the SQLite database and media files' },
  provider: {
    env: 'VIDBOT_PROVIDER',
    type: 'list',
    values: ['auto', 'local', 'replicate', 'fal', 'cog'],
    description:
      'Video provider, or an ordered list to fail over through (replicate,fal); auto picks replicate, then fal, then cog by which of REPLICATE_API_TOKEN, FAL_KEY, VIDBOT_COG_URL is set, else local',
  },
  polish: { env: 'VIDBOT_POLISH', type: 'bool', description: 'Polish prompts with OpenAI when OPENAI_API_KEY is set' },
  orientation: {
    env: 'VIDBOT_ORIENTATION',
    type: 'enum',
    values: ['portrait', 'landscape'],
    description: 'Default video orientation',
  },
  videoSeconds: { env: 'VIDBOT_VIDEO_SECONDS', type: 'int', min: 1, max: 60, description: 'Default video length' },
  promptMaxChars: {
    env: 'VIDBOT_PROMPT_MAX_CHARS',
    type: 'int',
    min: 1,
    max: 100_000,
    description: 'Longest prompt accepted, in characters as seen (an emoji is one)',
  },
  workerCount: { env: 'WORKER_COUNT', type: 'int', min: 1, max: 64, description: 'Jobs processed at once' },
  whatsappMaxBytes: {
    env: 'WHATSAPP_MAX_BYTES',
    type: 'int',
    min: 1,
    max: 2_000_000_000,
    description: 'Largest video sent to WhatsApp, in bytes',
  },
  rateLimitPerMinute: {
    env: 'VIDBOT_RATE_LIMIT',
    type: 'int',
    min: 1,
    max: 10_000,
    description: 'Prompts one sender may send per minute',
  },
  dailyLimit: {
    env: 'VIDBOT_DAILY_LIMIT',
    type: 'int',
    min: 0,
    max: 1_000_000,
    description: 'Videos one sender may ask for in 24 hours (0: no limit)',
  },
  deliveryRetrySec: {
    env: 'VIDBOT_DELIVERY_RETRY_SEC',
    type: 'int',
    min: 0,
    max: 86_400,
    description: 'How long a made video keeps being sent again while the messenger cannot be reached (0: only the job\'s own attempts)',
  },
  progressAfterSec: {
    env: 'VIDBOT_PROGRESS_AFTER_SEC',
    type: 'int',
    min: 0,
    max: 86_400,
    description: 'After a user has waited this long for a video, tell them once how long is left (0: never)',
  },
  port: { env: 'PORT', type: 'int', min: 0, max: 65_535, description: 'Port `vidbot serve` listens on' },
  host: { env: 'VIDBOT_HOST', type: 'string', description: 'Address `vidbot serve` binds to' },
  trustProxy: {
    env: 'VIDBOT_TRUST_PROXY',
    type: 'bool',
    description: 'Trust X-Forwarded-Proto/Host when checking Twilio signatures',
  },
  shutdownGraceSec: {
    env: 'VIDBOT_SHUTDOWN_GRACE_SEC',
    type: 'int',
    min: 0,
    max: 3600,
    description: 'On shutdown, how long running jobs may finish before going back to the queue',
  },
  jobLeaseSec: {
    env: 'VIDBOT_JOB_LEASE_SEC',
    type: 'int',
    min: 1,
    max: 3600,
    description: "How long a worker's claim on a job lasts without renewal: a dead worker's job runs elsewhere after it",
  },
  inboundMediaMaxBytes: {
    env: 'VIDBOT_INBOUND_MEDIA_MAX_BYTES',
    type: 'int',
    min: 1,
    max: 100_000_000,
    description: 'Largest image a user may send for image-to-video',
  },
  ffmpegBin: { env: 'FFMPEG_BIN', type: 'string', description: 'ffmpeg binary (path or command)' },
  publicBaseUrl: { env: 'PUBLIC_BASE_URL', type: 'url', description: 'Public https URL of the server' },
  apiKey: { env: 'VIDBOT_API_KEY', type: 'string', secret: true, description: 'The key for /api/*, /test-send, /openapi.json and /docs: a Bearer token, or the Basic password a browser sends' },
  ...storeSettings,
  redisUrl: { env: 'REDIS_URL', type: 'url', secret: true, example: 'redis://localhost:6379', description: 'Redis URL for the BullMQ queue' },
  twilioAccountSid: { env: 'TWILIO_ACCOUNT_SID', type: 'string', description: 'Twilio account SID' },
  twilioAuthToken: { env: 'TWILIO_AUTH_TOKEN', type: 'string', secret: true, description: 'Twilio auth token' },
  twilioWhatsappFrom: {
    env: 'TWILIO_WHATSAPP_FROM',
    type: 'string',
    description: 'Sender, e.g. whatsapp:+14155238886',
  },
  twilioContentSid: {
    env: 'TWILIO_CONTENT_SID',
    type: 'string',
    description: 'Approved template (HX...) sent outside the 24-hour window',
  },
  twilioApiBaseUrl: { env: 'TWILIO_API_BASE_URL', type: 'url', description: 'Twilio API base URL (emulators)' },
  ...cloudApiSettings,
  ...generationSettings,
  replicateApiToken: { env: 'REPLICATE_API_TOKEN', type: 'string', secret: true, description: 'Replicate API token' },
  replicateModel: { env: 'REPLICATE_MODEL', type: 'string', description: 'Replicate model' },
  replicateApiBaseUrl: { env: 'REPLICATE_API_BASE_URL', type: 'url', description: 'Replicate API base URL' },
  replicateTimeoutSec: {
    env: 'REPLICATE_TIMEOUT_SEC',
    type: 'int',
    min: 10,
    max: 86_400,
    description: 'Longest a Replicate prediction may run before it is canceled',
  },
  replicateWebhookSecret: {
    env: 'REPLICATE_WEBHOOK_SECRET',
    type: 'string',
    secret: true,
    description: 'Replicate webhook signing secret (whsec_...); fetched from Replicate when unset',
  },
  replicateCancelOnShutdown: {
    env: 'REPLICATE_CANCEL_ON_SHUTDOWN',
    type: 'bool',
    description: 'Cancel running predictions at shutdown instead of resuming them after a restart',
  },
  falKey: { env: 'FAL_KEY', type: 'string', secret: true, description: 'fal.ai API key (key_id:key_secret)' },
  falModel: { env: 'FAL_MODEL', type: 'string', description: 'fal.ai endpoint (text-to-video)' },
  falApiBaseUrl: {
    env: 'FAL_API_BASE_URL',
    type: 'url',
    description: "Sends fal's queue, platform and key-set requests to one other server (emulators, tests)",
  },
  cogUrl: { env: 'VIDBOT_COG_URL', type: 'url', description: 'Self-hosted Cog model server, e.g. http://gpu-box:5000' },
  downloadMaxBytes: {
    env: 'VIDBOT_DOWNLOAD_MAX_BYTES',
    type: 'int',
    min: 1,
    max: 10_000_000_000,
    description: 'Largest provider output vidbot downloads',
  },
  openaiApiKey: { env: 'OPENAI_API_KEY', type: 'string', secret: true, description: 'OpenAI key for prompt polish and voice notes' },
  openaiModel: { env: 'OPENAI_MODEL', type: 'string', description: 'OpenAI model that polishes prompts' },
  polishTimeoutSec: {
    env: 'VIDBOT_POLISH_TIMEOUT_SEC',
    type: 'int',
    min: 1,
    max: 300,
    description: 'Time limit of one prompt polish; the original prompt is used after it',
  },
  openaiBaseUrl: { env: 'OPENAI_BASE_URL', type: 'url', description: 'OpenAI API base URL' },
  voiceNotes: { env: 'VIDBOT_VOICE_NOTES', type: 'bool', description: 'Transcribe voice notes into prompts with OpenAI when OPENAI_API_KEY is set' },
  openaiTranscribeModel: { env: 'OPENAI_TRANSCRIBE_MODEL', type: 'string', description: 'OpenAI model that transcribes voice notes' },
  voiceNoteMaxBytes: {
    env: 'VIDBOT_VOICE_NOTE_MAX_BYTES',
    type: 'int',
    min: 1,
    // OpenAI's transcription API takes files up to 25 MB.
    max: 25_000_000,
    description: 'Largest voice note a user may send',
  },
  voiceNoteTimeoutSec: {
    env: 'VIDBOT_VOICE_NOTE_TIMEOUT_SEC',
    type: 'int',
    min: 1,
    max: 60,
    description: "Time to fetch and transcribe a voice note while the webhook waits (Twilio's own limit is 15 s)",
  },
  ngrokAuthtoken: { env: 'NGROK_AUTHTOKEN', type: 'string', secret: true, description: 'ngrok authtoken; `vidbot serve` opens a tunnel when set' },
  ngrokDomain: { env: 'NGROK_DOMAIN', type: 'string', description: 'Reserved ngrok domain for the tunnel' },
  ngrokServerAddr: { env: 'NGROK_SERVER_ADDR', type: 'string', description: 'ngrok service address (self-hosted or test setups)' },
  cloudinaryUrl: {
    env: 'CLOUDINARY_URL',
    type: 'string',
    schemes: ['cloudinary://'],
    example: 'cloudinary://API_KEY:API_SECRET@CLOUD_NAME',
    secret: true,
    description: 'cloudinary://KEY:SECRET@CLOUD for media hosting',
  },
  mediaDir: {
    env: 'VIDBOT_MEDIA_DIR',
    type: 'string',
    description: 'Folder videos are published to and served from at /media (default: media in the data dir); set on every process to one folder they all mount, it is shared media',
  },
  cloudinaryFolder: { env: 'CLOUDINARY_FOLDER', type: 'string', description: 'Cloudinary folder for uploaded videos' },
  mediaRetentionDays: {
    env: 'VIDBOT_MEDIA_RETENTION_DAYS',
    type: 'int',
    min: 1,
    max: 36_500,
    description: 'Delete hosted uploads older than this many days (`vidbot media prune`); unset keeps them',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof settings;

type ValueOf<S extends SettingSpec> = S['type'] extends 'int' | 'decimal'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list' | 'prices'
      ? string
      : S extends { values: readonly (infer V)[] }
        ? V
        : string;

type Settings = typeof settings;

/** Settings that always have a value (a default). */
export const defaults = {
  provider: 'auto',
  polish: true,
  orientation: 'portrait',
  videoSeconds: 6,
  promptMaxChars: 1000,
  workerCount: 2,
  whatsappMaxBytes: 16_700_000,
  ...storeDefaults,
  rateLimitPerMinute: 10,
  dailyLimit: 0,
  progressAfterSec: 60,
  deliveryRetrySec: 1800,
  ...cloudApiDefaults,
  ...generationDefaults,
  port: 3000,
  host: '127.0.0.1',
  trustProxy: false,
  shutdownGraceSec: 10,
  jobLeaseSec: 30,
  inboundMediaMaxBytes: 5_000_000,
  replicateModel: 'minimax/video-01',
  replicateTimeoutSec: 1800,
  replicateCancelOnShutdown: false,
  falModel: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video',
  downloadMaxBytes: 500_000_000,
  openaiModel: 'gpt-4.1-mini',
  polishTimeoutSec: 10,
  voiceNotes: true,
  openaiTranscribeModel: 'gpt-4o-mini-transcribe',
  voiceNoteMaxBytes: 5_000_000,
  voiceNoteTimeoutSec: 8,
  cloudinaryFolder: 'vidbot',
} as const satisfies Partial<{ [K in SettingKey]: ValueOf<Settings[K]> }>;

type DefaultedKey = keyof typeof defaults;

export type Config = Readonly<
  { [K in DefaultedKey]: ValueOf<Settings[K]> } & {
    [K in Exclude<SettingKey, DefaultedKey>]?: ValueOf<Settings[K]>;
  } & { dataDir: string }
>;

export type ConfigSource = 'default' | 'saved settings' | '.env' | 'environment' | 'flag';

/** Looks a setting up by its key (workerCount) or its variable (WORKER_COUNT), in any case. */
export const findSetting = (name: string): SettingKey | undefined => {
  const wanted = name.trim().toLowerCase().replace(/[-_]/g, '');
  return (Object.keys(settings) as SettingKey[]).find(
    (key) => key.toLowerCase() === wanted || settings[key].env.toLowerCase().replace(/_/g, '') === wanted,
  );
};
