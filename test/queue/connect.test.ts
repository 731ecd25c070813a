import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { connectRedis, redisBackoffMs } from '../../src/lib/queue/bullmq/connect.ts';
import { freePort } from '../helpers/ports.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';

interface Waiting {
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}

let redis: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
  // Known port, nothing on it until a test starts the server again.
  await redis.stop();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.cleanup();
});

describe('redisBackoffMs', () => {
  it('starts at 250 ms and doubles up to 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(redisBackoffMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe('connectRedis', () => {
  it('fails at once by default when nothing listens', async () => {
    const waits: Waiting[] = [];
    const started = Date.now();
    const error = await connectRedis(redis.url, { onWaiting: (attempt, delayMs, e) => waits.push({ attempt, delayMs, error: e }) }).catch(
      (e: unknown) => e,
    );
    expect(isVidbotError(error, 'VIDBOT_STORE_FAILED')).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(waits).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('with waitMs, waits for a Redis that starts late, then answers PING', async () => {
    const waits: Waiting[] = [];
    let serverUp: Promise<void> | undefined;
    const client = await connectRedis(redis.url, {
      waitMs: 30_000,
      onWaiting: (attempt, delayMs, error) => {
        waits.push({ attempt, delayMs, error });
        // Start the server only once the caller is seen waiting.
        serverUp ??= redis.start();
      },
    });
    clients.push(client);
    await serverUp;
    expect(await client.ping()).toBe('PONG');
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]?.attempt).toBe(1);
    expect(waits[0]?.delayMs).toBe(250);
    expect(waits[0]?.error.message).toContain('ECONNREFUSED');
    expect(waits.map((w) => w.attempt)).toEqual(waits.map((_, i) => i + 1));
    await redis.stop();
  });

  it('after the budget, rejects with VIDBOT_STORE_FAILED naming the URL with the password masked', async () => {
    const url = `redis://:s3cret-pass@127.0.0.1:${await freePort()}`;
    const waits: Waiting[] = [];
    const started = Date.now();
    const error = await connectRedis(url, {
      waitMs: 1_000,
      onWaiting: (attempt, delayMs, e) => waits.push({ attempt, delayMs, error: e }),
    }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(isVidbotError(error, 'VIDBOT_STORE_FAILED')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`redis://:***@127.0.0.1:${new URL(url).port}`);
    expect(message).not.toContain('s3cret-pass');
    expect(message).toContain('ECONNREFUSED');
    // 250 + 500, then what is left of the second.
    expect(waits.slice(0, 2).map((w) => w.delayMs)).toEqual([250, 500]);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits.reduce((sum, w) => sum + w.delayMs, 0)).toBeLessThanOrEqual(1_000);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(5_000);
  });
});
