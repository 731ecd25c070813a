/**
 * The repeat guard, one contract for both adapters (in this process, and shared in a real
 * redis-server), on a real SQLite store: the same words again while their video is on its way are a
 * repeat (whatever their case, spacing or closing punctuation); once it has arrived, or failed, or
 * for another model or sender, they are a new prompt. Two at once: the second waits for what the
 * first made. And what only sharing shows: two web processes, and one that died deciding.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  type RepeatCheck,
  type RepeatGuard,
  createMemoryRepeatGuard,
  createRedisRepeatGuard,
  sameWordsKey,
} from '../../src/lib/limits/index.ts';
import type { Vidbot } from '../../src/lib/create-vidbot.ts';
import { freePort } from '../helpers/ports.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';
import { makeVidbot } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550006161';

let redis: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.cleanup();
});

let vidbot: Vidbot;
let cleanup: () => Promise<void>;
let guard: RepeatGuard;
afterEach(async () => {
  await cleanup();
});

let prefixes = 0;
/** A Redis guard as one web process holds it; each test has keys of its own. */
const redisGuard = (prefix: string, options: { decidingMs?: number } = {}): RepeatGuard => {
  const client = redis.client();
  clients.push(client);
  return createRedisRepeatGuard({ redis: client, store: vidbot.store, prefix, ...options });
};

const adapters: Record<string, (options?: { decidingMs?: number }) => RepeatGuard> = {
  memory: (options = {}) => createMemoryRepeatGuard({ store: vidbot.store, ...options }),
  redis: (options = {}) => redisGuard(`test${++prefixes}`, options),
};

let counter = 0;
const check = (prompt: string, { from = USER, model, messageId = `SM${String(++counter).padStart(32, '0')}` }: { from?: string; model?: string; messageId?: string } = {}) =>
  guard.check({ key: sameWordsKey({ from, prompt, model }), messageId });

/** Checks `prompt` as a new message and, when it is not a repeat, makes its task (as the bot would). */
const send = async (prompt: string, over: { from?: string; model?: string } = {}): Promise<{ repeats?: string; made?: string; earlier?: string }> => {
  const checked = await check(prompt, over);
  if ('repeats' in checked) return { repeats: checked.repeats.taskId };
  const { task } = await vidbot.createTask({ prompt, from: over.from ?? USER });
  checked.settled(task.taskId);
  return { made: task.taskId, ...(checked.earlier ? { earlier: checked.earlier.taskId } : {}) };
};

