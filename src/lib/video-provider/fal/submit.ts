/**
 * Submitting to fal's queue without paying twice. fal takes no idempotency key and keeps no tag of
 * ours on a request, so after a submit whose answer is lost (a 5xx other than 503, a dropped
 * connection, a timeout) the request is looked for in fal's platform list of the account's requests
 * to this endpoint (GET /v1/models/requests/by-endpoint?expand=payloads), by its exact inputs and
 * the time it was sent; it is submitted once more only when it is not there.
 */
import { type VidbotError, vidbotError, isAbortError } from '../../errors.ts';
import type { ModelInput } from '../catalogue/index.ts';
import { NOTHING_STARTED } from '../failure.ts';
import type { GenerateOptions } from '../port.ts';
import { pause } from '../updates.ts';
import { type FalApi, falNetworkCode, falStatus, toFalError } from './client.ts';

export interface SubmitDeps {
  readonly api: FalApi;
  readonly now: () => number;
  /** Wait before a second look: the list may lag a moment behind a submit. */
  readonly settleMs: number;
}

export interface SubmitRequest {
  readonly endpoint: string;
  readonly input: ModelInput;
  readonly webhookUrl?: string;
  readonly options: GenerateOptions;
  /** The task's earlier request (gone), never to be adopted. */
  readonly exclude?: string;
}

interface ListedRequest {
  readonly request_id: string;
  readonly sent_at?: string;
  readonly json_input?: unknown;
}

const SKEW_MS = 30_000;
const MAX_PAGES = 5;
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A 429, a 503 or a refused connection surely queued nothing; other failures may hide a request. */
const submitFailure = (error: unknown, endpoint: string): { error: VidbotError; ambiguous: boolean } => {
  const mapped = toFalError(error, `submitting to ${endpoint}`, endpoint);
  if (!mapped.retryable) return { error: mapped, ambiguous: false };
  const status = falStatus(error);
  const code = falNetworkCode(error);
  return { error: mapped, ambiguous: !(status === 429 || status === 503 || (code !== undefined && UNSENT.has(code))) };
};

/** JSON with sorted keys, so two equal inputs compare equal whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

const listPage = async (api: FalApi, endpoint: string, since: number, cursor: string | undefined, signal: AbortSignal | undefined) => {
  const url = new URL(`${api.apiUrl}/v1/models/requests/by-endpoint`);
  url.searchParams.set('endpoint_id', endpoint);
  url.searchParams.set('start', new Date(since).toISOString());
  url.searchParams.set('expand', 'payloads');
  url.searchParams.set('limit', '100');
  if (cursor) url.searchParams.set('cursor', cursor);
  const response = await api.fetch(url, { headers: { authorization: `Key ${api.key}`, accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (!response.ok) throw vidbotError('VIDBOT_PROVIDER_FAILED', `fal's request list answered ${response.status}.`);
  const page = (await response.json()) as { items?: ListedRequest[]; next_cursor?: string | null; has_more?: boolean };
  if (!Array.isArray(page?.items)) throw new SyntaxError('The answer is not a page of requests.');
  return page;
};

const look = async (api: FalApi, request: SubmitRequest, since: number): Promise<string | undefined | 'incomplete'> => {
  const wanted = canonical(request.input);
  let cursor: string | undefined;
  for (let pages = 1; ; pages += 1) {
    const page = await listPage(api, request.endpoint, since, cursor, request.options.signal);
    const hit = page.items?.find(
      (item) => item.request_id !== request.exclude && !(Date.parse(item.sent_at ?? '') < since) && canonical(item.json_input) === wanted,
    );
    if (hit) return hit.request_id;
    if (!page.has_more || !page.next_cursor) return undefined;
    if (pages >= MAX_PAGES) return 'incomplete';
    cursor = page.next_cursor;
  }
};

/** The request a submit sent at `requestedAt` made, if any. A list that fails is retryable: nothing is submitted blindly. */
const findSubmitted = async (deps: SubmitDeps, request: SubmitRequest, requestedAt: number): Promise<string | undefined> => {
  const since = requestedAt - SKEW_MS;
  const once = () =>
    look(deps.api, request, since).catch((error: unknown) => {
      const mapped = toFalError(error, 'looking for a request whose submit got no clear answer');
      if (isAbortError(mapped)) throw mapped;
      throw vidbotError('VIDBOT_PROVIDER_FAILED', `${mapped.message} Nothing is submitted until it is found or surely absent.`, { cause: error, retryable: true });
    });
  let found = await once();
  if (found === undefined && deps.now() - requestedAt < 60_000) {
    await pause(deps.settleMs, request.options.signal);
    found = await once();
  }
  if (found === 'incomplete') {
    throw vidbotError('VIDBOT_PROVIDER_FAILED', `Too many fal requests to ${request.endpoint} since ${new Date(since).toISOString()} to find this task's.`, { retryable: true });
  }
  return found;
};

/** Submits a request, or adopts the one an earlier unanswered submit made; returns fal's request id. */
export const submitOrAdopt = async (deps: SubmitDeps, request: SubmitRequest): Promise<string> => {
  const { options } = request;
  if (options.remoteJobRequestedAt !== undefined) {
    const earlier = await findSubmitted(deps, request, options.remoteJobRequestedAt);
    if (earlier) return earlier;
    if (options.createOnce) {
      throw vidbotError('VIDBOT_PROVIDER_FAILED', `fal gave no clear answer to this task's earlier submit to ${request.endpoint}, and no request of it is listed.`, {
        retryable: true,
        details: NOTHING_STARTED,
      });
    }
  }
  let unknown: VidbotError | undefined;
  for (let round = 0; round < (options.createOnce ? 1 : 2); round += 1) {
    const requestedAt = deps.now();
    await options.onRemoteJobRequested?.(requestedAt);
    try {
      // Not the job's signal: an abort in mid-request could leave a paid request nobody knows of.
      const queued = await deps.api.client.queue.submit(request.endpoint, {
        input: request.input,
        ...(request.webhookUrl ? { webhookUrl: request.webhookUrl } : {}),
      });
      if (typeof queued?.request_id === 'string') return queued.request_id;
      unknown = vidbotError('VIDBOT_PROVIDER_FAILED', 'fal answered without a request id.');
    } catch (error) {
      const failure = submitFailure(error, request.endpoint);
      // A clear refusal (or a submit that surely never arrived) queued nothing.
      if (!failure.ambiguous) throw failure.error.withDetails(NOTHING_STARTED);
      unknown = failure.error;
    }
    const found = await findSubmitted(deps, request, requestedAt);
    if (found) return found;
  }
  const last = unknown ?? vidbotError('VIDBOT_PROVIDER_FAILED', 'fal gave no clear answer.');
  // Another provider may take over: the list says the one submit queued nothing.
  if (options.createOnce) throw vidbotError(last.code, `${last.message} No request of it is listed.`, { cause: last, retryable: true, details: NOTHING_STARTED });
  const retryable = options.onRemoteJobRequested !== undefined;
  const why = retryable
    ? 'No request of it is listed; the next attempt looks again before submitting.'
    : 'It may have been queued anyway, so it is not retried (check your fal.ai dashboard).';
  throw vidbotError(last.code, `${last.message} ${why}`, { cause: last, retryable });
};
