import type Replicate from 'replicate';
import type { Page, Prediction } from 'replicate';
import { type VidbotError, vidbotError, isAbortError } from '../errors.ts';
import { NOTHING_STARTED } from './failure.ts';
import type { GenerateOptions } from './port.ts';
import { replicateStatus, toReplicateError } from './replicate-client.ts';
import type { ModelInput } from './replicate-models.ts';

/** The query parameter that carries the task's key in a prediction's webhook URL. */
export const TASK_PARAM = 'vidbot_task';

/** The webhook URL with the task's key, so a listed prediction says which task made it. */
export const tagWebhook = (webhookUrl: string, jobKey: string | undefined): string => {
  if (!jobKey) return webhookUrl;
  const url = new URL(webhookUrl);
  url.searchParams.set(TASK_PARAM, jobKey);
  return url.toString();
};

export interface CreateDeps {
  readonly client: Replicate;
  readonly now: () => number;
  /** Wait before a second look: the list may lag a moment behind a create. */
  readonly settleMs: number;
}

export interface CreateRequest {
  /** owner/name or owner/name:version. */
  readonly model: string;
  readonly input: ModelInput;
  readonly webhookUrl?: string;
  readonly options: GenerateOptions;
  /** The task's earlier prediction (canceled or gone), never to be adopted. */
  readonly exclude?: string;
}

interface Target {
  readonly model: string;
  readonly version?: string;
  readonly input: ModelInput;
  readonly jobKey?: string;
  readonly exclude?: string;
}

const SKEW_MS = 30_000;
const MAX_PAGES = 5;
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A 429, a 503 or a refused connection surely started nothing; a timeout, a dropped connection,
 * another 5xx or an unreadable answer may hide a running prediction (ambiguous). 4xx are final.
 */
const createFailure = (error: unknown, model: string): { error: VidbotError; ambiguous: boolean } => {
  const mapped = toReplicateError(error, `starting a prediction of ${model}`, model);
  if (!mapped.retryable) return { error: mapped, ambiguous: false };
  const status = replicateStatus(error);
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const surelyUnsent = status === 429 || status === 503 || (typeof code === 'string' && UNSENT.has(code));
  return { error: mapped, ambiguous: !surelyUnsent };
};

const taskOf = (webhook: unknown): string | undefined => {
  if (typeof webhook !== 'string') return undefined;
  try {
    return new URL(webhook).searchParams.get(TASK_PARAM) ?? undefined;
  } catch {
    return undefined;
  }
};

const matches = (prediction: Prediction, target: Target, since: number): boolean => {
  if (prediction.id === target.exclude || prediction.source === 'web') return false;
  if (prediction.status === 'canceled' || prediction.status === 'aborted') return false;
  if (!(Date.parse(prediction.created_at) >= since)) return false;
  if (target.version ? prediction.version !== target.version : prediction.model !== target.model) return false;
  // A task key decides alone: inputs are removed after an hour, and another task may share the prompt.
  const key = taskOf(prediction.webhook);
  if (key !== undefined) return key === target.jobKey;
  const input = prediction.input as Record<string, unknown> | undefined;
  if (prediction.data_removed || !input || input.prompt !== target.input.prompt) return false;
  // Images compared exactly: adopting a video made from someone else's photo is worse than paying twice.
  return Object.entries(target.input).every(([name, value]) => !/image/.test(name) || input[name] === value);
};

const getPage = async (client: Replicate, route: string | URL, params: object, signal: AbortSignal | undefined) => {
  const response = await client.request(route, { method: 'GET', params, ...(signal ? { signal } : {}) });
  const page = (await response.json()) as Page<Prediction>;
  if (!Array.isArray(page?.results)) throw new SyntaxError('The answer is not a page of predictions.');
  return page;
};

/** One walk of the list, newest first, until a page reaches before the window; 'incomplete' at the page cap. */
const look = async (client: Replicate, target: Target, since: number, signal: AbortSignal | undefined) => {
  let page = await getPage(client, '/predictions', { created_after: new Date(since).toISOString() }, signal);
  for (let pages = 1; ; pages += 1) {
    const hit = page.results.find((prediction) => matches(prediction, target, since));
    if (hit) return hit;
    const oldest = page.results.at(-1);
    if (!page.next || !oldest || Date.parse(oldest.created_at) < since) return undefined;
    if (pages >= MAX_PAGES) return 'incomplete' as const;
    page = await getPage(client, new URL(page.next), {}, signal);
  }
};

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/**
 * Finds the prediction a create sent at `requestedAt` made, if any. A list that fails is a
 * retryable failure: the next attempt looks again, and nothing is created blindly.
 */
