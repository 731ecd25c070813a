export type { LimitRequest, LimitSettings, Quota, SenderLimits, Verdict } from './port.ts';
export { QUOTA_WINDOW_MS, RATE_WINDOW_MS } from './port.ts';
export { createMemoryLimits, type MemoryLimitsOptions } from './memory.ts';
export { createRedisLimits, type RedisLimitsOptions } from './redis.ts';
export { readStoreQuota } from './store-quota.ts';
export {
  type RepeatCheck,
  type RepeatGuard,
  type RepeatRequest,
  anotherTakeKey,
  createMemoryRepeatGuard,
  sameWordsKey,
} from './repeats.ts';
export { createRedisRepeatGuard, type RedisRepeatGuardOptions } from './repeats-redis.ts';
