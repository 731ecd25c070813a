/**
 * Limits shared by every process on one Redis (REDIS_URL): two web processes behind a balancer give
 * a sender the same allowance as one. Each take is one Lua script, so atomic and one round trip:
 * it remembers the message's verdict (a redelivery gets it again), trims both windows, takes a turn
 * of the rate limit, then a video of the daily allowance. The sender's keys share a hash tag, so
 * they live on one slot of a cluster.
 */
import type { Redis } from 'ioredis';
import { redisFailure, redisScript } from './redis-script.ts';
import { type LimitSettings, QUOTA_WINDOW_MS, type Quota, RATE_WINDOW_MS, type SenderLimits, type Verdict } from './port.ts';

// KEYS: rate window, day window, the message's verdict. ARGV: now, per minute, per day (0: none),
// the message id, the rate window, the day window, how long a verdict is kept.
// Replies "rate <retryAfterMs>", "quota <used> <freesInMs>" or "ok <used>" (used -1: no daily limit).
const TAKE = `
local seen = redis.call('GET', KEYS[3])
if seen then return seen end
local now, perMinute, perDay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rateWindow, dayWindow = tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - rateWindow)
local verdict
if redis.call('ZCARD', KEYS[1]) >= perMinute then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  verdict = 'rate ' .. math.max(0, tonumber(oldest[2] or now) + rateWindow - now)
else
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], rateWindow)
  if perDay <= 0 then
    verdict = 'ok -1'
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - dayWindow)
    local used = redis.call('ZCARD', KEYS[2])
    if used >= perDay then
      local freeing = redis.call('ZRANGE', KEYS[2], used - perDay, used - perDay, 'WITHSCORES')
      verdict = 'quota ' .. used .. ' ' .. math.max(0, tonumber(freeing[2] or now) + dayWindow - now)
    else
      redis.call('ZADD', KEYS[2], now, ARGV[4])
      redis.call('PEXPIRE', KEYS[2], dayWindow)
      verdict = 'ok ' .. used
    end
  end
end
redis.call('SET', KEYS[3], verdict, 'PX', ARGV[7])
return verdict
`;
const takeTurn = redisScript(TAKE);

export interface RedisLimitsOptions extends LimitSettings {
  readonly redis: Redis;
  /** Key prefix, the queue's (default "vidbot"). */
  readonly prefix?: string;
  /** How long a message's verdict is kept for its redeliveries (default a day). */
  readonly verdictTtlMs?: number;
}

const quotaOf = (limit: number, used: number, freesInMs?: number): Quota => ({
  limit,
  used,
  left: Math.max(0, limit - used),
  ...(freesInMs === undefined ? {} : { freesInMs }),
});

const failed = (what: string, error: unknown) => redisFailure(`${what} a sender's limits`, error);

const readVerdict = (reply: string, perDay: number): Verdict => {
  const [kind, first = '0', second = '0'] = reply.split(' ');
  if (kind === 'rate') return { allowed: false, reason: 'rate', retryAfterMs: Number(first) };
  if (kind === 'quota') return { allowed: false, reason: 'quota', quota: quotaOf(perDay, Number(first), Number(second)) };
  const used = Number(first);
  return used < 0 ? { allowed: true } : { allowed: true, quota: quotaOf(perDay, used) };
};

export const createRedisLimits = ({ redis, prefix = 'vidbot', perMinute, perDay, verdictTtlMs = QUOTA_WINDOW_MS }: RedisLimitsOptions): SenderLimits => {
  const keys = (from: string) => {
    const base = `${prefix}:limits:{${from}}`;
    return { rate: `${base}:minute`, day: `${base}:day`, verdict: (messageId: string) => `${base}:message:${messageId}` };
  };
  return {
    name: 'redis',
    async take({ from, messageId, now }) {
      const { rate, day, verdict } = keys(from);
      const reply = await takeTurn(redis, [rate, day, verdict(messageId)], [now, perMinute, perDay, messageId, RATE_WINDOW_MS, QUOTA_WINDOW_MS, verdictTtlMs]).catch(
        (error: unknown) => {
          throw failed('take a turn of', error);
        },
      );
      return readVerdict(reply, perDay);
    },
    async allowance(from, now) {
      if (perDay <= 0) return undefined;
      const { day } = keys(from);
      const results = await redis
        .multi()
        .zremrangebyscore(day, '-inf', now - QUOTA_WINDOW_MS)
        .zrange(day, '0', '-1', 'WITHSCORES')
        .exec()
        .catch((error: unknown) => {
          throw failed('read', error);
        });
      const [error, members] = results?.[1] ?? [new Error('Redis answered nothing'), []];
      if (error) throw error;
      // Member, score, member, score ... oldest first.
      const scores = (members as string[]).filter((_value, index) => index % 2 === 1).map(Number);
      const used = scores.length;
      if (used < perDay) return quotaOf(perDay, used);
      return quotaOf(perDay, used, Math.max(0, (scores[used - perDay] ?? now) + QUOTA_WINDOW_MS - now));
    },
    async refund(from, messageId) {
      await redis.zrem(keys(from).day, messageId).catch((error: unknown) => {
        throw failed('give back a video of', error);
      });
    },
    async release(from, messageId) {
      const { rate, day, verdict } = keys(from);
      await redis
        .multi()
        .zrem(rate, messageId)
        .zrem(day, messageId)
        .del(verdict(messageId))
        .exec()
        .catch((error: unknown) => {
          throw failed('give back a turn of', error);
        });
    },
    async recount(from, messageId, now) {
      if (perDay <= 0) return;
      // NX: a video still counted (a canceled task's) keeps its place in the day.
      const { day } = keys(from);
      await redis
        .multi()
        .zadd(day, 'NX', now, messageId)
        .pexpire(day, QUOTA_WINDOW_MS)
        .exec()
        .catch((error: unknown) => {
          throw failed('count a video of', error);
        });
    },
  };
};
