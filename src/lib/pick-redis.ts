/**
 * The Redis side of a scale-out deployment (REDIS_URL): the BullMQ queue, and the activity bus on
 * which the processes sharing that queue tell each other what their workers do. pick-adapters.ts
 * pairs the queue with its store.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { ActivityBus } from './activity/bus/port.ts';
import { createRedisActivityBus } from './activity/bus/redis.ts';
import type { Config } from './config/settings.ts';
import type { ConnectRedisOptions } from './queue/bullmq/connect.ts';
import type { JobQueue } from './queue/port.ts';
import type { TaskJob } from './tasks/deps.ts';

/** How long to wait for Redis at start, and who hears about each try. */
export interface RedisWait {
  readonly ms: number;
  readonly onWaiting?: ConnectRedisOptions['onWaiting'];
  /** Gives up waiting (the process is asked to stop). */
  readonly signal?: AbortSignal;
}

const PREFIX = 'vidbot';
const QUEUE_NAME = 'tasks';

/** BullMQ on Redis, with a client for adding jobs and one for workers, and the bus on the first. */
export const pickRedisQueue = async (
  config: Config,
  wait: RedisWait | undefined,
): Promise<{ queue: JobQueue<TaskJob>; redis: Redis[]; activityBus: ActivityBus }> => {
  const leaseMs = config.jobLeaseSec * 1000;
  const { connectRedis, createBullmqQueue, queueKeys } = await import('./queue/bullmq/index.ts');
  // Bounded retries for adding jobs (a webhook answers an error Twilio retries, rather than hang);
  // unbounded for workers, which wait through a Redis restart.
  const redis = await connectRedis(config.redisUrl ?? '', {
    maxRetriesPerRequest: 20,
    ...(wait ? { waitMs: wait.ms, ...(wait.onWaiting ? { onWaiting: wait.onWaiting } : {}), ...(wait.signal ? { signal: wait.signal } : {}) } : {}),
  });
  const workerRedis = redis.duplicate({ maxRetriesPerRequest: null });
  workerRedis.on('error', () => {});
  const queue = createBullmqQueue<TaskJob>({ connection: redis, workerConnection: workerRedis, name: QUEUE_NAME, prefix: PREFIX, maxActivePerGroup: 1, leaseMs });
  // The machine's name says where a job runs (a container's id under Docker compose); the pid tells
  // two processes on one machine apart.
  const activityBus = createRedisActivityBus({ connection: redis, channel: queueKeys(PREFIX, QUEUE_NAME).activity, origin: { host: hostname(), pid: process.pid } });
  return { queue, redis: [redis, workerRedis], activityBus };
};
