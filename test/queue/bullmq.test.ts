import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBullmqQueue } from '../../src/lib/queue/bullmq/queue.ts';
import { queueContract } from '../contract/queue.contract.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.cleanup());

queueContract('bullmq', async ({ leaseMs, backoffBaseMs, maxActivePerGroup }) => {
  const connection = redis.client();
  const queue = createBullmqQueue<{ n: number }>({
    connection,
    name: `contract-${randomBytes(4).toString('hex')}`,
    leaseMs,
    backoff: { baseMs: backoffBaseMs },
    groupPollMs: 50,
    ...(maxActivePerGroup === undefined ? {} : { maxActivePerGroup }),
  });
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
});

describe('BullMQ adapter specifics', () => {
  const waitUntil = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const make = (name: string, connection = redis.client()) =>
    createBullmqQueue<{ n: number }>({ connection, name, leaseMs: 1500, backoff: { baseMs: 50 }, groupPollMs: 50, maxActivePerGroup: 1 });

  it('a stale backlog entry of a finished job does not hold up its sender', async () => {
    const name = `stale-${randomBytes(4).toString('hex')}`;
    const queue = make(name);
    queue.work(async () => {}, { concurrency: 1 });
    await queue.add({ n: 1 }, { jobId: 'first', group: 'sender' });
    await waitUntil(async () => (await queue.get('first'))?.state === 'completed');
    // As if an earlier add or a crash had left the finished job in the sender's line.
    await redis.client().zadd(`bull:${name}:vb:g:sender:pending`, 0, 'j_first');
    await queue.add({ n: 2 }, { jobId: 'second', group: 'sender' });
    await waitUntil(async () => (await queue.get('second'))?.state === 'completed');
    await queue.close();
  });

  it('shows a job held back by the fairness gate as waiting, with a place in line', async () => {
    const queue = make(`held-${randomBytes(4).toString('hex')}`);
    let release: () => void = () => {};
    queue.work((job) => (job.id === 'busy' ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()), { concurrency: 2 });
    await queue.add({ n: 1 }, { jobId: 'busy', group: 'sender' });
    await waitUntil(async () => (await queue.get('busy'))?.state === 'active');
    await queue.add({ n: 2 }, { jobId: 'next', group: 'sender' });
    // Sampled many times: whether the held job is between looks (delayed) or being looked at (active).
    for (let sample = 0; sample < 20; sample += 1) {
      expect((await queue.get('next'))?.state).toBe('waiting');
      expect(await queue.position('next')).toBeGreaterThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    // Canceled while held: it ends at its next look, not when its turn finally comes.
    await queue.add({ n: 3 }, { jobId: 'dropped', group: 'sender' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(['canceled', 'cancel-requested']).toContain(await queue.cancel('dropped'));
    await waitUntil(async () => (await queue.get('dropped'))?.state === 'canceled', 3_000);
    expect((await queue.get('busy'))?.state).toBe('active');
    release();
    await waitUntil(async () => (await queue.get('next'))?.state === 'completed');
    await queue.close();
  });

  it('a cancel from another process wins even when the handler returns just after it', async () => {
    const name = `xcancel-${randomBytes(4).toString('hex')}`;
    const workerSide = make(name);
    const webSide = make(name);
    const watcher = redis.client();
    workerSide.work(async () => {
      // Returns as soon as the flag is set, before the worker's own once-a-second check can abort it.
      await waitUntil(async () => (await watcher.hget(`bull:${name}:vb:meta:job`, 'cancel')) === '1');
    }, { concurrency: 1 });
    await webSide.add({ n: 1 }, { jobId: 'job' });
    await waitUntil(async () => (await webSide.get('job'))?.state === 'active');
    expect(await webSide.cancel('job')).toBe('cancel-requested');
    await waitUntil(async () => (await webSide.get('job'))?.state === 'canceled');
    expect(await webSide.retry('job')).toBe('retried');
    await workerSide.close();
    await webSide.close();
  });
});
