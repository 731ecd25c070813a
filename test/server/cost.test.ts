/**
 * What videos cost, through the served bot with Replicate's loopback fake: each task records the
 * estimate from the price table (API), /metrics sums it by provider and model, and the daily budget
 * turns the next new paid video into a polite reply at the door while a cached prompt still arrives; /health says so.
 * The fake makes the same clip for every task: it is compressed once, and each task gets a copy.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/lib/store/port.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { oneClipCompressor } from '../helpers/clip-provider.ts';
import { makeCompliantClip } from '../helpers/media.ts';

const USER = 'whatsapp:+15550004444';
let root: string;
let clip: Buffer;
let compressor: ReturnType<typeof oneClipCompressor>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-cost-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
  compressor = oneClipCompressor({ ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe', dir: root });
});
afterAll(() => rm(root, { recursive: true, force: true }));

let replicate: FakeReplicate | undefined;
afterEach(async () => {
  await replicate?.close();
  replicate = undefined;
});
const bots = useBots();

/** Sends a prompt and waits for its task to end. */
const ask = async (bot: TestBot, text: string, from = USER): Promise<Task> => {
  await bot.say(from, text);
  const [task] = await bot.vidbot.store.listTasks({ from, limit: 1 });
  return bot.until(task?.taskId ?? '', 'done', 'failed');
};

describe('the cost of each video, and the daily budget', () => {
  const start = async (bot: { budgetReadMs: number }) => {
    replicate = await startFakeReplicate({ runMs: 150 });
    replicate.setOutput(clip);
    return bots(
      { REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.apiUrl, VIDBOT_PRICES: 'minimax/video-01=0.60/video', VIDBOT_DAILY_BUDGET: '1' },
      { bot, overrides: { compressor } },
    );
  };

  it('records the estimate, shows it in the API and /metrics, refuses new paid videos at the door once the budget is spent and lets a cached one through', async () => {
    // Today's spend read on every prompt, so the door knows at once.
    const bot = await start({ budgetReadMs: 0 });
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

    // Over the budget: a new prompt is told at once, in the user's words, and nothing is queued or paid for.
    const refused = await bot.say(USER, 'a lighthouse in a storm');
    expect(refused).toMatch(/^🌙 I've made all the new videos I can for today\. New ones start again in /);
    expect(refused).not.toMatch(/BUDGET|budget|VIDBOT/);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);
    expect(replicate?.creates()).toBe(2);

    // A prompt made before (for someone else) comes from the cache: nothing to pay, so it goes ahead and arrives.
    // (Its own sender would be told the video is in the chat already.)
    const again = await ask(bot, 'A fox running through a neon city at night!', 'whatsapp:+15550004455');
    expect(again).toMatchObject({ status: 'done', cacheHit: true });
    expect(again.generation).toBeUndefined();
    expect(replicate?.creates()).toBe(2);
    const [video] = await bot.fake.waitForMessages(3, 30_000).then((all) => all.slice(-1));
    expect(video?.mediaUrls).toHaveLength(1);
  });

  it('a prompt let in before the door knew is stopped before it is paid for, and the notice offers no futile retry', async () => {
    // The spend read once and trusted for a minute: the third prompt passes the door.
    const bot = await start({ budgetReadMs: 60_000 });
    await ask(bot, 'a fox running through a neon city at night');
    await ask(bot, 'a paper boat on a rainy street');
    const refused = await ask(bot, 'a lighthouse in a storm');
    expect(refused).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_BUDGET_REACHED' });
    expect(replicate?.creates()).toBe(2);
    const notice = (await bot.fake.waitForMessages(3, 30_000)).at(-1);
    expect(notice?.body).toContain("I've made all the new videos I can for today");
    expect(notice?.body).not.toMatch(/BUDGET|budget|VIDBOT|Try again/);
    expect(notice?.contentSid).toBeUndefined();

    // Typed anyway, "try again" is that task's retry (the day after, it will work), not a prompt of those words.
    expect(await bot.say(USER, 'try again')).toMatch(/^🔄 Trying "a lighthouse in a storm" again!/);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(3);
    await bot.until(refused.taskId, 'failed');
    expect(replicate?.creates()).toBe(2);
  });
});
