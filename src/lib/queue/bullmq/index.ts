export { type BullmqQueueOptions, createBullmqQueue } from './queue.ts';
export { type ConnectRedisOptions, connectRedis, redactUrl, redisBackoffMs } from './connect.ts';
export { queueKeys } from './keys.ts';
