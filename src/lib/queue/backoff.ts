export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Fraction of the delay added or removed at random, so retries of a burst spread out. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 };

/** Delay before the next attempt after `attempt` (1-based) failed: base*2^(attempt-1), capped, ± jitter. */
export const backoffDelay = (attempt: number, options: BackoffOptions, random: () => number = Math.random): number => {
  const exponent = Math.max(0, attempt - 1);
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jittered = capped * (1 + options.jitter * (2 * random() - 1));
  return Math.max(0, Math.round(Math.min(options.maxMs, jittered)));
};
