/**
 * Limits for one web process: the rate limit in memory (a sliding window per sender), the daily
 * allowance counted from the store (its tasks that did not fail). Two web processes would each keep
 * their own rate limit; with REDIS_URL they share limits in Redis instead (redis.ts).
 */
import type { Store } from '../store/port.ts';
import { type LimitSettings, RATE_WINDOW_MS, type SenderLimits, type Verdict } from './port.ts';
import { createRecentMap } from './recent.ts';
import { readStoreQuota } from './store-quota.ts';

export interface MemoryLimitsOptions extends LimitSettings {
  readonly store: Pick<Store, 'listTasks'>;
  /** Senders (and verdicts) surely remembered; the least recently seen are forgotten past twice this. */
  readonly maxKeys?: number;
}

export const createMemoryLimits = ({ store, perMinute, perDay, maxKeys = 10_000 }: MemoryLimitsOptions): SenderLimits => {
  // A sender's turns in the last minute, oldest first, each with the message that took it.
  const hits = createRecentMap<{ at: number; messageId: string }[]>(maxKeys);
  const verdicts = createRecentMap<Verdict>(maxKeys);
  return {
    name: 'memory',
    async take({ from, messageId, now }) {
      const seen = verdicts.get(messageId);
      if (seen !== undefined) return seen;
      // Read first: the turn below is taken in the same tick as the verdict is remembered.
      const quota = await readStoreQuota(store, from, perDay, now);
      const again = verdicts.get(messageId);
      if (again !== undefined) return again;
      const recent = (hits.get(from) ?? []).filter((turn) => turn.at > now - RATE_WINDOW_MS);
      let verdict: Verdict;
      if (recent.length >= perMinute) {
        verdict = { allowed: false, reason: 'rate', retryAfterMs: (recent[0]?.at ?? now) + RATE_WINDOW_MS - now };
      } else {
        recent.push({ at: now, messageId });
        verdict = quota !== undefined && quota.left === 0 ? { allowed: false, reason: 'quota', quota } : { allowed: true, ...(quota ? { quota } : {}) };
      }
      hits.set(from, recent);
      verdicts.set(messageId, verdict);
      return verdict;
    },
    allowance: (from, now) => readStoreQuota(store, from, perDay, now),
    // The store does not count failed tasks: nothing to give back.
    async refund() {},
    async release(from, messageId) {
      verdicts.delete(messageId);
      const turns = hits.get(from);
      if (turns !== undefined) hits.set(from, turns.filter((turn) => turn.messageId !== messageId));
    },
    // The store counts the task again once it is no longer failed.
    async recount() {},
  };
};
