import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSetting, loadConfig, maskSetting, openSavedSettings, readSavedSettings, savedSettingsPath } from '../../src/lib/config/index.ts';
import { VidbotError } from '../../src/lib/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('has working defaults with nothing configured', () => {
    const { config, sources } = loadConfig({ env: { HOME: dir }, cwd: dir });
    expect(config.workerCount).toBe(2);
    expect(config.whatsappMaxBytes).toBe(16_700_000);
    expect(config.promptMaxChars).toBe(1000);
    expect(config.provider).toBe('auto');
    expect(config.replicateModel).toBe('minimax/video-01');
    expect(config.dataDir).toBe(join(dir, '.local', 'share', 'vidbot'));
    expect(sources.workerCount).toBe('default');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('layers saved < .env < environment < flags', async () => {
    await writeFile(join(dir, '.env'), 'WORKER_COUNT=3\nWHATSAPP_MAX_BYTES=5000000\nVIDBOT_ORIENTATION=landscape\n');
    const { config, sources } = loadConfig({
      env: { WHATSAPP_MAX_BYTES: '6000000', VIDBOT_ORIENTATION: 'portrait' },
      cwd: dir,
      stored: { workerCount: '5', videoSeconds: '4', orientation: 'landscape' },
      overrides: { orientation: 'landscape' },
    });
    expect(config.videoSeconds).toBe(4);
    expect(sources.videoSeconds).toBe('saved settings');
    expect(config.workerCount).toBe(3);
    expect(sources.workerCount).toBe('.env');
    expect(config.whatsappMaxBytes).toBe(6_000_000);
    expect(sources.whatsappMaxBytes).toBe('environment');
    expect(config.orientation).toBe('landscape');
    expect(sources.orientation).toBe('flag');
  });

  it('names the variable, the expectation, the value and its source on bad values', () => {
    const attempt = () => loadConfig({ env: { WORKER_COUNT: 'lots' }, cwd: dir });
    expect(attempt).toThrow(VidbotError);
    expect(attempt).toThrow('WORKER_COUNT must be a whole number from 1 to 64, got "lots" (from environment).');
    expect(() => loadConfig({ env: { PUBLIC_BASE_URL: 'example.com' }, cwd: dir })).toThrow(/PUBLIC_BASE_URL must be an absolute URL/);
    expect(() => loadConfig({ env: { VIDBOT_PROVIDER: 'sora' }, cwd: dir })).toThrow(/one of auto, local, replicate/);
    // A library caller's override, named as they wrote it.
    expect(() => loadConfig({ env: {}, cwd: dir, overrides: { workerCount: 0 } })).toThrow('WORKER_COUNT must be a whole number from 1 to 64, got 0 (from overrides.workerCount).');
  });

  it('takes an ordered list of providers, a price table and a budget, each checked and kept in one normal form', () => {
    const { config } = loadConfig({
      env: { VIDBOT_PROVIDER: ' replicate , fal ', VIDBOT_PRICES: 'Google/Veo-3.1 = 0.40/s,\nminimax/video-01=.5/video, cog=0.0008/gpu-s', VIDBOT_DAILY_BUDGET: '12.5' },
      cwd: dir,
    });
    expect(config).toMatchObject({ provider: 'replicate,fal', prices: 'google/veo-3.1=0.4/s,minimax/video-01=0.5/video,cog=0.0008/gpu-s', dailyBudget: 12.5 });
    expect(config).toMatchObject({ circuitOutages: 3, circuitCooldownSec: 120 });
    const bad = (env: Record<string, string>) => () => loadConfig({ env, cwd: dir });
    expect(bad({ VIDBOT_PROVIDER: 'replicate,sora' })).toThrow(/VIDBOT_PROVIDER must be one of auto, local, replicate, fal, cog, or several separated by commas/);
    expect(bad({ VIDBOT_PROVIDER: 'fal,fal' })).toThrow(/each once/);
    expect(bad({ VIDBOT_PROVIDER: 'auto,fal' })).toThrow(/auto alone/);
    expect(bad({ VIDBOT_PRICES: 'google/veo-3.1=0.40/minute' })).toThrow(/VIDBOT_PRICES must be model=amount\/unit pairs .*"google\/veo-3.1=0.40\/minute" is not model=amount\/unit with a unit of video, s or gpu-s/);
    expect(bad({ VIDBOT_PRICES: 'a/b=1/s,A/B=2/s' })).toThrow(/a\/b has two prices/);
    expect(bad({ VIDBOT_DAILY_BUDGET: 'ten' })).toThrow('VIDBOT_DAILY_BUDGET must be a number from 0 to 1000000000, got "ten" (from environment).');
    expect(() => loadConfig({ env: {}, cwd: dir, overrides: { provider: 'replicate,,x' }, overrideNames: { provider: '--provider' } })).toThrow(/^--provider must be one of/);
  });

  it('hints at the place to fix a bad value: the variable, the .env file, the saved setting or the option', async () => {
    const hintOf = (attempt: () => unknown): string => {
      try {
        attempt();
      } catch (error) {
        return (error as VidbotError).hint;
      }
      throw new Error('no error');
    };
    expect(hintOf(() => loadConfig({ env: { WORKER_COUNT: 'lots' }, cwd: dir }))).toBe('Fix the WORKER_COUNT environment variable, or unset it.');
    expect(hintOf(() => loadConfig({ env: {}, cwd: dir, stored: { workerCount: 'lots' } }))).toContain('vidbot config set WORKER_COUNT <value>');
    expect(hintOf(() => loadConfig({ env: {}, cwd: dir, overrides: { port: 'abc' } }))).toBe('Fix overrides.port where loadConfig is called.');
    await writeFile(join(dir, '.env'), 'WORKER_COUNT=lots\n');
    expect(hintOf(() => loadConfig({ env: {}, cwd: dir }))).toBe('Fix WORKER_COUNT in the .env file of this folder.');
  });

  it('hides secrets in error messages', () => {
    try {
      loadConfig({ env: { REDIS_URL: 'not a url with password hunter2' }, cwd: dir });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as VidbotError).code).toBe('VIDBOT_CONFIG_INVALID');
    }
  });

  it('treats empty variables as unset and resolves a relative data dir from cwd', () => {
    const { config } = loadConfig({ env: { WORKER_COUNT: '', VIDBOT_DATA_DIR: 'data' }, cwd: dir });
    expect(config.workerCount).toBe(2);
    expect(config.dataDir).toBe(join(dir, 'data'));
    // An empty flag was typed on purpose: checked like any value, not taken as unset.
    expect(() => loadConfig({ env: { VIDBOT_HOST: '' }, cwd: dir, overrides: { host: '' }, overrideNames: { host: '--host' } })).toThrow('--host must be a non-empty string, got "".');
  });

  it('finds settings by key or variable name, in any case', () => {
    expect(findSetting('WORKER_COUNT')).toBe('workerCount');
    expect(findSetting('worker-count')).toBe('workerCount');
    expect(findSetting('twilio_auth_token')).toBe('twilioAuthToken');
    expect(findSetting('NOPE')).toBeUndefined();
  });

  it('masks secrets but not plain values', () => {
    expect(maskSetting('twilioAuthToken', 'abcdef0123456789')).toBe('••••6789');
    expect(maskSetting('twilioAuthToken', 'short')).toBe('••••');
    expect(maskSetting('workerCount', 4)).toBe('4');
  });
});

