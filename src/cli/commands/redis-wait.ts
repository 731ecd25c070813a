import type { RedisWait } from '../../lib/pick-adapters.ts';
import { isVidbotError } from '../../lib/errors.ts';
import type { CliContext } from '../context.ts';

/** How long `serve` and `worker` wait for Redis at start (it may be starting beside them). */
const WAIT_MS = 60_000;

/** Waits for Redis, saying so on each try, rather than exiting because it came up a moment late. */
export const redisWait = (context: CliContext): RedisWait => ({
  ms: WAIT_MS,
  // Ctrl-C (docker compose down) stops the waiting at once: nothing has started to stop cleanly.
  signal: context.signal,
  onWaiting: (attempt, delayMs, error) =>
    void context.stderr.write(`waiting for Redis (try ${attempt}, again in ${(delayMs / 1000).toFixed(1)} s): ${error.message}\n`),
});

/** A start that a stop request cut short while it waited for Redis: a clean stop, not a failure. */
export const stoppedWaiting = (context: CliContext, error: unknown): boolean => {
  if (!context.signal.aborted || !isVidbotError(error, 'VIDBOT_CANCELED')) return false;
  context.stderr.write(`\n${error.message} Nothing had started.\n`);
  return true;
};
