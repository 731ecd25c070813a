/**
 * Sender limits, one contract for both adapters: in this process with the store's count (memory)
 * and shared in a real redis-server (redis), plus what only sharing can show: two clients, as two
 * web processes would hold, racing for the last videos of a day.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { isVidbotError } from '../../src/lib/errors.ts';
import { type SenderLimits, createMemoryLimits, createRedisLimits } from '../../src/lib/limits/index.ts';
import type { Store } from '../../src/lib/store/port.ts';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { freePort } from '../helpers/ports.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 1, 9);

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'vidbot-limits-'));
});
afterEach(() => void vi.useRealTimers());
afterAll(async () => {
  await redis.cleanup();
  await rm(dir, { recursive: true, force: true });
});

interface Harness {
  readonly limits: SenderLimits;
  /** What a webhook does after an allowed take: the task is made (the memory adapter counts tasks). */
  made(from: string, messageId: string, at: number): Promise<void>;
  /** The task of that message failed. */
  failed(from: string, messageId: string): Promise<void>;
  /** The failed task of that message is retried. */
  retried(from: string, messageId: string, at: number): Promise<void>;
}

let serial = 0;
const adapters: Record<string, (perMinute: number, perDay: number) => Promise<Harness>> = {
  async memory(perMinute, perDay) {
    const store: Store = createSqliteStore({ file: join(dir, `store-${++serial}.db`) });
    // The store stamps tasks with Date.now(): the test's clock, so the day's window is the test's too.
    vi.useFakeTimers({ toFake: ['Date'] });
    const limits = createMemoryLimits({ store, perMinute, perDay });
    return {
      limits,
      async made(from, messageId, at) {
        vi.setSystemTime(at);
        await store.createTask({ taskId: messageId, prompt: 'a fox', from, sessionId: from, messageId, options: { provider: 'local', orientation: 'portrait', durationSec: 6, polish: false, useCache: true } });
      },
      async failed(from, messageId) {
        await store.transitionTask(messageId, ['queued'], { status: 'failed' });
        await limits.refund(from, messageId);
      },
      async retried(from, messageId, at) {
        await store.transitionTask(messageId, ['failed'], { status: 'queued' });
        await limits.recount(from, messageId, at);
      },
    };
  },
  async redis(perMinute, perDay) {
    const limits = createRedisLimits({ redis: redis.client(), prefix: `test${++serial}`, perMinute, perDay });
    return {
      limits,
      made: async () => {},
      failed: (from, messageId) => limits.refund(from, messageId),
      retried: (from, messageId, at) => limits.recount(from, messageId, at),
    };
  },
};

describe.each(Object.keys(adapters))('sender limits: %s', (name) => {
  const open = (perMinute: number, perDay: number) => (adapters[name] as (typeof adapters)['memory'])(perMinute, perDay);

  it('allows so many a minute, then says when the next turn comes', async () => {
    const { limits } = await open(2, 0);
    expect(await limits.take({ from: 'a', messageId: 'm1', now: T0 })).toEqual({ allowed: true });
    expect(await limits.take({ from: 'a', messageId: 'm2', now: T0 + 10_000 })).toEqual({ allowed: true });
    expect(await limits.take({ from: 'a', messageId: 'm3', now: T0 + 20_000 })).toEqual({ allowed: false, reason: 'rate', retryAfterMs: 40_000 });
    // Another sender has their own window.
    expect(await limits.take({ from: 'b', messageId: 'm4', now: T0 + 20_000 })).toEqual({ allowed: true });
    // The oldest turn has left the window.
    expect(await limits.take({ from: 'a', messageId: 'm5', now: T0 + MINUTE + 1 })).toEqual({ allowed: true });
  });

  it('gives a redelivered message its first verdict and takes nothing more', async () => {
    const { limits } = await open(2, 0);
    const first = await limits.take({ from: 'a', messageId: 'm1', now: T0 });
    const again = await Promise.all([1, 2, 3].map((i) => limits.take({ from: 'a', messageId: 'm1', now: T0 + i })));
    expect(again).toEqual([first, first, first]);
    expect(await limits.take({ from: 'a', messageId: 'm2', now: T0 + 5 })).toEqual({ allowed: true });
    const refused = await limits.take({ from: 'a', messageId: 'm3', now: T0 + 6 });
    expect(refused).toMatchObject({ allowed: false, reason: 'rate' });
    expect(await limits.take({ from: 'a', messageId: 'm3', now: T0 + MINUTE * 2 })).toEqual(refused);
  });

  it('counts the videos of a day, frees one 24 hours after it, and gives back a failed one', async () => {
    const harness = await open(100, 2);
    const { limits } = harness;
    const take = async (messageId: string, now: number) => {
      const verdict = await limits.take({ from: 'a', messageId, now });
      if (verdict.allowed) await harness.made('a', messageId, now);
      return verdict;
    };
    expect(await take('m1', T0)).toEqual({ allowed: true, quota: { limit: 2, used: 0, left: 2 } });
    expect(await take('m2', T0 + 1_000)).toEqual({ allowed: true, quota: { limit: 2, used: 1, left: 1 } });
    expect(await take('m3', T0 + 2_000)).toEqual({ allowed: false, reason: 'quota', quota: { limit: 2, used: 2, left: 0, freesInMs: DAY - 2_000 } });
    expect(await limits.allowance('a', T0 + 3_000)).toEqual({ limit: 2, used: 2, left: 0, freesInMs: DAY - 3_000 });
    expect(await limits.allowance('b', T0 + 3_000)).toEqual({ limit: 2, used: 0, left: 2 });

    await harness.failed('a', 'm2');
    expect(await limits.allowance('a', T0 + 4_000)).toEqual({ limit: 2, used: 1, left: 1 });
    expect(await take('m4', T0 + 5_000)).toMatchObject({ allowed: true, quota: { used: 1, left: 1 } });
    // m1 leaves the window a day after it was counted.
    expect(await take('m5', T0 + DAY + 1)).toMatchObject({ allowed: true, quota: { used: 1 } });
  });

  it('gives back what a message took when it was not stored, and judges its redelivery afresh', async () => {
    const { limits } = await open(1, 2);
    const first = await limits.take({ from: 'a', messageId: 'm1', now: T0 });
    expect(first).toEqual({ allowed: true, quota: { limit: 2, used: 0, left: 2 } });
    await limits.release('a', 'm1');
    // Its turn of the minute and its video are back, for another message of the sender's.
    expect(await limits.allowance('a', T0 + 1)).toEqual({ limit: 2, used: 0, left: 2 });
    expect(await limits.take({ from: 'a', messageId: 'm2', now: T0 + 2 })).toEqual({ allowed: true, quota: { limit: 2, used: 0, left: 2 } });
    // Its redelivery is judged afresh, not given its first verdict: m2 has the minute's one turn now.
    expect(await limits.take({ from: 'a', messageId: 'm1', now: T0 + 3 })).toMatchObject({ allowed: false, reason: 'rate' });
  });

  it('counts a retried failed video again, past the limit rather than refusing it', async () => {
    const harness = await open(100, 1);
    const { limits } = harness;
    expect(await limits.take({ from: 'a', messageId: 'm1', now: T0 })).toMatchObject({ allowed: true });
    await harness.made('a', 'm1', T0);
    await harness.failed('a', 'm1');
    expect(await limits.take({ from: 'a', messageId: 'm2', now: T0 + 1_000 })).toMatchObject({ allowed: true, quota: { used: 0 } });
    await harness.made('a', 'm2', T0 + 1_000);
    await harness.retried('a', 'm1', T0 + 2_000);
    expect(await limits.allowance('a', T0 + 3_000)).toMatchObject({ limit: 1, used: 2, left: 0 });
  });
});

