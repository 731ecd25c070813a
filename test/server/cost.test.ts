/**
 * What videos cost, through the served bot with Replicate's loopback fake: each task records the
 * estimate from the price table (API), /metrics sums it by provider and model, and the daily budget
 * turns the next paid video into a polite reply while a cached prompt still arrives; /health says so.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/lib/store/port.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { makeCompliantClip } from '../helpers/media.ts';

const USER = 'whatsapp:+15550004444';
let root: string;
let clip: Buffer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-cost-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let replicate: FakeReplicate | undefined;
afterEach(async () => {
  await replicate?.close();
  replicate = undefined;
});
const bots = useBots();

/** Sends a prompt and waits for its task to end. */
const ask = async (bot: TestBot, text: string): Promise<Task> => {
  await bot.say(USER, text);
  const [task] = await bot.vidbot.store.listTasks({ from: USER, limit: 1 });
  return bot.until(task?.taskId ?? '', 'done', 'failed');
};

describe('the cost of each video, and the daily budget', () => {
  it('records the estimate, shows it in the API and /metrics, stops paid videos at the budget and lets a cached one through', async () => {
    replicate = await startFakeReplicate({ runMs: 150 });
    replicate.setOutput(clip);
    const bot = await bots({
      REPLICATE_API_TOKEN: replicate.token,
      REPLICATE_API_BASE_URL: replicate.apiUrl,
      VIDBOT_PRICES: 'minimax/video-01=0.60/video',
      VIDBOT_DAILY_BUDGET: '1',
    });
    const fox = await ask(bot, 'a fox running through a neon city at night');
    const boat = await ask(bot, 'a paper boat on a rainy street');
    expect(fox.generation).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', cost: 0.6 });
    const { task: api } = (await bot.app.inject({ method: 'GET', url: `/api/tasks/${fox.taskId}` })).json() as { task: Task };
    expect(api.generation).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', cost: 0.6, runSec: 0.1 });
    expect(boat.generation?.cost).toBe(0.6);

    const metrics = (await bot.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('vidbot_generation_cost_total{provider="replicate",model="minimax/video-01"} 1.2');
    expect(metrics).toContain('vidbot_generations_total{provider="replicate",model="minimax/video-01"} 2');
    const health = (await bot.app.inject({ method: 'GET', url: '/health' })).json() as { status: string; budget: unknown };
    expect(health.status).toBe('healthy');
    expect(health.budget).toMatchObject({ limit: 1, spent_today: 1.2, reached: true });

    // Over the budget: the next new video is not paid for, and the user hears why in their words.
    const refused = await ask(bot, 'a lighthouse in a storm');
    expect(refused).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_BUDGET_REACHED' });
    expect(replicate.creates()).toBe(2);
    const notice = (await bot.fake.waitForMessages(3, 30_000)).at(-1);
    expect(notice?.body).toContain("I've made all the new videos I can for today");
    expect(notice?.body).not.toMatch(/BUDGET|budget|VIDBOT/);

    // A prompt made before comes from the cache: nothing to pay, so it still arrives.
    const again = await ask(bot, 'A fox running through a neon city at night!');
    expect(again).toMatchObject({ status: 'done', cacheHit: true });
    expect(again.generation).toBeUndefined();
    expect(replicate.creates()).toBe(2);
    const [video] = await bot.fake.waitForMessages(4, 30_000).then((all) => all.slice(-1));
    expect(video?.mediaUrls).toHaveLength(1);
  });
});
