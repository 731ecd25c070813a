/**
 * A small typed client for the part of Meta's Graph API the WhatsApp Cloud API uses: JSON posts,
 * multipart media uploads and media lookups, on `fetch`. Meta publishes no maintained Node SDK, and
 * this is all a bot needs: every request can be aborted, pointed at an emulator (the base URL), and
 * its failures come back as what Graph said (HTTP status, error code and subcode, fbtrace_id).
 */

export const GRAPH_BASE_URL = 'https://graph.facebook.com';
export const GRAPH_VERSION = 'v24.0';

export interface GraphClientOptions {
  /** A system user's permanent token (or a temporary one from the app dashboard). */
  readonly token: string;
  /** Default https://graph.facebook.com; an emulator's or a test fake's origin otherwise. */
  readonly baseUrl?: string;
  /** Graph API version, e.g. v24.0. */
  readonly version?: string;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** What Graph answered when a request failed, or why no answer came. */
export class GraphFailure extends Error {
  override readonly name = 'GraphFailure';
  /** HTTP status; 0 when no answer came (a network error or a timeout). */
  readonly status: number;
  readonly code?: number;
  readonly subcode?: number;
  /** `error_data.details`: Meta's longer explanation. */
  readonly details?: string;
  readonly fbtraceId?: string;
  /** The network error's code (ECONNREFUSED...) when no answer came. */
  readonly network?: string;
  /** Seconds to wait, when Graph said (Retry-After). */
  readonly retryAfterSec?: number;
  constructor(message: string, fields: Omit<GraphFailure, keyof Error | 'name'>) {
    super(message);
    Object.assign(this, fields);
    this.status = fields.status;
  }
}

export type GraphBody = { readonly json: unknown } | { readonly form: FormData } | undefined;

export interface GraphClient {
  readonly baseUrl: string;
  readonly version: string;
  /** `path` is below the version (`/123/messages`), or a full URL on Graph's own origin. */
  call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: GraphBody, signal?: AbortSignal): Promise<T>;
}

interface GraphErrorBody {
  readonly error?: {
    readonly message?: string;
    readonly code?: number;
    readonly error_subcode?: number;
    readonly error_data?: { readonly details?: string };
    readonly fbtrace_id?: string;
  };
}

const networkCode = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

export const createGraphClient = (options: GraphClientOptions): GraphClient => {
  const baseUrl = (options.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '');
  const version = options.version ?? GRAPH_VERSION;
  const doFetch = options.fetch ?? fetch;
  return {
    baseUrl,
    version,
    async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: GraphBody, signal?: AbortSignal): Promise<T> {
      const url = /^https?:/.test(path) ? path : `${baseUrl}/${version}${path}`;
      const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
      let payload: string | FormData | undefined;
      if (body !== undefined && 'json' in body) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body.json);
      } else if (body !== undefined) payload = body.form;
      const signals = [AbortSignal.timeout(options.timeoutMs ?? 30_000), ...(signal ? [signal] : [])];
      let response: Response;
      try {
        response = await doFetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }), signal: AbortSignal.any(signals) });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const network = networkCode(error) ?? ((error as Error).name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
        // fetch says only "fetch failed": the network's own code (ECONNREFUSED...) is what tells why.
        const why = network !== undefined && !(error as Error).message.includes(network) ? ` (${network})` : '';
        throw new GraphFailure(`Could not reach the Graph API: ${(error as Error).message}${why}`, { status: 0, ...(network ? { network } : {}) });
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? {} : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (response.ok && parsed !== undefined) return parsed as T;
      const error = (parsed as GraphErrorBody | undefined)?.error;
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new GraphFailure(error?.message ?? `HTTP ${response.status}${parsed === undefined ? ' (not JSON)' : ''}`, {
        status: response.status,
        ...(error?.code === undefined ? {} : { code: error.code }),
        ...(error?.error_subcode === undefined ? {} : { subcode: error.error_subcode }),
        ...(error?.error_data?.details ? { details: error.error_data.details } : {}),
        ...(error?.fbtrace_id ? { fbtraceId: error.fbtrace_id } : {}),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSec: retryAfter } : {}),
      });
    },
  };
};
