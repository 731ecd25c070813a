export { type BullmqQueueOptions, createBullmqQueue } from './queue.ts';
export { connectRedis, redactUrl } from './connect.ts';
