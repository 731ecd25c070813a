import { type Prediction, parseProgressFromLogs } from 'replicate';
import { vidbotError, abortedError, isAbortError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import { generationFailed } from './failure.ts';
import { toReplicateError } from './replicate-client.ts';
import type { PredictionUpdates } from './replicate-webhook.ts';

export interface WaitOptions {
  readonly get: (id: string, signal: AbortSignal) => Promise<Prediction>;
  readonly updates: PredictionUpdates;
  /** Webhooks are on: poll only as a safety net for lost deliveries. */
  readonly webhooks: boolean;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  /** Called before giving up on a prediction: at the time limit, or when the signal fires. */
  readonly cancel: (reason: 'timeout' | 'abort') => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly now?: () => number;
}

const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

const lastLogLine = (logs: string | undefined): string | undefined =>
  logs
    ?.split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1)
    ?.slice(0, 120);

/** A model's error, often a Python traceback, as one short line: its last line is the exception. */
const oneLine = (error: unknown): string => {
  const text = typeof error === 'string' ? error : error ? JSON.stringify(error) : '';
  const last = text.split('\n').map((line) => line.trim()).filter(Boolean).at(-1);
  return last ? last.slice(0, 160) : 'no reason given';
};


/**
 * Waits until a prediction finishes: a webhook delivery wakes it at once, polls with a growing
 * interval cover lost deliveries and setups without a public URL. Reports status and log lines.
 */
export const waitForPrediction = async (first: Prediction, options: WaitOptions): Promise<Prediction> => {
  const now = options.now ?? Date.now;
  const createdAt = Date.parse(first.created_at);
  // The limit counts from creation, so a prediction resumed after a restart keeps its deadline.
  const deadline = (Number.isNaN(createdAt) ? now() : Math.min(createdAt, now())) + options.timeoutMs;
  let prediction = first;
  let interval = options.pollIntervalMs;
  let reported = '';
  const report = () => {
    const progress = parseProgressFromLogs(prediction.logs ?? '');
    const line = lastLogLine(prediction.logs);
    const message = `${prediction.status}${line ? `: ${line}` : ''}`;
    if (message === reported) return;
    reported = message;
    options.onProgress?.({ message, ...(progress ? { percent: Math.round(progress.percentage * 100) } : {}) });
  };

  while (!FINISHED.has(prediction.status)) {
    report();
    if (options.signal?.aborted) {
      await options.cancel('abort');
      throw abortedError(options.signal);
    }
    const left = deadline - now();
    if (left <= 0) {
      await options.cancel('timeout');
      throw vidbotError('VIDBOT_TIMEOUT', `Replicate prediction ${prediction.id} did not finish within ${Math.round(options.timeoutMs / 60_000)} min; it was canceled.`, {
        retryable: false,
        hint: 'Raise REPLICATE_TIMEOUT_SEC, or try a faster model.',
      });
    }
    const wake = new AbortController();
    const stop = options.signal ? AbortSignal.any([options.signal, wake.signal]) : wake.signal;
    const pushed = await Promise.race([
      options.updates.next(prediction.id, stop),
      new Promise<undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), Math.min(interval, left));
        stop.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
      }),
    ]);
    wake.abort();
    if (options.signal?.aborted) continue;
    if (pushed) {
      prediction = pushed;
      continue;
    }
    interval = Math.min(options.maxPollIntervalMs, Math.round(interval * 1.5));
    try {
      prediction = await options.get(prediction.id, options.signal ?? AbortSignal.timeout(60_000));
    } catch (error) {
      // Aborted mid-poll: the loop's abort branch decides whether to cancel on Replicate.
      if (options.signal?.aborted) continue;
      const mapped = toReplicateError(error, `checking prediction ${prediction.id}`);
      // A poll that fails for a passing reason (network, 5xx after retries) just waits for the next one.
      if (isAbortError(mapped) || !mapped.retryable) throw mapped;
    }
  }
  report();
  if (prediction.status === 'succeeded') return prediction;
  const why = oneLine(prediction.error);
  throw generationFailed(`Replicate prediction ${prediction.id} ${prediction.status === 'failed' ? 'failed' : 'was canceled'}: ${why}`, prediction.status, why);
};
