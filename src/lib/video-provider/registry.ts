/**
 * The video providers vidbot has, by name, and how each is made from the configuration. `auto`
 * takes the first remote provider whose credentials or URL are set, in this order, else the local
 * preview renderer; an ordered list (VIDBOT_PROVIDER=replicate,fal) makes a failover chain.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/settings.ts';
import { vidbotError } from '../errors.ts';
import { createLocalProvider } from './local.ts';
import type { CircuitBoard } from './failover/board.ts';
import type { VideoProvider } from './port.ts';

export type ProviderName = 'local' | 'replicate' | 'fal' | 'cog';

export interface ProviderContext {
  readonly ffmpeg: { readonly ffmpeg: string; readonly ffprobe: string };
  /** This process serves the webhook routes and has a public URL for them. */
  readonly webhooks: boolean;
  /** Told when a failover chain moves a task on from a provider. */
  readonly onWarning?: (message: string) => void;
  /** Where a failover chain shares what its circuits learn with the deployment's other processes. */
  readonly circuits?: CircuitBoard;
}

interface ProviderEntry {
  /** Whether the configuration has what this provider needs (its key or URL). */
  readonly configured: (config: Config) => boolean;
  /** The variable to set, for the error when it is asked for but not configured. */
  readonly needs: string;
  readonly create: (config: Config, context: ProviderContext) => Promise<VideoProvider>;
}

const webhookUrl = (config: Config, context: ProviderContext, name: string): { webhookUrl?: string } =>
  context.webhooks && config.publicBaseUrl ? { webhookUrl: `${config.publicBaseUrl}/${name}/webhook` } : {};

/** REPLICATE_API_BASE_URL (trimmed by the config) may be given with or without the /v1 the SDK expects. */
const replicateRoot = (url: string): string => {
  const parsed = new URL(url);
  return parsed.pathname === '/' ? `${parsed.origin}/v1` : url;
};

export const providers: Readonly<Record<ProviderName, ProviderEntry>> = {
  replicate: {
    configured: (config) => Boolean(config.replicateApiToken),
    needs: 'REPLICATE_API_TOKEN (from your Replicate account settings)',
    create: async (config, context) => {
      const { createReplicateProvider } = await import('./replicate.ts');
      return createReplicateProvider({
        apiToken: config.replicateApiToken ?? '',
        model: config.replicateModel,
        ffprobe: context.ffmpeg.ffprobe,
        timeoutMs: config.replicateTimeoutSec * 1000,
        maxDownloadBytes: config.downloadMaxBytes,
        cancelOnShutdown: config.replicateCancelOnShutdown,
        ...(config.replicateApiBaseUrl ? { baseUrl: replicateRoot(config.replicateApiBaseUrl) } : {}),
        ...webhookUrl(config, context, 'replicate'),
        ...(config.replicateWebhookSecret ? { webhookSecret: config.replicateWebhookSecret } : {}),
      });
    },
  },
  fal: {
    configured: (config) => Boolean(config.falKey),
    needs: 'FAL_KEY (from your fal.ai dashboard)',
    create: async (config, context) => {
      const { createFalProvider } = await import('./fal/index.ts');
      return createFalProvider({
        key: config.falKey ?? '',
        model: config.falModel,
        ffprobe: context.ffmpeg.ffprobe,
        maxDownloadBytes: config.downloadMaxBytes,
        ...(config.falApiBaseUrl ? { baseUrl: config.falApiBaseUrl } : {}),
        ...webhookUrl(config, context, 'fal'),
      });
    },
  },
  cog: {
    configured: (config) => Boolean(config.cogUrl),
    needs: 'VIDBOT_COG_URL (the model server, e.g. http://gpu-box:5000)',
    create: async (config, context) => {
      const { createCogProvider } = await import('./cog/index.ts');
      return createCogProvider({
        url: config.cogUrl ?? '',
        ffprobe: context.ffmpeg.ffprobe,
        maxDownloadBytes: config.downloadMaxBytes,
        // Webhook URLs signed with a secret that survives restarts when the server has an API key.
        ...(config.apiKey ? { webhookSecret: createHash('sha256').update(`cog-webhooks:${config.apiKey}`).digest('hex') } : {}),
        ...webhookUrl(config, context, 'cog'),
      });
    },
  },
  local: {
    configured: () => true,
    needs: '',
    create: async (_config, context) => createLocalProvider({ ffmpeg: context.ffmpeg.ffmpeg }),
  },
};

/** The order `auto` tries remote providers in. */
export const AUTO_ORDER: readonly ProviderName[] = ['replicate', 'fal', 'cog'];

/** The providers a configuration asks for, in failover order: its own list, or on auto the first configured one. */
export const providerChain = (config: Pick<Config, 'provider'> & Partial<Config>): ProviderName[] => {
  const names = config.provider.split(',') as (ProviderName | 'auto')[];
  if (names.includes('auto')) return [AUTO_ORDER.find((name) => providers[name].configured(config as Config)) ?? 'local'];
  return names as ProviderName[];
};

/** The provider a configuration asks for first (the only one, without failover). */
export const resolveProviderName = (config: Pick<Config, 'provider'> & Partial<Config>): ProviderName => providerChain(config)[0] ?? 'local';

export const createProvider = async (config: Config, context: ProviderContext): Promise<VideoProvider> => {
  const chain = providerChain(config);
  for (const name of chain) {
    const entry = providers[name];
    if (!entry.configured(config)) {
      throw vidbotError('VIDBOT_CONFIG_INVALID', `The ${name} provider needs ${entry.needs.split(' ')[0]}.`, {
        hint: `Set ${entry.needs}, or use the local preview (VIDBOT_PROVIDER=local; --provider local on the command line).`,
      });
    }
  }
  const made = await Promise.all(chain.map((name) => providers[name].create(config, context)));
  if (made.length === 1 && made[0]) return made[0];
  const { createFailoverProvider } = await import('./failover/provider.ts');
  return createFailoverProvider({
    providers: made,
    breaker: { outages: config.circuitOutages, cooldownMs: config.circuitCooldownSec * 1000 },
    ...(context.circuits ? { board: context.circuits } : {}),
    ...(context.onWarning ? { onFailover: context.onWarning } : {}),
  });
};
