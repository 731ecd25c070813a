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

/**
 * Opens an ioredis client for the BullMQ queue, and fails fast with a clear error when Redis is not
 * there at start. Once connected, ioredis reconnects by itself. Workers want `maxRetriesPerRequest:
 * null` (wait through a Redis restart rather than fail a job); a web request wants a bound, so it
 * answers an error Twilio retries instead of hanging.
 */
export const connectRedis = async (
  url: string,
  options: { timeoutMs?: number; maxRetriesPerRequest?: number | null } = {},
): Promise<Redis> => {
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
      client.connect(),
      new Promise((_resolve, reject) => setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    await client.ping();
  } catch (error) {
    client.disconnect();
    // ioredis reports "Connection is closed"; the socket's own error (ECONNREFUSED...) says more.
    const reason = lastError ?? (error as Error);
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot reach Redis at ${redactUrl(url)}: ${reason.message}`, {
      cause: error,
      retryable: false,
      hint: 'Start Redis, or fix REDIS_URL (or --queue); without them vidbot uses its embedded SQLite queue.',
    });
  }
  return client;
};
