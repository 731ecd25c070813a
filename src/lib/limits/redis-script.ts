/**
 * A Lua script run on Redis by its digest: sent whole once per Redis (and again after a restart or
 * SCRIPT FLUSH), one round trip after that.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isVidbotError, vidbotError } from '../errors.ts';

export type RedisScript = (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<string>;

export const redisScript = (source: string): RedisScript => {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return String(await redis.evalsha(sha, keys.length, ...keys, ...args));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return String(await redis.eval(source, keys.length, ...keys, ...args));
    }
  };
};

/** A Redis failure as the Redis-backed limits report it: the webhook fails retryably (Twilio tries again), with what to check. */
export const redisFailure = (what: string, error: unknown) =>
  isVidbotError(error)
    ? error
    : vidbotError('VIDBOT_STORE_FAILED', `Redis could not ${what}: ${(error as Error).message}`, {
        cause: error,
        hint: 'Check that Redis is running and REDIS_URL points at it.',
      });