const findCreated = async (deps: CreateDeps, target: Target, requestedAt: number, signal: AbortSignal | undefined) => {
  const since = requestedAt - SKEW_MS;
  const once = () =>
    look(deps.client, target, since, signal).catch((error: unknown) => {
      const mapped = toReplicateError(error, 'looking for a prediction whose create got no clear answer');
      if (isAbortError(mapped)) throw mapped;
      // Its own sentence after the cause's ("fetch failed"), which may end without a stop.
      throw vidbotError('VIDBOT_PROVIDER_FAILED', `${mapped.message.replace(/[.\s]*$/, '.')} Nothing is created until it is found or surely absent.`, {
        cause: error,
        retryable: true,
      });
    });
  let found = await once();
  // A create moments ago may not be listed yet: one more look before concluding it made nothing.
  if (found === undefined && deps.now() - requestedAt < 60_000) {
    await sleep(deps.settleMs, signal);
    found = await once();
  }
  if (found === 'incomplete') {
    throw vidbotError('VIDBOT_PROVIDER_FAILED', `Too many predictions on the account since ${new Date(since).toISOString()} to find this task's.`, {
      retryable: true,
    });
  }
  // The list may leave out fields (logs, output): the full prediction is what the wait starts from.
  return found && (await deps.client.predictions.get(found.id).catch(() => found));
};

/**
 * Starts a prediction, or adopts the one an earlier unanswered create made. After an ambiguous
 * answer it looks for the prediction, and creates once more only when it is surely absent.
 */
export const createOrAdopt = async (deps: CreateDeps, request: CreateRequest): Promise<Prediction> => {
  const { options } = request;
  const [name, version] = request.model.split(':');
  const target: Target = {
    model: name ?? request.model,
    input: request.input,
    ...(version ? { version } : {}),
    ...(options.jobKey ? { jobKey: options.jobKey } : {}),
    ...(request.exclude ? { exclude: request.exclude } : {}),
  };
  if (options.remoteJobRequestedAt !== undefined) {
    const earlier = await findCreated(deps, target, options.remoteJobRequestedAt, options.signal);
    if (earlier) return earlier;
    if (options.createOnce) {
      throw vidbotError('VIDBOT_PROVIDER_FAILED', `Replicate gave no clear answer to this task's earlier create of ${request.model}, and no prediction of it is listed.`, {
        retryable: true,
        details: NOTHING_STARTED,
      });
    }
  }
  const webhook = request.webhookUrl ? tagWebhook(request.webhookUrl, options.jobKey) : undefined;
  let unknown: VidbotError | undefined;
  for (let round = 0; round < (options.createOnce ? 1 : 2); round += 1) {
    const requestedAt = deps.now();
    await options.onRemoteJobRequested?.(requestedAt);
    try {
      // Not the job's signal: an abort in mid-request could leave a paid prediction nobody knows of.
      const created = await deps.client.predictions.create({
        ...(version ? { version } : { model: target.model }),
        input: request.input,
        ...(webhook ? { webhook, webhook_events_filter: ['start', 'logs', 'completed'] } : {}),
      });
      if (typeof created?.id === 'string') return created;
      unknown = vidbotError('VIDBOT_PROVIDER_FAILED', 'Replicate answered without a prediction id.');
    } catch (error) {
      const failure = createFailure(error, request.model);
      // A clear refusal (or a create that surely never arrived) started nothing.
      if (!failure.ambiguous) throw failure.error.withDetails(NOTHING_STARTED);
      unknown = failure.error;
    }
    const found = await findCreated(deps, target, requestedAt, options.signal);
    if (found) return found;
  }
  const last = unknown ?? vidbotError('VIDBOT_PROVIDER_FAILED', 'Replicate gave no clear answer.');
  // Another provider may take over: the list says the one create made nothing.
  if (options.createOnce) throw vidbotError(last.code, `${last.message} No prediction of it is listed.`, { cause: last, retryable: true, details: NOTHING_STARTED });
  // Two unclear answers, nothing listed: a retry is safe only if the caller stored when it asked.
  const retryable = options.onRemoteJobRequested !== undefined;
  const why = retryable
    ? 'No prediction of it is listed; the next attempt looks again before creating one.'
    : 'It may have started anyway, so it is not retried (check your Replicate dashboard).';
  throw vidbotError(last.code, `${last.message} ${why}`, { cause: last, retryable });
};