describe('saved settings', () => {
  it('validates on set, persists across opens, and unsets', async () => {
    const saved = await openSavedSettings({ dir });
    saved.set('workerCount', '4');
    expect(() => saved.set('workerCount', 'many')).toThrow(/WORKER_COUNT must be a whole number/);
    const again = await openSavedSettings({ dir });
    expect(again.all()).toEqual({ workerCount: '4' });
    again.unset('workerCount');
    expect((await openSavedSettings({ dir })).all()).toEqual({});
  });

  it('reads what `conf` wrote without loading it, and says which file is broken', async () => {
    expect(await readSavedSettings({ dir })).toEqual({});
    const saved = await openSavedSettings({ dir });
    saved.set('workerCount', '3');
    saved.set('publicBaseUrl', 'https://bot.example.test');
    expect(saved.path).toBe(savedSettingsPath({ dir }));
    expect(await readSavedSettings({ dir })).toEqual({ workerCount: '3', publicBaseUrl: 'https://bot.example.test' });
    await writeFile(saved.path, '{"WORKER_COUNT": ');
    await expect(readSavedSettings({ dir })).rejects.toMatchObject({
      code: 'VIDBOT_CONFIG_INVALID',
      message: expect.stringContaining(saved.path),
    });
  });
});

describe('loadConfig with collectInvalid', () => {
  it('lists each bad value and keeps what the setting had below it; a flag still throws', () => {
    const { config, invalid, sources } = loadConfig({
      env: { VIDBOT_RATE_LIMIT: 'lots', PUBLIC_BASE_URL: 'not-a-url', VIDBOT_DAILY_LIMIT: '3' },
      stored: { rateLimitPerMinute: 7 },
      dotenv: false,
      collectInvalid: true,
    });
    expect(Object.keys(invalid).sort()).toEqual(['publicBaseUrl', 'rateLimitPerMinute']);
    expect(invalid.publicBaseUrl).toMatchObject({ code: 'VIDBOT_CONFIG_INVALID', hint: 'Fix the PUBLIC_BASE_URL environment variable, or unset it.' });
    expect(config.rateLimitPerMinute).toBe(7);
    expect(sources.rateLimitPerMinute).toBe('saved settings');
    expect(config.publicBaseUrl).toBeUndefined();
    expect(config.dailyLimit).toBe(3);
    // A bad value under a good one is still reported: without collectInvalid, loading stops at it.
    const shadowed = loadConfig({ env: { VIDBOT_RATE_LIMIT: '5' }, stored: { rateLimitPerMinute: 'x' }, dotenv: false, collectInvalid: true });
    expect(shadowed.config.rateLimitPerMinute).toBe(5);
    expect(Object.keys(shadowed.invalid)).toEqual(['rateLimitPerMinute']);
    expect(() => loadConfig({ env: { VIDBOT_RATE_LIMIT: '5' }, stored: { rateLimitPerMinute: 'x' }, dotenv: false })).toThrow(/VIDBOT_RATE_LIMIT/);
    expect(() => loadConfig({ overrides: { rateLimitPerMinute: 'x' }, overrideNames: { rateLimitPerMinute: '--rate' }, dotenv: false, collectInvalid: true })).toThrow(/--rate/);
    expect(() => loadConfig({ env: { VIDBOT_RATE_LIMIT: 'lots' }, dotenv: false })).toThrow(/VIDBOT_RATE_LIMIT/);
  });
});
