/**
 * Cog's HTTP API (the server inside every Cog-built container): PUT /predictions/{id} creates a
 * prediction idempotently (the same id while it runs gives the running one back), POST .../cancel
 * stops it, GET /health-check and GET /openapi.json describe the model. Cog has no way to read a
 * prediction's state later: with `Prefer: respond-async` it answers at once, without it the PUT
 * waits for the prediction to end, and the same PUT again joins the one still running.
 */
import { isAbortError, type VidbotError, vidbotError } from '../../errors.ts';
import { AttemptTimeoutError, createRetryFetch, type RetryFetchOptions } from '../../http/retry-fetch.ts';

export interface CogPrediction {
  readonly id?: string;
  readonly status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  readonly output?: unknown;
  readonly error?: string | null;
  readonly logs?: string;
  readonly metrics?: { readonly predict_time?: number };
}

export interface CogClientOptions {
  /** VIDBOT_COG_URL, e.g. http://gpu-box:5000. */
  readonly url: string;
  readonly fetch?: typeof fetch;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
}

export interface PutOptions {
  /** Answer at once (and make the prediction cancelable) rather than when it ends. */
  readonly async: boolean;
  readonly webhook?: string;
  readonly signal?: AbortSignal;
}

export class CogHttpError extends Error {
  override readonly name = 'CogHttpError';
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** A PUT is idempotent, so any failure that left nothing certain may be sent again with the same id. */
const retryablePut = (status: number): boolean => status === 409 || status === 429 || status >= 500;

export const createCogClient = (options: CogClientOptions) => {
  const base = options.url.replace(/\/+$/, '');
  const retrying = createRetryFetch({ retryUnsafe: retryablePut, ...options.retry, ...(options.fetch ? { fetch: options.fetch } : {}) });
  // A waiting PUT lasts as long as the prediction: no time limit per attempt, only the caller's signal.
  const waiting = createRetryFetch({ retryUnsafe: retryablePut, ...options.retry, attemptTimeoutMs: 2 ** 31 - 1, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const call = async <T>(fetchFn: typeof fetch, path: string, init: RequestInit): Promise<T> => {
    const response = await fetchFn(`${base}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new CogHttpError(response.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  };
  return {
    url: base,
    put: (id: string, input: Record<string, unknown>, put: PutOptions): Promise<CogPrediction> =>
      call(put.async ? retrying : waiting, `/predictions/${encodeURIComponent(id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(put.async ? { prefer: 'respond-async' } : {}) },
        body: JSON.stringify({
          id,
          input,
          ...(put.webhook ? { webhook: put.webhook, webhook_events_filter: ['start', 'logs', 'completed'] } : {}),
        }),
        ...(put.signal ? { signal: put.signal } : {}),
      }),
    cancel: (id: string, signal?: AbortSignal): Promise<unknown> =>
      call(retrying, `/predictions/${encodeURIComponent(id)}/cancel`, { method: 'POST', ...(signal ? { signal } : {}) }),
    health: (signal?: AbortSignal): Promise<{ status?: string; setup?: { logs?: string } }> => call(retrying, '/health-check', signal ? { signal } : {}),
    openapi: (signal?: AbortSignal): Promise<unknown> => call(retrying, '/openapi.json', signal ? { signal } : {}),
  };
};

export type CogClient = ReturnType<typeof createCogClient>;

/** Turns whatever a Cog call threw into a VidbotError: every failure of a reachable server is retryable. */
export const toCogError = (error: unknown, action: string): VidbotError => {
  if (isAbortError(error)) return vidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: error });
  if (error instanceof AttemptTimeoutError) return vidbotError('VIDBOT_TIMEOUT', `The Cog server did not answer while ${action}.`, { cause: error });
  if (error instanceof CogHttpError) {
    if (error.status === 409) {
      return vidbotError('VIDBOT_PROVIDER_FAILED', `The Cog server is busy with another prediction (409) while ${action}.`, {
        cause: error,
        hint: 'It runs as many predictions at once as its concurrency allows; raise it in cog.yaml or lower WORKER_COUNT.',
      });
    }
    if (error.status === 422) {
      return vidbotError('VIDBOT_INPUT_INVALID', `The Cog model refused the inputs: ${error.body.slice(0, 200)}`, {
        cause: error,
        hint: "Check the model's inputs (GET /openapi.json on the server) and set them with --input key=value.",
      });
    }
    return vidbotError('VIDBOT_PROVIDER_FAILED', `The Cog server answered ${error.status} while ${action}.`, { cause: error, retryable: error.status >= 500 || error.status === 429 });
  }
  if (error instanceof SyntaxError) return vidbotError('VIDBOT_PROVIDER_FAILED', `The Cog server sent malformed JSON while ${action}.`, { cause: error });
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return vidbotError('VIDBOT_PROVIDER_FAILED', `Cannot reach the Cog server while ${action}: ${message}${typeof code === 'string' ? ` (${code})` : ''}`, {
    cause: error,
    hint: 'Check that the model server runs and VIDBOT_COG_URL points at it (its GET /health-check answers READY).',
  });
};
