/**
 * A per-sender sliding window: at most `limit` hits in any `windowMs`. In memory, so it counts per
 * web process; that is enough to stop one phone flooding the queue, which is what it is for.
 */
export interface RateLimiter {
  /** Records a hit when allowed; otherwise says how long until the oldest hit leaves the window. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterMs: number };
}

export interface RateLimiterOptions {
  readonly limit: number;
  readonly windowMs?: number;
  readonly now?: () => number;
  /** Senders remembered at once; the least recently seen are forgotten past this. */
  readonly maxKeys?: number;
}

export const createRateLimiter = ({ limit, windowMs = 60_000, now = Date.now, maxKeys = 10_000 }: RateLimiterOptions): RateLimiter => {
  const hits = new Map<string, number[]>();
  return {
    take(key) {
      const at = now();
      const recent = (hits.get(key) ?? []).filter((t) => t > at - windowMs);
      hits.delete(key);
      if (recent.length >= limit) {
        hits.set(key, recent);
        return { allowed: false, retryAfterMs: (recent[0] ?? at) + windowMs - at };
      }
      recent.push(at);
      hits.set(key, recent);
      // Map keeps insertion order, and every take re-inserts its key: the first key is the stalest.
      if (hits.size > maxKeys) hits.delete(hits.keys().next().value as string);
      return { allowed: true };
    },
  };
};
