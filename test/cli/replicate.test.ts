import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import { makeCompliantClip, makeTempDir, removeDir } from '../helpers/media.ts';

let clip: Buffer;
let clipDir: string;
beforeAll(async () => {
  clipDir = await makeTempDir();
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', clipDir));
});
afterAll(() => removeDir(clipDir));

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
let replicate: FakeReplicate;
let openai: FakeOpenAI;
beforeEach(async () => {
  sandbox = await makeSandbox();
  replicate = await startFakeReplicate({ runMs: 300 });
  replicate.setOutput(clip);
  openai = await startFakeOpenAI({ reply: () => 'A polished prompt' });
});
afterEach(async () => {
  await replicate.close();
  await openai.close();
  await sandbox.cleanup();
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    env: { ...sandbox.env, REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.apiUrl, ...env },
    cwd: sandbox.root,
  });

describe('vidbot generate --provider replicate', () => {
  it('shows the prediction status and logs, and writes the video', async () => {
    const out = join(sandbox.root, 'fox.mp4');
    // Long enough for the first poll (after 1 s) to see the prediction processing.
    replicate.setRunMs(2_400);
    const result = await cli(['generate', 'a fox', '--provider', 'replicate', '-o', out, '--input', 'prompt_optimizer=false']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('generate: starting');
    expect(result.stderr).toMatch(/generate: processing: 40%\|/);
    expect(result.stdout).toContain(out);
    expect(result.stdout).not.toContain('not AI');
    expect([...replicate.predictions.values()][0]?.input).toEqual({ prompt: 'a fox', prompt_optimizer: false });
  });

  it('polishes with OpenAI and prints both prompts in JSON', async () => {
    const result = await cli(['generate', 'a fox', '--json'], { OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', prompt: 'a fox', polishedPrompt: 'A polished prompt' });
    expect([...replicate.predictions.values()][0]?.input.prompt).toBe('A polished prompt');
  });

  it('records what each video cost, shows it in status, and stops new paid videos at the daily budget but not cached ones', async () => {
    const priced = { VIDBOT_PRICES: 'minimax/video-01=0.50/video, google/veo-3-fast=0.10/gpu-s', VIDBOT_DAILY_BUDGET: '0.9' };
    const first = await cli(['generate', 'a fox', '--json', '-o', 'fox.mp4'], priced);
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', cost: 0.5 });
    // Priced by run time: the prediction's metrics.predict_time (0.2 s here) times the price.
    const second = await cli(['generate', 'a fox at dawn', '--model', 'google/veo-3-fast', '--json', '-o', 'dawn.mp4'], priced);
    expect(JSON.parse(second.stdout)).toMatchObject({ model: 'google/veo-3-fast', cost: 0.02 });

    const status = await cli(['status'], priced);
    expect(status.stdout).toContain('budget: 0.52 of 0.90 spent today');
    expect(status.stdout).toMatch(/by replicate minimax\/video-01, ran 200 ms, cost 0\.50/);
    for (const line of status.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    const json = JSON.parse((await cli(['status', '--json'], priced)).stdout) as { budget: unknown; tasks: { generation?: unknown }[] };
    expect(json.budget).toMatchObject({ limit: 0.9, spent_today: 0.52, reached: false });
    expect(json.tasks[1]?.generation).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', cost: 0.5, runSec: 0.2 });

    // 0.52 + 0.50 goes over: the third video is still made (the budget was not reached when it started).
    expect((await cli(['generate', 'a fox at noon', '-o', 'noon.mp4'], priced)).exitCode).toBe(0);
    const refused = await cli(['generate', 'a fox at dusk', '-o', 'dusk.mp4'], priced);
    expect(refused.exitCode).toBe(75);
    expect(refused.stderr).toContain('[VIDBOT_BUDGET_REACHED]');
    expect(replicate.creates()).toBe(3);
    // The same prompt as before comes from the cache: nothing to pay, so the budget lets it through.
    const cached = await cli(['generate', 'a fox', '--json', '-o', 'fox-again.mp4'], priced);
    expect(cached.exitCode).toBe(0);
    expect(JSON.parse(cached.stdout)).toMatchObject({ cacheHit: true });
    expect(replicate.creates()).toBe(3);
  });

  it('falls back to the prompt as written when OpenAI fails, and says so', async () => {
    openai.failNext({ status: 500 });
    const result = await cli(['generate', 'a fox', '--json'], { OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: Prompt polish fell back to the original prompt: OpenAI error 500');
    expect([...replicate.predictions.values()][0]?.input.prompt).toBe('a fox');
  });

  it.each([
    ['a wrong token', { REPLICATE_API_TOKEN: 'r8_nope' }, [], 77, 'REPLICATE_API_TOKEN'],
    ['an unknown model', {}, ['--model', 'nobody/nothing'], 2, 'vidbot models'],
    ['no token', { REPLICATE_API_TOKEN: '' }, [], 78, 'REPLICATE_API_TOKEN'],
  ])('exits with a reason and a hint on %s', async (_name, env, args, exitCode, hint) => {
    const result = await cli(['generate', 'a fox', '--provider', 'replicate', ...args], env);
    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toContain(hint);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('vidbot models', () => {
  it('lists the catalogue by provider with the defaults marked, within 80 columns, and as JSON', async () => {
    const text = await cli(['models']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^\* minimax\/video-01$/m);
    expect(text.stdout).toMatch(/^\* fal-ai\/kling-video\/v2.5-turbo\/pro\/text-to-video$/m);
    expect(text.stdout).toContain('google/veo-3.1\n      4, 6 or 8 s · text or photo · last frame · with sound');
    expect(text.stdout).toContain('wan-video/wan-2.5-i2v\n      5 or 10 s · needs a photo · with sound');
    for (const line of text.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const json = await cli(['models', '--json'], { REPLICATE_MODEL: 'google/veo-3-fast' });
    const parsed = JSON.parse(json.stdout) as {
      default: string;
      models: { id: string; provider: string; default: boolean; image: string; durations: number[]; audio: boolean }[];
    };
    expect(parsed.default).toBe('google/veo-3-fast');
    expect(parsed.models.filter((m) => m.default).map((m) => m.id)).toEqual(['google/veo-3-fast', 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video']);
    expect(parsed.models.find((m) => m.id === 'kwaivgi/kling-v2.1')).toMatchObject({ provider: 'replicate', image: 'required', durations: [5, 10], audio: false });
    expect(parsed.models.find((m) => m.id === 'fal-ai/veo3.1')).toMatchObject({ provider: 'fal', image: 'optional', durations: [4, 6, 8], audio: true });
    expect(parsed.models.filter((m) => m.provider === 'replicate')).toHaveLength(15);
  });
});
