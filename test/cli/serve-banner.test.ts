/** What `vidbot serve` tells a person at start about Meta's Cloud API: the callback URL, the verify token, what is missing. */
import { describe, expect, it } from 'vitest';
import { describeServe } from '../../src/cli/commands/serve-banner.ts';
import { loadConfig } from '../../src/lib/config/index.ts';
import { headerLines } from '../../src/cli/dashboard/layout.ts';

const LOCAL = { name: 'local', defaultModel: 'local', capabilities: () => ({ ai: false, imageToVideo: true }) };

const vidbotWith = (channels: string[], provider: object = LOCAL) =>
  ({
    provider,
    polisher: { name: 'passthrough' },
    channels: { all: channels.map((name) => ({ name })) },
    store: { name: 'sqlite' },
    queue: { name: 'sqlite' },
    mediaHost: { name: 'local' },
    paths: { dataDir: '/data' },
  }) as never;

const describeWith = (env: Record<string, string>, channels: string[], provider?: object, runWorkers = true) =>
  describeServe({
    config: loadConfig({ env: { VIDBOT_DATA_DIR: '/data', ...env }, dotenv: false }).config,
    port: 3000,
    authTokenIsLocal: false,
    runWorkers,
    vidbot: vidbotWith(channels, provider),
    flags: {},
  });

describe('the serve banner and the Cloud API', () => {
  it('shows the callback URL and the verify token to paste into Meta\'s app dashboard, pinned in the dashboard too', () => {
    const served = describeWith({ PUBLIC_BASE_URL: 'https://bot.example.com', WHATSAPP_VERIFY_TOKEN: 'tea-for-two', WHATSAPP_APP_SECRET: 's' }, ['twilio', 'cloud-api']);
    expect(served.urls.cloudWebhook).toBe('https://bot.example.com/whatsapp/cloud');
    expect(served.banner.join('\n')).toContain('Callback URL): https://bot.example.com/whatsapp/cloud');
    expect(served.banner.join('\n')).toContain('verify token: tea-for-two');
    expect(served.warnings.join('\n')).not.toContain('WHATSAPP_');
    expect(headerLines(served.urls, 80).map((line) => `${line.label}${line.value}`).join('\n')).toContain('https://bot.example.com/whatsapp/cloud');
  });

  it('warns about what keeps Meta out, and says nothing of the Cloud API when it is off', () => {
    const bare = describeWith({}, ['cloud-api', 'local']);
    expect(bare.warnings.join('\n')).toContain('Meta cannot reach the Cloud API webhook');
    expect(bare.warnings.join('\n')).toContain('WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN not set');
    expect(bare.banner.join('\n')).toContain('verify token: (set WHATSAPP_VERIFY_TOKEN)');
    const off = describeWith({}, ['local']);
    expect(off.urls.cloudWebhook).toBeUndefined();
    expect(off.banner.join('\n')).not.toContain('Cloud API');
  });
});

describe('the serve banner and a failover chain', () => {
  it("names each provider's webhook route, in the chain's order", () => {
    const member = (name: string) => ({ name, defaultModel: `${name}-model`, capabilities: () => ({ ai: true, imageToVideo: true }) });
    const chain = { ...member('replicate,fal'), defaultModel: 'replicate-model', members: [member('replicate'), member('fal')] };
    const served = describeWith({ PUBLIC_BASE_URL: 'https://bot.example.com' }, ['twilio'], chain);
    const banner = served.banner.join('\n');
    expect(banner).toMatch(/Replicate webhook: +https:\/\/bot\.example\.com\/replicate\/webhook\n {2}fal webhook: +https:\/\/bot\.example\.com\/fal\/webhook/);
    expect(banner).toContain('provider replicate,fal');
    expect(served.facts).toContain('fal webhook: https://bot.example.com/fal/webhook');
  });

  it('says what Ctrl-C does to running jobs only where jobs run', () => {
    const withWorkers = describeWith({ VIDBOT_SHUTDOWN_GRACE_SEC: '10' }, ['twilio']).banner.join('\n');
    expect(withWorkers).toContain('Ctrl-C stops (running jobs get 10 s to finish, then go back to the queue).');
    const webOnly = describeWith({ VIDBOT_SHUTDOWN_GRACE_SEC: '10' }, ['twilio'], undefined, false).banner.join('\n');
    expect(webOnly).toContain('Ctrl-C stops (this process runs no jobs: workers elsewhere keep running theirs).');
    expect(webOnly).not.toContain('running jobs get');
  });
});