describe('sender limits shared in Redis', () => {
  it('gives two web processes racing for the last videos of a day exactly the allowance', async () => {
    const settings = { prefix: 'race', perMinute: 100, perDay: 3 };
    const web1 = createRedisLimits({ redis: redis.client(), ...settings });
    const web2 = createRedisLimits({ redis: redis.client(), ...settings });
    const verdicts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? web1 : web2).take({ from: 'a', messageId: `m${i}`, now: T0 + i })),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
    expect(verdicts.filter((v) => !v.allowed && v.reason === 'quota')).toHaveLength(9);
    // A redelivery reaching the other process gets the same verdict.
    expect(await web1.take({ from: 'a', messageId: 'm0', now: T0 + 100 })).toEqual(verdicts[0]);
  });

  it('sends its script again after Redis forgot it', async () => {
    const client = redis.client();
    const limits = createRedisLimits({ redis: client, prefix: 'flush', perMinute: 5, perDay: 0 });
    await limits.take({ from: 'a', messageId: 'm1', now: T0 });
    await client.script('FLUSH');
    expect(await limits.take({ from: 'a', messageId: 'm2', now: T0 + 1 })).toEqual({ allowed: true });
  });

  it('fails as the store does when Redis cannot be reached, so the webhook fails and Twilio tries again', async () => {
    const client = new Redis({ host: '127.0.0.1', port: await freePort(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const limits = createRedisLimits({ redis: client, prefix: 'down', perMinute: 5, perDay: 2 });
    for (const call of [limits.take({ from: 'a', messageId: 'm1', now: T0 }), limits.allowance('a', T0), limits.refund('a', 'm1'), limits.release('a', 'm1'), limits.recount('a', 'm1', T0)]) {
      const error = await call.then(() => undefined, (caught: unknown) => caught);
      expect(isVidbotError(error, 'VIDBOT_STORE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/^Redis could not .* a sender's limits/);
    }
    client.disconnect();
  });
});

describe('sender limits in memory, with few senders remembered', () => {
  const store = { listTasks: async () => [] };

  it('keeps the latest maxKeys senders limited and their verdicts, and forgets those seen longer ago', async () => {
    const limits = createMemoryLimits({ store, perMinute: 1, perDay: 0, maxKeys: 3 });
    const at = 1_000_000;
    expect((await limits.take({ from: 'a', messageId: 'm-a', now: at })).allowed).toBe(true);
    for (const from of ['b', 'c']) await limits.take({ from, messageId: `m-${from}`, now: at });
    // "a" is among the latest three: its turn is still counted, and its message's verdict kept.
    expect(await limits.take({ from: 'a', messageId: 'm-a2', now: at + 1 })).toMatchObject({ allowed: false, reason: 'rate' });
    expect((await limits.take({ from: 'a', messageId: 'm-a', now: at + 2 })).allowed).toBe(true);
    // Six other senders later "a" is forgotten: a new minute's turn, as for a sender never seen.
    for (const from of ['d', 'e', 'f', 'g', 'h', 'i']) await limits.take({ from, messageId: `m-${from}`, now: at });
    expect((await limits.take({ from: 'a', messageId: 'm-a3', now: at + 3 })).allowed).toBe(true);
  });
});
