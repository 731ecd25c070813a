import type { Config } from '../../lib/config/index.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import type { DashboardUrls } from '../dashboard/layout.ts';

export interface BannerInput {
  readonly config: Config;
  readonly port: number;
  readonly authTokenIsLocal: boolean;
  readonly runWorkers: boolean;
  readonly vidbot: Pick<Vidbot, 'provider' | 'polisher' | 'channels' | 'store' | 'queue' | 'mediaHost' | 'paths'>;
  readonly flags: { insecureSkipSignature?: boolean };
  /** The browser simulator is on. */
  readonly simulator?: boolean;
  /** The ngrok tunnel's URL, when one is open. */
  readonly tunnelUrl?: string;
  /** Why there is no tunnel although one was asked for. */
  readonly tunnelWarning?: string;
}

/** What a person needs right after start, once: for the dashboard's pinned header and log, and for the plain banner. */
export interface ServeDescription {
  /** The URLs the dashboard pins: where it listens and what to paste into Twilio. */
  readonly urls: DashboardUrls & { readonly local: string; readonly webhook: string };
  /** Facts worth a glance (health URL, adapters, model, data dir), logged once. */
  readonly facts: readonly string[];
  /** What will not work yet, logged once. */
  readonly warnings: readonly string[];
  /** The plain banner, for piped output and --no-tui. */
  readonly banner: readonly string[];
}

export const describeServe = (input: BannerInput): ServeDescription => {
  const { config, port, authTokenIsLocal, runWorkers, vidbot, flags } = input;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const local = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const publicUrl = config.publicBaseUrl ?? local;
  const ai = vidbot.provider.capabilities().ai;
  const labels: Record<string, string> = { replicate: 'Replicate', fal: 'fal', cog: 'Cog' };
  const cloud = vidbot.channels.all.some((channel) => channel.name === 'cloud-api');
  const cloudWebhook = cloud ? `${publicUrl}${config.whatsappWebhookPath}` : undefined;
  const urls = {
    local,
    webhook: `${publicUrl}/whatsapp/webhook`,
    statusCallback: `${publicUrl}/whatsapp/status`,
    ...(cloudWebhook ? { cloudWebhook } : {}),
    ...(input.simulator ? { simulator: `${local}/simulator` } : {}),
    ...(config.publicBaseUrl
      ? { public: config.publicBaseUrl, ...(input.tunnelUrl ? { publicVia: 'ngrok tunnel' } : {}) }
      // Said here in full: the log's warning scrolls away once jobs run.
      : { publicMissing: input.tunnelWarning ? 'none: the tunnel did not open; Twilio cannot fetch videos' : 'not set: Twilio cannot fetch videos (PUBLIC_BASE_URL)' }),
  };
  const facts = [
    `health: ${local}/health   metrics: ${local}/metrics`,
    `workers: ${runWorkers ? config.workerCount : 'none (--no-workers)'} · provider ${vidbot.provider.name} · channels ${vidbot.channels.all.map((channel) => channel.name).join(', ')} · store ${vidbot.store.name} · queue ${vidbot.queue.name} · media ${vidbot.mediaHost.name}`,
    `model: ${ai ? vidbot.provider.defaultModel : 'local preview (not AI)'} · polish: ${vidbot.polisher.name}`,
    `data: ${vidbot.paths.dataDir}`,
  ];
  // Each remote provider in use (all of a failover chain) posts its job updates to its own route.
  const webhookFacts = (vidbot.provider.members ?? [vidbot.provider])
    .filter((provider) => labels[provider.name] !== undefined)
    .map((provider) => ({ label: `${labels[provider.name]} webhook:`, url: `${publicUrl}/${provider.name}/webhook${config.publicBaseUrl ? '' : ' (not used: jobs are polled)'}` }));
  const webhookLines = new Map(webhookFacts.map((hook) => [`${hook.label} ${hook.url}`, `${hook.label.padEnd(50)}${hook.url}`]));
  facts.splice(1, 0, ...webhookLines.keys());
  const warnings: string[] = [];
  if (!config.publicBaseUrl) {
    warnings.push('PUBLIC_BASE_URL is not set: Twilio cannot fetch media from this machine, and signatures are checked against the local URL.');
  }
  if (cloud && !config.publicBaseUrl) warnings.push("PUBLIC_BASE_URL is not set: Meta cannot reach the Cloud API webhook (it needs a public https URL).");
  if (cloud && (!config.whatsappAppSecret || !config.whatsappVerifyToken)) {
    const missing = [!config.whatsappAppSecret && 'WHATSAPP_APP_SECRET', !config.whatsappVerifyToken && 'WHATSAPP_VERIFY_TOKEN'].filter(Boolean).join(' and ');
    warnings.push(`${missing} not set: the Cloud API webhook refuses Meta's ${config.whatsappAppSecret ? 'verification' : 'messages'} until it is.`);
  }
  if (!config.apiKey) warnings.push('VIDBOT_API_KEY is not set: /api/* and /test-send answer only to this machine.');
  if (authTokenIsLocal) {
    warnings.push(`TWILIO_AUTH_TOKEN is not set: webhooks are verified with a local token (${vidbot.paths.dataDir}/local-auth-token); \`vidbot sign\` uses it too.`);
  }
  if (flags.insecureSkipSignature) warnings.push('--insecure-skip-signature: anyone can post to the webhook. Use only for local experiments.');
  if (input.tunnelWarning) warnings.push(input.tunnelWarning);
  const stops = runWorkers
    ? `Ctrl-C stops (running jobs get ${config.shutdownGraceSec} s to finish, then go back to the queue).`
    : 'Ctrl-C stops (this process runs no jobs: workers elsewhere keep running theirs).';

  const banner = [
    `vidbot serving on ${local}`,
    ...(urls.simulator ? [`  simulator (chat with the bot in a browser): ${urls.simulator}`] : []),
    ...(input.tunnelUrl ? [`  tunnel: ${input.tunnelUrl} → http://127.0.0.1:${port} (ngrok)`] : []),
    `  webhook (Twilio → "When a message comes in", POST): ${urls.webhook}`,
    `  status callback:                                  ${urls.statusCallback}`,
    ...(cloudWebhook
      ? [
          `  Cloud API (Meta app → WhatsApp → Configuration → Callback URL): ${cloudWebhook}`,
          `    verify token: ${config.whatsappVerifyToken ?? '(set WHATSAPP_VERIFY_TOKEN)'} · subscribe the "messages" field`,
        ]
      : []),
    ...facts.map((fact) => `  ${webhookLines.get(fact) ?? fact}`),
    ...warnings.map((warning) => `  ⚠ ${warning}`),
    `  ${stops}`,
  ];
  return { urls, facts: [...facts, stops.replace('Ctrl-C stops', 'Ctrl-C or q stops')], warnings, banner };
};
