/** Runs one claimed attempt: the handler, its heartbeat (lease renewal and cancel checks), progress and outcome. */
import { performance } from 'node:perf_hooks';
import type { AbortKind } from '../../errors.ts';
import { createJobAbort } from '../abort.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import { checkIntervalMs } from '../check-interval.ts';
import { type QueueEmitter, warn } from '../emitter.ts';
import { readFailure } from '../failure.ts';
import type { JobHandler, JobProgress } from '../port.ts';
import { createProgressThrottle } from '../progress-throttle.ts';
import type { LeaseSql } from './lease.ts';
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

export const runJob = <T>(deps: RunDeps<T>, row: JobRow, token: string, stalled: boolean): RunningJob => {
  const { lease, emitter, workerId } = deps;
  const jobId = row.id;
  const jobAbort = createJobAbort(jobId, 'lease');
  const { abort } = jobAbort;
  const startedAt = performance.now();
  // Set once the outcome is written or the job is no longer ours (released, lease lost).
  let detached = false;
  const checkMs = checkIntervalMs(deps.leaseMs);
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

  // Serialised when reported, so what is saved is what was emitted even if the handler changes the object later.
  const progressWrites = createProgressThrottle<string>(jobId, (value) => {
    if (!detached && !deps.isDbClosed()) lease.saveProgress(jobId, token, value);
  });
  const unsavedProgress = (): string | null => progressWrites.pending ?? null;

  const progress = (value: JobProgress): void => {
    if (detached) return;
    emitter.emit('progress', { jobId, workerId, progress: value });
    progressWrites.push(JSON.stringify(value));
  };

  const stopTimers = (): void => {
    clearInterval(heartbeat);
    progressWrites.stop();
  };

  const release = (): void => {
    abort('release');
    stopTimers();
    if (detached || deps.isDbClosed()) return;
    detached = true;
    try {
      if (lease.release(jobId, token, deps.now(), unsavedProgress()) === 'canceled') emitter.emit('canceled', { jobId });
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
        const state = lease.complete(jobId, token, now, unsavedProgress());
        if (state === 'completed') emitter.emit('completed', { jobId, workerId, durationMs: Math.round(performance.now() - startedAt) });
        else if (state === 'canceled') emitter.emit('canceled', { jobId });
        return;
      }
      if (jobAbort.kind === 'release') {
        if (lease.release(jobId, token, now, unsavedProgress()) === 'canceled') emitter.emit('canceled', { jobId });
        return;
      }
      const failure = readFailure(error);
      const outcome = lease.fail(jobId, token, now, failure, (attempt) => backoffDelay(attempt, deps.backoff), unsavedProgress());
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
      await deps.handler({ id: jobId, data, attempt: row.attempts, maxAttempts: row.max_attempts, signal: jobAbort.signal, stopSignal: jobAbort.stopSignal, progress });
      ok = true;
    } catch (error) {
      failure = error;
    }
    settle(ok, failure);
  })();

  return { id: jobId, abort, release, done };
};
