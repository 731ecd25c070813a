import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
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
