/**
 * fal's official client (@fal-ai/client) with vidbot's retries in its fetch. The client repeats
 * 429s, 5xx and dropped connections by itself, a submit too, without reading Retry-After; a
 * repeated submit after a lost answer pays twice. So its fetch answers every failure in a shape the
 * client does not repeat, after vidbot's own retries (Retry-After honoured, GETs only for 5xx).
 */
import { createFalClient, type FalClient } from '@fal-ai/client';
import { isAbortError, type VidbotError, vidbotError } from '../../errors.ts';
import { AttemptTimeoutError, createRetryFetch, type RetryFetchOptions } from '../../http/retry-fetch.ts';

export const FAL_QUEUE_URL = 'https://queue.fal.run';
export const FAL_API_URL = 'https://api.fal.ai';
export const FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';

/** A 429 or 5xx answer, thrown rather than returned so the client does not repeat the request. */
export class FalHttpError extends Error {
  override readonly name = 'FalHttpError';
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** No answer at all; the original error is kept outside `cause`, where the client looks for network codes. */
export class FalTransportError extends Error {
  override readonly name = 'FalTransportError';
  readonly original: unknown;
  constructor(original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.original = original;
  }
}

export interface FalApiOptions {
  readonly key: string;
  /** One server for the queue, the platform API and the key set (FAL_API_BASE_URL): emulators and tests. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
}

export interface FalApi {
  readonly client: FalClient;
  /** vidbot's retrying fetch, for the calls the client has no method for. */
  readonly fetch: typeof fetch;
  readonly apiUrl: string;
  readonly jwksUrl: string;
  readonly key: string;
}

export const createFalApi = (options: FalApiOptions): FalApi => {
  const retrying = createRetryFetch({ ...options.retry, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const guarded: typeof fetch = async (input, init) => {
    let response: Response;
    try {
      response = await retrying(input, init);
    } catch (error) {
      throw new FalTransportError(error);
    }
    if (response.status === 429 || response.status >= 500) throw new FalHttpError(response.status, await response.text());
    return response;
  };
  const base = options.baseUrl?.replace(/\/+$/, '');
  const client = createFalClient({
    credentials: options.key,
    fetch: guarded,
    suppressLocalCredentialsWarning: true,
    ...(base ? { requestMiddleware: async (request) => ({ ...request, url: request.url.replace(FAL_QUEUE_URL, base) }) } : {}),
  });
  return {
    client,
    fetch: guarded,
    apiUrl: base ?? FAL_API_URL,
    jwksUrl: base ? `${base}/.well-known/jwks.json` : FAL_JWKS_URL,
    key: options.key,
  };
};

interface ApiErrorShape {
  readonly status?: number;
  readonly body?: { detail?: unknown; message?: unknown };
}

/** The HTTP status of a failed call; undefined when no answer came. */
export const falStatus = (error: unknown): number | undefined => {
  if (error instanceof FalHttpError) return error.status;
  if (error instanceof Error && (error.name === 'ApiError' || error.name === 'ValidationError')) return (error as ApiErrorShape).status;
  return undefined;
};

/** fal's error detail in one line: a string, or the messages of a validation list. */
export const falDetail = (body: unknown): string => {
  const detail = (body as { detail?: unknown } | undefined)?.detail ?? body;
  if (typeof detail === 'string') return detail.slice(0, 200);
  if (Array.isArray(detail)) {
    return detail
      .map((item) => (typeof item === 'object' && item && 'msg' in item ? String((item as { msg: unknown }).msg) : JSON.stringify(item)))
      .join('; ')
      .slice(0, 200);
  }
  return body === undefined ? '' : JSON.stringify(body).slice(0, 200);
};

const bodyOf = (error: unknown): unknown => {
  if (error instanceof FalHttpError) {
    try {
      return JSON.parse(error.body) as unknown;
    } catch {
      return error.body;
    }
  }
  return (error as ApiErrorShape | undefined)?.body;
};

/** The system error code (ECONNREFUSED...) under a transport failure. */
export const falNetworkCode = (error: unknown): string | undefined => {
  const original = error instanceof FalTransportError ? error.original : error;
  const code = (original as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Turns whatever a fal call threw into a VidbotError that says what to fix. */
export const toFalError = (error: unknown, action: string, model?: string): VidbotError => {
  const original = error instanceof FalTransportError ? error.original : error;
  if (isAbortError(original)) return vidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: error });
  if (original instanceof AttemptTimeoutError) {
    return vidbotError('VIDBOT_TIMEOUT', `fal did not answer while ${action} (${original.message}).`, { cause: error });
  }
  const status = falStatus(error);
  const detail = falDetail(bodyOf(error));
  if (status === 401 || status === 403) {
    return vidbotError('VIDBOT_PROVIDER_AUTH', `fal rejected FAL_KEY (${status}) while ${action}.`, {
      cause: error,
      hint: 'Check FAL_KEY: create a key in your fal.ai dashboard (key_id:key_secret).',
    });
  }
  if (status === 404 && model) return vidbotError('VIDBOT_MODEL_UNKNOWN', `fal has no endpoint ${model} (404).`, { cause: error });
  if (status === 422 || status === 400) {
    return vidbotError('VIDBOT_INPUT_INVALID', `fal refused the inputs for ${model ?? 'the model'}: ${detail}`, {
      cause: error,
      hint: "Check the endpoint's inputs on its fal.ai page and fix them with --input key=value.",
    });
  }
  if (status === 429) return vidbotError('VIDBOT_PROVIDER_FAILED', `fal kept answering 429 (rate limited) while ${action}.`, { cause: error });
  if (status !== undefined) {
    return vidbotError('VIDBOT_PROVIDER_FAILED', `fal answered ${status} while ${action}${detail ? `: ${detail}` : ''}`, {
      cause: error,
      retryable: status >= 500,
    });
  }
  if (original instanceof SyntaxError) return vidbotError('VIDBOT_PROVIDER_FAILED', `fal sent malformed JSON while ${action}.`, { cause: error });
  const code = falNetworkCode(error);
  const message = original instanceof Error ? original.message : String(original);
  return vidbotError('VIDBOT_PROVIDER_FAILED', `Cannot reach fal while ${action}: ${message}${code ? ` (${code})` : ''}`, {
    cause: error,
    hint: 'Check the network, or FAL_API_BASE_URL if you set it.',
  });
};
