import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { vidbotError } from '../../errors.ts';

/** The URL with its password masked, for messages. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the given URL';
  }
};

export interface ConnectRedisOptions {
  /** Time allowed for one attempt to connect and answer PING. */
  readonly timeoutMs?: number;
  readonly maxRetriesPerRequest?: number | null;
  /**
   * Total time to keep trying while Redis is not up yet (serve or worker started beside it, e.g. by
   * compose). 0, the default, fails at the first attempt.
   */
  readonly waitMs?: number;
  /** Called before each wait, e.g. to log that vidbot is waiting for Redis. */
  readonly onWaiting?: (attempt: number, delayMs: number, error: Error) => void;
  /** Stops the waiting (Ctrl-C on `serve` or `worker`): VIDBOT_CANCELED. */
  readonly signal?: AbortSignal;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/** The wait after failed attempt `attempt` (1-based): 250 ms doubling up to 5 s. */
export const redisBackoffMs = (attempt: number): number =>
  Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1));

/** One attempt; rejects with the most telling error. */
const attempt = async (url: string, options: ConnectRedisOptions): Promise<Redis> => {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    lazyConnect: true,
    connectionName: 'vidbot',
  });
  let lastError: Error | undefined;
  // Errors while reconnecting are expected; commands report what matters.
  client.on('error', (error: Error) => void (lastError = error));
  const timeoutMs = options.timeoutMs ?? 5_000;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_resolve, reject) => setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return client;
  } catch (error) {
    client.disconnect();
    // ioredis reports "Connection is closed"; the socket's own error (ECONNREFUSED...) says more.
    throw lastError ?? error;
  }
};

/**
 * Opens an ioredis client for the BullMQ queue. Fails with a clear error when Redis is not there at
 * start, at once or after `waitMs` of retries. Once connected, ioredis reconnects by itself. Workers
 * want `maxRetriesPerRequest: null` (wait through a Redis restart rather than fail a job); a web
 * request wants a bound, so it answers an error Twilio retries instead of hanging.
 */
export const connectRedis = async (url: string, options: ConnectRedisOptions = {}): Promise<Redis> => {
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  const stopped = () => vidbotError('VIDBOT_CANCELED', `Stopped while waiting for Redis at ${redactUrl(url)}.`);
  for (let tries = 1; ; tries++) {
    if (options.signal?.aborted) throw stopped();
    try {
      return await attempt(url, options);
    } catch (error) {
      if (options.signal?.aborted) throw stopped();
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const waited = waitMs > 0 ? ` (kept trying for ${Math.round(waitMs / 1000)} s)` : '';
        throw vidbotError('VIDBOT_STORE_FAILED', `Cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message}${waited}`, {
          cause: error,
          retryable: false,
          hint: 'Start Redis, or fix REDIS_URL (or --queue); without them vidbot uses its embedded SQLite queue.',
        });
      }
      const delayMs = Math.min(redisBackoffMs(tries), remaining);
      options.onWaiting?.(tries, delayMs, error as Error);
      // Not unref'd: while serve waits, this timer is all that keeps the process alive.
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => {
        throw stopped();
      });
    }
  }
};
