/** Runs one claimed attempt: the handler, its heartbeat (lease renewal and cancel checks), progress and outcome. */
import { performance } from 'node:perf_hooks';
import { type AbortKind, vidbotError } from '../../errors.ts';
import type { JobHandler, JobProgress } from '../port.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { warn, type QueueEmitter } from './emitter.ts';
import type { FailureInput, LeaseSql } from './lease.ts';
import type { JobRow } from './rows.ts';

export type { AbortKind };

export interface RunDeps<T> {
  readonly lease: LeaseSql;
  readonly emitter: QueueEmitter;
  readonly handler: JobHandler<T>;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly backoff: BackoffOptions;
  readonly now: () => number;
  /** True once the queue closed its connection: from then on nothing may touch the database. */
  readonly isDbClosed: () => boolean;
}

export interface RunningJob {
  readonly id: string;
  abort(kind: AbortKind): void;
  /** Aborts the handler and hands the job back at once, without spending the attempt. */
  release(): void;
  /** Settles when the handler has settled and its outcome is recorded. */
  readonly done: Promise<void>;
}

/** Progress is emitted on every call but written at most this often. */
const PROGRESS_WRITE_MS = 250;

const abortMessages: Record<AbortKind, string> = {
  cancel: 'The job was canceled.',
  release: 'The worker is shutting down; the job goes back to the queue.',
  'lease-lost': 'The job was taken over by another worker after its lease expired.',
};

const describeFailure = (error: unknown): FailureInput => {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; retryable?: unknown };
  return {
    message: error instanceof Error ? error.message : String(error),
    code: typeof fields.code === 'string' ? fields.code : null,
    retryable: fields.retryable === true,
  };
};

export const runJob = <T>(deps: RunDeps<T>, row: JobRow, token: string, stalled: boolean): RunningJob => {
  const { lease, emitter, workerId } = deps;
  const jobId = row.id;
  const controller = new AbortController();
  const startedAt = performance.now();
  let abortKind: AbortKind | undefined;
  // Set once the outcome is written or the job is no longer ours (released, lease lost).
  let detached = false;
  let pendingProgress: string | null = null;
  let lastProgressWrite = Number.NEGATIVE_INFINITY;
  let progressTimer: NodeJS.Timeout | undefined;

  const abort = (kind: AbortKind): void => {
    if (abortKind !== undefined) return;
    abortKind = kind;
    controller.abort(vidbotError('VIDBOT_CANCELED', abortMessages[kind], { details: { jobId, reason: kind } }));
  };

  // Cancel requests must be seen within about a second even with long leases.
  const checkMs = Math.max(20, Math.min(deps.leaseMs / 3, 1000));
  let lastRenew = deps.now();
  const heartbeat = setInterval(() => {
    if (detached || deps.isDbClosed()) return;
    try {
      const now = deps.now();
      // Renew when the next tick would come later than a third of the lease.
      const renew = now - lastRenew + checkMs / 2 >= deps.leaseMs / 3;
      const beat = lease.heartbeat(jobId, token, renew ? now + deps.leaseMs : null);
      if (!beat.owned) {
        detached = true;
        abort('lease-lost');
      } else {
        if (renew) lastRenew = now;
        if (beat.cancelRequested) abort('cancel');
      }
    } catch (error) {
      warn(`Heartbeat of job ${jobId} failed`, error);
    }
  }, checkMs);

  const flushProgress = (): void => {
    clearTimeout(progressTimer);
    progressTimer = undefined;
    if (pendingProgress === null || detached || deps.isDbClosed()) return;
    const value = pendingProgress;
    pendingProgress = null;
    lastProgressWrite = performance.now();
    try {
      lease.saveProgress(jobId, token, value);
    } catch (error) {
      warn(`Saving progress of job ${jobId} failed`, error);
    }
  };

  const progress = (value: JobProgress): void => {
    if (detached) return;
    emitter.emit('progress', { jobId, workerId, progress: value });
    pendingProgress = JSON.stringify(value);
    const wait = PROGRESS_WRITE_MS - (performance.now() - lastProgressWrite);
    if (wait <= 0) flushProgress();
    else progressTimer ??= setTimeout(flushProgress, wait);
  };

  const stopTimers = (): void => {
    clearInterval(heartbeat);
    clearTimeout(progressTimer);
  };

  const release = (): void => {
    abort('release');
    stopTimers();
    if (detached || deps.isDbClosed()) return;
    detached = true;
    try {
      if (lease.release(jobId, token, deps.now(), pendingProgress) === 'canceled') emitter.emit('canceled', { jobId });
    } catch (error) {
      warn(`Releasing job ${jobId} failed; it runs again once its lease expires`, error);
    }
  };

  const settle = (ok: boolean, error: unknown): void => {
    stopTimers();
    if (detached || deps.isDbClosed()) return;
    detached = true;
    const now = deps.now();
    try {
      if (ok) {
        const state = lease.complete(jobId, token, now, pendingProgress);
        if (state === 'completed') emitter.emit('completed', { jobId, workerId, durationMs: Math.round(performance.now() - startedAt) });
        else if (state === 'canceled') emitter.emit('canceled', { jobId });
        return;
      }
      if (abortKind === 'release') {
        if (lease.release(jobId, token, now, pendingProgress) === 'canceled') emitter.emit('canceled', { jobId });
        return;
      }
      const failure = describeFailure(error);
      const outcome = lease.fail(jobId, token, now, failure, (attempt) => backoffDelay(attempt, deps.backoff), pendingProgress);
      if (outcome?.state === 'canceled') emitter.emit('canceled', { jobId });
      else if (outcome?.state === 'delayed') {
        emitter.emit('retrying', { jobId, workerId, attempt: outcome.attempt, delayMs: outcome.delayMs, error: failure.message });
      } else if (outcome?.state === 'failed') {
        emitter.emit('failed', { jobId, workerId, error: failure.message, ...(failure.code === null ? {} : { errorCode: failure.code }) });
      }
    } catch (writeError) {
      warn(`Recording the outcome of job ${jobId} failed; it runs again once its lease expires`, writeError);
    }
  };

  if (stalled) emitter.emit('stalled', { jobId });
  emitter.emit('active', { jobId, workerId, attempt: row.attempts });

  const done = (async () => {
    let ok = false;
    let failure: unknown;
    try {
      const data = JSON.parse(row.data) as T;
      await deps.handler({ id: jobId, data, attempt: row.attempts, maxAttempts: row.max_attempts, signal: controller.signal, progress });
      ok = true;
    } catch (error) {
      failure = error;
    }
    settle(ok, failure);
  })();

  return { id: jobId, abort, release, done };
};
