import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { VidbotError } from '../../src/lib/errors.ts';
import { createProvider, resolveProviderName } from '../../src/lib/video-provider/registry.ts';

const config = (env: Record<string, string>) => loadConfig({ env: { VIDBOT_DATA_DIR: '/tmp/vidbot-registry', ...env }, cwd: '/tmp', dotenv: false }).config;
const context = { ffmpeg: { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' }, webhooks: false };

describe('which provider a configuration gets', () => {
  it('on auto: replicate, then fal, then cog by what is set, else local', () => {
    expect(resolveProviderName(config({}))).toBe('local');
    expect(resolveProviderName(config({ VIDBOT_COG_URL: 'http://gpu-box:5000' }))).toBe('cog');
    expect(resolveProviderName(config({ VIDBOT_COG_URL: 'http://gpu-box:5000', FAL_KEY: 'k:s' }))).toBe('fal');
    expect(resolveProviderName(config({ VIDBOT_COG_URL: 'http://gpu-box:5000', FAL_KEY: 'k:s', REPLICATE_API_TOKEN: 'r8_x' }))).toBe('replicate');
    expect(resolveProviderName(config({ VIDBOT_PROVIDER: 'local', FAL_KEY: 'k:s' }))).toBe('local');
  });

  it('names what is missing when a provider is asked for without it', async () => {
    for (const [provider, variable] of [['fal', 'FAL_KEY'], ['cog', 'VIDBOT_COG_URL'], ['replicate', 'REPLICATE_API_TOKEN']] as const) {
      const error = await createProvider(config({ VIDBOT_PROVIDER: provider }), context).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VidbotError);
      expect((error as VidbotError).code).toBe('VIDBOT_CONFIG_INVALID');
      expect((error as VidbotError).message).toBe(`The ${provider} provider needs ${variable}.`);
    }
  });

  it('refuses a provider vidbot does not have, listing the ones it has', () => {
    expect(() => config({ VIDBOT_PROVIDER: 'runway' })).toThrow(/auto, local, replicate, fal, cog/);
  });
});
