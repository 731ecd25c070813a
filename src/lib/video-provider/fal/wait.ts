/**
 * Waits for a queued fal request: a webhook delivery wakes it at once; polls of the queue status
 * (with logs) cover lost deliveries and setups without a public URL. Reports queue position and
 * log lines, and reads the result once the request is completed.
 */
import { vidbotError, abortedError, isAbortError } from '../../errors.ts';
import type { ProgressListener } from '../../progress.ts';
import { CONTENT_REFUSAL } from '../failure.ts';
import type { JobUpdates } from '../updates.ts';
import { type FalApi, falDetail, falStatus, FalHttpError, toFalError } from './client.ts';
import type { FalWebhookBody } from './webhook.ts';

export interface FalWaitOptions {
  readonly api: FalApi;
  readonly endpoint: string;
  readonly requestId: string;
  readonly updates: JobUpdates<FalWebhookBody>;
  readonly timeoutMs: number;
  /** When the request was submitted (or first seen), so a resumed one keeps its deadline. */
  readonly since: number;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly cancel: (reason: 'timeout' | 'abort') => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly now: () => number;
}

export interface FalOutcome {
  readonly url: string;
  readonly inferenceSec?: number;
}

/** The video URL in an endpoint's answer: `video.url` for fal's video models. */
const videoUrlOf = (data: unknown): string | undefined => {
  const body = data as { video?: { url?: unknown }; video_url?: unknown; videos?: Array<{ url?: unknown }> } | undefined;
  const url = body?.video?.url ?? body?.video_url ?? body?.videos?.[0]?.url;
  return typeof url === 'string' && /^(https?:|data:)/.test(url) ? url : undefined;
};

const refused = (body: unknown): boolean => {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  const types = Array.isArray(detail) ? detail.map((item) => (item as { type?: unknown }).type) : [];
  return types.includes('content_policy_violation') || CONTENT_REFUSAL.test(falDetail(body));
};

/** A request that ended without a video: the model's own reason, and whether it refused the content. */
const failed = (requestId: string, reason: string, refusal: boolean) =>
  refusal
    ? vidbotError('VIDBOT_CONTENT_REFUSED', `fal request ${requestId} failed: ${reason || 'no reason given'}`, { details: { remoteStatus: 'failed', refusal: 'content' } })
    : vidbotError('VIDBOT_GENERATION_FAILED', `fal request ${requestId} failed: ${reason || 'no reason given'}`, { details: { remoteStatus: 'failed' } });

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** Reads a completed request's result; a model's error comes back here as the endpoint's answer. */
const readResult = async (options: FalWaitOptions): Promise<FalOutcome> => {
  try {
    const result = await options.api.client.queue.result(options.endpoint, {
      requestId: options.requestId,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    });
    const url = videoUrlOf(result.data);
    if (!url) throw vidbotError('VIDBOT_GENERATION_FAILED', `fal request ${options.requestId} finished without a video URL.`);
    return { url };
  } catch (error) {
    if (error instanceof Error && error.name === 'VidbotError') throw error;
    const status = falStatus(error);
    const body = error instanceof FalHttpError ? parsed(error.body) : (error as { body?: unknown }).body;
    // 4xx, or a 500 with the model's detail, is the model's answer; a gateway's 502-504 is an outage.
    if (status !== undefined && (status < 500 || (status === 500 && typeof body === 'object' && body !== null))) {
      throw failed(options.requestId, falDetail(body), refused(body));
    }
    throw toFalError(error, `reading the result of request ${options.requestId}`);
  }
};

/** A completed request's inference time from its status (webhooks do not carry it); best effort, for the cost. */
const inferenceOf = async (options: FalWaitOptions): Promise<{ inferenceSec?: number }> => {
  const status = await options.api.client.queue
    .status(options.endpoint, { requestId: options.requestId, abortSignal: options.signal ?? AbortSignal.timeout(10_000) })
    .catch(() => undefined);
  const inference = status?.status === 'COMPLETED' ? status.metrics?.inference_time : undefined;
  return typeof inference === 'number' ? { inferenceSec: inference } : {};
};

export const waitForFalRequest = async (options: FalWaitOptions): Promise<FalOutcome> => {
  const deadline = options.since + options.timeoutMs;
  let interval = options.pollIntervalMs;
  let reported = '';
  const report = (message: string) => {
    if (message === reported) return;
    reported = message;
    options.onProgress?.({ message });
  };
  for (let first = true; ; first = false) {
    if (options.signal?.aborted) {
      await options.cancel('abort');
      throw abortedError(options.signal);
    }
    const left = deadline - options.now();
    if (left <= 0) {
      await options.cancel('timeout');
      throw vidbotError('VIDBOT_TIMEOUT', `fal request ${options.requestId} did not finish within ${Math.round(options.timeoutMs / 60_000)} min; it was canceled.`, {
        retryable: false,
        hint: 'Try a faster model, or raise the provider timeout.',
      });
    }
    let pushed: FalWebhookBody | undefined;
    if (!first) {
      const wake = new AbortController();
      const stop = options.signal ? AbortSignal.any([options.signal, wake.signal]) : wake.signal;
      pushed = await Promise.race([
        options.updates.next(options.requestId, stop),
        new Promise<undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), Math.min(interval, left));
          stop.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
        }),
      ]);
      wake.abort();
      if (options.signal?.aborted) continue;
    }
    if (pushed) {
      if (pushed.status === 'ERROR') throw failed(options.requestId, pushed.error ? `${pushed.error}: ${falDetail(pushed.payload)}` : falDetail(pushed.payload), refused(pushed.payload));
      const url = videoUrlOf(pushed.payload);
      // A payload too big for the webhook (payload_error): the result has it.
      const outcome = url ? { url } : await readResult(options);
      return { ...outcome, ...(await inferenceOf(options)) };
    }
    interval = first ? interval : Math.min(options.maxPollIntervalMs, Math.round(interval * 1.5));
    let status;
    try {
      status = await options.api.client.queue.status(options.endpoint, {
        requestId: options.requestId,
        logs: true,
        abortSignal: options.signal ?? AbortSignal.timeout(60_000),
      });
    } catch (error) {
      if (options.signal?.aborted) continue;
      const mapped = toFalError(error, `checking request ${options.requestId}`);
      // A poll that fails for a passing reason (network, 5xx after retries) just waits for the next one.
      if (isAbortError(mapped) || !mapped.retryable) throw mapped;
      continue;
    }
    if (status.status === 'IN_QUEUE') report(`in queue${typeof status.queue_position === 'number' ? ` (position ${status.queue_position})` : ''}`);
    if (status.status === 'IN_PROGRESS' || status.status === 'COMPLETED') {
      const line = status.logs?.map((log) => log.message.trim()).filter(Boolean).at(-1)?.slice(0, 120);
      report(`${status.status === 'IN_PROGRESS' ? 'processing' : 'completed'}${line ? `: ${line}` : ''}`);
    }
    if (status.status === 'COMPLETED') {
      const outcome = await readResult(options);
      const inference = status.metrics?.inference_time;
      return typeof inference === 'number' ? { ...outcome, inferenceSec: inference } : outcome;
    }
  }
};