describe.each(Object.keys(adapters))('the %s repeat guard', (adapter) => {
  beforeEach(async () => {
    ({ vidbot, cleanup } = await makeVidbot());
    guard = (adapters[adapter] as () => RepeatGuard)();
  });

  it('takes the same words while their video is on its way as a repeat, whatever their case, spacing or closing punctuation', async () => {
    const first = await send('A fox in the snow');
    expect(first.made).toBeDefined();
    for (const again of ['a fox in the snow', '  A  fox in the SNOW!! ', 'a fox in the snow…', 'A fox in the snow.'])
      expect({ again, is: await send(again) }).toEqual({ again, is: { repeats: first.made } });
    for (const status of ['processing', 'delivering'] as const) {
      await vidbot.store.updateTask(first.made ?? '', { status });
      expect(await send('a fox in the snow')).toEqual({ repeats: first.made });
    }
    // Other words, another sender, another model: other videos.
    expect((await send('a fox in the rain')).made).toBeDefined();
    expect((await send('a fox in the snow', { from: 'whatsapp:+15550006262' })).made).toBeDefined();
    expect((await send('a fox in the snow', { model: 'other-model' })).made).toBeDefined();
  });

  it('makes a new video of the words once the first has arrived, failed or been canceled, naming the one that ended', async () => {
    for (const status of ['done', 'failed', 'canceled'] as const) {
      const first = await send(`a boat at dawn ${status}`);
      await vidbot.store.updateTask(first.made ?? '', { status });
      const second = await send(`a boat at dawn ${status}`);
      expect(second.made).toBeDefined();
      expect(second.made).not.toBe(first.made);
      // The ended one is handed over: its video may be in the chat already (the bot asks the cache).
      expect(second.earlier).toBe(first.made);
      // And the newest is now the one a third message repeats.
      expect(await send(`a boat at dawn ${status}`)).toEqual({ repeats: second.made });
    }
  });

  it('does not take a redelivery of the same message for a repeat of itself', async () => {
    const checked = await check('a kite', { messageId: 'SM_same' });
    if (!('settled' in checked)) throw new Error('not a repeat expected');
    const { task } = await vidbot.createTask({ prompt: 'a kite', from: USER });
    checked.settled(task.taskId);
    const redelivered = await check('a kite', { messageId: 'SM_same' });
    if (!('settled' in redelivered)) throw new Error('a redelivery is no repeat of itself');
    // Answered from its claim, it makes nothing: the first delivery's task still stands for the words.
    redelivered.settled(undefined);
    expect(await send('a kite')).toEqual({ repeats: task.taskId });
  });

  it('takes the request over from a first message whose decision hangs, once a decision would have ended', async () => {
    const slow = (adapters[adapter] as (options: { decidingMs: number }) => RepeatGuard)({ decidingMs: 200 });
    const key = sameWordsKey({ from: USER, prompt: 'a heron at dawn' });
    expect('settled' in (await slow.check({ key, messageId: 'SM_hangs' }))).toBe(true);
    const started = Date.now();
    expect('settled' in (await slow.check({ key, messageId: 'SM_next' }))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('has the second of two messages at once wait for what the first made: its task, or nothing', async () => {
    const first = await check('a train in the rain');
    const second = check('a train in the rain');
    let answered: RepeatCheck | undefined;
    void second.then((value) => (answered = value));
    // A store read and a turn of the event loop later, the second still waits for the first.
    await vidbot.store.getTask('none');
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBeUndefined();
    const { task } = await vidbot.createTask({ prompt: 'a train in the rain', from: USER });
    if (!('settled' in first)) throw new Error('the first is no repeat');
    first.settled(task.taskId);
    expect(await second).toEqual({ repeats: expect.objectContaining({ taskId: task.taskId }) });

    // A first that made nothing (over a limit, say): the second is judged alone, and makes the video.
    const refused = await check('a lamp in the fog');
    const after = check('a lamp in the fog');
    if (!('settled' in refused)) throw new Error('the first is no repeat');
    refused.settled(undefined);
    expect('settled' in (await after)).toBe(true);
  });
});

describe('the redis repeat guard, shared', () => {
  beforeEach(async () => {
    ({ vidbot, cleanup } = await makeVidbot());
  });

  it('makes one video of the same words sent at the same moment to two web processes', async () => {
    const prefix = `shared${++prefixes}`;
    const [one, two] = [redisGuard(prefix), redisGuard(prefix)];
    const key = sameWordsKey({ from: USER, prompt: 'a kite over the dunes' });
    const checks = [one.check({ key, messageId: 'SM_one' }), two.check({ key, messageId: 'SM_two' })];
    // One of them decides first; the other waits for it.
    const first = await Promise.race(checks);
    if (!('settled' in first)) throw new Error('one of the two stands for the words');
    const { task } = await vidbot.createTask({ prompt: 'a kite over the dunes', from: USER });
    first.settled(task.taskId);
    const both = await Promise.all(checks);
    expect(both.filter((check) => 'repeats' in check)).toEqual([{ repeats: expect.objectContaining({ taskId: task.taskId }) }]);
  });

  it('fails retryably, saying what to check, when Redis does not answer', async () => {
    const client = new Redis({ port: await freePort(), host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    clients.push(client);
    const down = createRedisRepeatGuard({ redis: client, store: vidbot.store });
    await expect(down.check({ key: sameWordsKey({ from: USER, prompt: 'a fox' }), messageId: 'SM_down' })).rejects.toMatchObject({
      code: 'VIDBOT_STORE_FAILED',
      hint: expect.stringContaining('REDIS_URL'),
    });
  });

  it('lets a message take the words over from one that died deciding, once a decision would have ended', async () => {
    const prefix = `died${++prefixes}`;
    const key = sameWordsKey({ from: USER, prompt: 'a lamp in the fog' });
    // The first process claims the words and dies before it settles.
    expect('settled' in (await redisGuard(prefix, { decidingMs: 300 }).check({ key, messageId: 'SM_died' }))).toBe(true);
    const started = Date.now();
    const second = await redisGuard(prefix, { decidingMs: 300 }).check({ key, messageId: 'SM_next' });
    expect('settled' in second).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
