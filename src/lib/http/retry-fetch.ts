/**
 * A fetch that retries what a service asks to be retried (429, 5xx), waiting as long as its
 * Retry-After says, and gives every attempt a time limit. SDKs get it through their `fetch` option.
 */
export interface RetryFetchOptions {
  readonly fetch?: typeof fetch;
  /** Attempts after the first (default 4). */
  readonly retries?: number;
  /** First backoff delay; doubled each retry, with jitter (default 1000 ms). */
  readonly baseDelayMs?: number;
  /** Longest single wait, Retry-After included (default 60 s). */
  readonly maxDelayMs?: number;
  /** Time limit of one attempt, headers included (default 30 s). */
  readonly attemptTimeoutMs?: number;
  /**
   * Which failures a non-GET request may retry. Creating things twice costs money, so by default
   * only answers that promise nothing was done (429, 503) are retried.
   */
  readonly retryUnsafe?: (status: number) => boolean;
  /** Told before each wait, for logs and progress. */
  readonly onRetry?: (info: { status: number | 'network'; attempt: number; delayMs: number; url: string }) => void;
}

/** Thrown (as the fetch's rejection) when one attempt outlives attemptTimeoutMs. */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
}

const safeToRetry = (status: number): boolean => status === 429 || status >= 500;

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export const retryAfterMs = (header: string | null, now = Date.now()): number | undefined => {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

const sleep = (ms: number, signal: AbortSignal | null | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export const createRetryFetch = (options: RetryFetchOptions = {}): typeof fetch => {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const retries = options.retries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
  const retryUnsafe = options.retryUnsafe ?? ((status: number) => status === 429 || status === 503);

  const attempt = async (input: Request | string | URL, init: RequestInit | undefined): Promise<Response> => {
    const timeout = AbortSignal.timeout(attemptTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await baseFetch(input, { ...init, signal });
    } catch (error) {
      if (timeout.aborted && !init?.signal?.aborted) {
        throw new AttemptTimeoutError(`No answer within ${Math.round(attemptTimeoutMs / 1000)} s`, { cause: error });
      }
      throw error;
    }
  };

  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD';
    const url = input instanceof Request ? input.url : String(input);
    for (let tried = 0; ; tried += 1) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await attempt(input, init);
      } catch (error) {
        failure = error;
      }
      const status = response?.status;
      const retryable = response
        ? idempotent
          ? safeToRetry(response.status)
          : retryUnsafe(response.status)
        : idempotent && !init?.signal?.aborted;
      if (!retryable || tried >= retries) {
        if (response) return response;
        throw failure;
      }
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** tried) * (0.8 + Math.random() * 0.4);
      const asked = response ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      const delayMs = Math.round(Math.min(maxDelayMs, asked ?? backoff));
      await response?.body?.cancel().catch(() => {});
      options.onRetry?.({ status: status ?? 'network', attempt: tried + 1, delayMs, url });
      await sleep(delayMs, init?.signal);
    }
  };
};
