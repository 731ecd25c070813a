import type { Config } from '../../lib/config/index.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';

export interface BannerInput {
  readonly config: Config;
  readonly port: number;
  readonly authTokenIsLocal: boolean;
  readonly runWorkers: boolean;
  readonly vidbot: Pick<Vidbot, 'provider' | 'polisher' | 'channels' | 'store' | 'queue' | 'mediaHost' | 'paths'>;
  readonly flags: { insecureSkipSignature?: boolean };
}

/** What a person needs right after start: where it listens, what to paste into Twilio, and what will not work yet. */
export const bannerLines = ({ config, port, authTokenIsLocal, runWorkers, vidbot, flags }: BannerInput): string[] => {
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const local = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const publicUrl = config.publicBaseUrl ?? local;
  const lines = [
    `vidbot serving on ${local}`,
    `  webhook (Twilio → "When a message comes in", POST): ${publicUrl}/whatsapp/webhook`,
    `  status callback:                                  ${publicUrl}/whatsapp/status`,
    `  health: ${local}/health   metrics: ${local}/metrics`,
    `  workers: ${runWorkers ? config.workerCount : 'none (--no-workers)'} · provider ${vidbot.provider.name} · channels ${vidbot.channels.all.map((channel) => channel.name).join(', ')} · store ${vidbot.store.name} · queue ${vidbot.queue.name} · media ${vidbot.mediaHost.name}`,
    `  model: ${vidbot.provider.name === 'replicate' ? vidbot.provider.defaultModel : 'local preview (not AI)'} · polish: ${vidbot.polisher.name}`,
    `  data: ${vidbot.paths.dataDir}`,
  ];
  const warn = (text: string) => lines.push(`  ⚠ ${text}`);
  if (!config.publicBaseUrl) {
    warn('PUBLIC_BASE_URL is not set: Twilio cannot fetch media from this machine, and signatures are checked against the local URL.');
  }
  if (vidbot.provider.name === 'replicate') {
    lines.splice(4, 0, `  Replicate webhook:                                ${publicUrl}/replicate/webhook${config.publicBaseUrl ? '' : ' (not used: predictions are polled)'}`);
  }
  if (!config.apiKey) warn('VIDBOT_API_KEY is not set: /api/* and /test-send answer only to this machine.');
  if (authTokenIsLocal) {
    warn(`TWILIO_AUTH_TOKEN is not set: webhooks are verified with a local token (${vidbot.paths.dataDir}/local-auth-token); \`vidbot sign\` uses it too.`);
  }
  if (flags.insecureSkipSignature) warn('--insecure-skip-signature: anyone can post to the webhook. Use only for local experiments.');
  lines.push(`  Ctrl-C stops (running jobs get ${config.shutdownGraceSec} s to finish, then go back to the queue).`);
  return lines;
};
