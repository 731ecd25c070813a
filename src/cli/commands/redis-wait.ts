import type { RedisWait } from '../../lib/pick-adapters.ts';
import type { CliContext } from '../context.ts';

/** How long `serve` and `worker` wait for Redis at start (it may be starting beside them). */
const WAIT_MS = 60_000;

/** Waits for Redis, saying so on each try, rather than exiting because it came up a moment late. */
export const redisWait = (context: CliContext): RedisWait => ({
  ms: WAIT_MS,
  onWaiting: (attempt, delayMs, error) =>
    void context.stderr.write(`waiting for Redis (try ${attempt}, again in ${(delayMs / 1000).toFixed(1)} s): ${error.message}\n`),
});
