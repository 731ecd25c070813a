import Replicate from 'replicate';
import { isAbortError, vidbotError, type VidbotError } from '../errors.ts';
import { AttemptTimeoutError, createRetryFetch, type RetryFetchOptions } from '../http/retry-fetch.ts';

export interface ReplicateClientOptions {
  readonly apiToken: string;
  /** The API root, e.g. an emulator's http://127.0.0.1:8080/v1. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
}

/**
 * The official SDK, with vidbot's retries (Retry-After honoured, time limit per attempt) in its
 * fetch. The SDK also repeats 429s and GET 5xx by itself, at once and without waiting; those
 * repeats are answered from the final answer we already waited for, so the service is not hit again.
 */
export const createReplicateClient = (options: ReplicateClientOptions): Replicate => {
  const retrying = createRetryFetch({ ...options.retry, ...(options.fetch ? { fetch: options.fetch } : {}) });
  type Final = { error: unknown } | { status: number; statusText: string; headers: Headers; body: string };
  // Keyed by the init object: the SDK passes the same one to each of its repeats of one call, and
  // only those repeats may be answered from memory, never another task's request to the same URL.
  const finals = new WeakMap<object, Final>();
  const replay = (final: Final): Response => {
    if ('error' in final) throw final.error;
    return new Response(final.body, { status: final.status, statusText: final.statusText, headers: final.headers });
  };
  const memoFetch: typeof fetch = async (input, init) => {
    const final = init ? finals.get(init) : undefined;
    if (final) return replay(final);
    let response: Response;
    try {
      response = await retrying(input, init);
    } catch (error) {
      // Thrown errors too: the SDK would otherwise send a hung POST again, and a prediction twice.
      if (init) finals.set(init, { error });
      throw error;
    }
    if (response.status === 429 || response.status >= 500) {
      const body = await response.text();
      const answer: Final = { status: response.status, statusText: response.statusText, headers: response.headers, body };
      if (init) finals.set(init, answer);
      return replay(answer);
    }
    return response;
  };
  return new Replicate({
    auth: options.apiToken,
    userAgent: 'vidbot',
    useFileOutput: false,
    fetch: memoFetch,
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
  });
};

interface ApiErrorShape {
  readonly response?: { readonly status?: number; readonly headers?: Headers };
  readonly message: string;
}

/** The HTTP status of an SDK ApiError; undefined for anything else. */
export const replicateStatus = (error: unknown): number | undefined =>
  error instanceof Error && error.name === 'ApiError' ? (error as unknown as ApiErrorShape).response?.status : undefined;

/** Replicate's `detail` (or `title`) from an ApiError's message, which embeds the body. */
const detailOf = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const body = message.slice(message.indexOf(': ') + 2).replace(/\.$/, '');
  try {
    const parsed = JSON.parse(body) as { detail?: unknown; title?: unknown };
    const text = parsed.detail ?? parsed.title;
    if (typeof text === 'string') return text;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 200);
};

/** Turns whatever the SDK threw into a VidbotError that says what to fix. */
export const toReplicateError = (error: unknown, action: string, model?: string): VidbotError => {
  if (isAbortError(error)) return vidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: error });
  if (error instanceof AttemptTimeoutError) {
    return vidbotError('VIDBOT_TIMEOUT', `Replicate did not answer while ${action} (${error.message}).`, { cause: error });
  }
  const status = replicateStatus(error);
  if (status === 401 || status === 403) {
    return vidbotError('VIDBOT_PROVIDER_AUTH', `Replicate rejected REPLICATE_API_TOKEN (${status}) while ${action}.`, { cause: error });
  }
  if (status === 404 && model) {
    return vidbotError('VIDBOT_MODEL_UNKNOWN', `Replicate has no model ${model} (404).`, { cause: error });
  }
  if (status === 422 || status === 400) {
    const detail = detailOf(error);
    if (/version|model/i.test(detail) && !/input/i.test(detail)) {
      return vidbotError('VIDBOT_MODEL_UNKNOWN', `Replicate refused the model ${model ?? ''}: ${detail}`, { cause: error });
    }
    return vidbotError('VIDBOT_INPUT_INVALID', `Replicate refused the inputs for ${model ?? 'the model'}: ${detail}`, {
      cause: error,
      hint: 'Check the model\'s inputs on its Replicate page and fix them with --input key=value.',
    });
  }
  if (status === 429) {
    return vidbotError('VIDBOT_PROVIDER_FAILED', `Replicate kept answering 429 (rate limited) while ${action}.`, { cause: error });
  }
  if (status !== undefined) {
    const retryable = status >= 500;
    return vidbotError('VIDBOT_PROVIDER_FAILED', `Replicate answered ${status} while ${action}: ${detailOf(error)}`, {
      cause: error,
      retryable,
    });
  }
  if (error instanceof SyntaxError) {
    return vidbotError('VIDBOT_PROVIDER_FAILED', `Replicate sent malformed JSON while ${action}.`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  // fetch says only "fetch failed"; the system error (ECONNREFUSED, ENOTFOUND) is in its cause.
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const detail = typeof code === 'string' ? `${message} (${code})` : message;
  return vidbotError('VIDBOT_PROVIDER_FAILED', `Cannot reach Replicate while ${action}: ${detail}`, {
    cause: error,
    hint: 'Check the network, or REPLICATE_API_BASE_URL if you set it.',
  });
};
