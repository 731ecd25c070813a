/** The worker loop: claims jobs while it has free slots, sleeping pollMs between tries unless woken. */
import { randomUUID } from 'node:crypto';
import type { QueueWorker } from '../port.ts';
import { warn } from '../emitter.ts';
import { runJob, type RunDeps, type RunningJob } from './job-run.ts';
import { STALLED_ERROR_CODE } from './lease.ts';

export interface WorkerDeps<T> extends RunDeps<T> {
  readonly concurrency: number;
  readonly pollMs: number;
  readonly maxActivePerGroup: number | null;
  readonly onClosed: (worker: InternalWorker) => void;
  /** Housekeeping for a worker with nothing to claim (forgetting old finished jobs). */
  readonly onIdle?: () => void;
}

/** What the queue needs beyond the port: waking on add, aborting a job canceled in this process. */
export interface InternalWorker extends QueueWorker {
  wake(): void;
  abortJob(id: string): void;
}

export const startWorker = <T>(deps: WorkerDeps<T>): InternalWorker => {
  const running = new Set<RunningJob>();
  let paused = false;
  let closing = false;
  let closed: Promise<void> | undefined;
  let wakeSleeper: (() => void) | undefined;
  // A wake that came while the loop was busy must not be lost.
  let woken = false;
  const drainWaiters = new Set<() => void>();

  const wake = (): void => {
    const sleeper = wakeSleeper;
    wakeSleeper = undefined;
    if (sleeper === undefined) woken = true;
    else sleeper();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wakeSleeper = undefined;
        resolve();
      }, ms);
      wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const notifyDrain = (): void => {
    if (running.size > 0) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  };

  /** Claims one job and starts it; true when the loop should try again at once. */
  const claimOne = (): boolean => {
    const token = randomUUID();
    const result = deps.lease.claim({
      now: deps.now(),
      leaseMs: deps.leaseMs,
      workerId: deps.workerId,
      token,
      maxActivePerGroup: deps.maxActivePerGroup,
    });
    for (const ended of result.ended) {
      deps.emitter.emit('stalled', { jobId: ended.id });
      if (ended.state === 'canceled') deps.emitter.emit('canceled', { jobId: ended.id });
      else {
        deps.emitter.emit('failed', {
          jobId: ended.id,
          workerId: deps.workerId,
          error: ended.error ?? 'The worker died.',
          errorCode: STALLED_ERROR_CODE,
        });
      }
    }
    if (result.job === undefined) return result.ended.length > 0;
    const job = runJob(deps, result.job, token, result.stalled);
    running.add(job);
    void job.done.then(() => {
      running.delete(job);
      notifyDrain();
      wake();
    });
    return true;
  };

  /** Sleeps a poll, or less when a delayed job (a retry) becomes due sooner. */
  const idleMs = (): number => {
    const due = deps.lease.nextDelayedAt();
    const wait = due === null ? deps.pollMs : due - deps.now();
    // A due job that could not be claimed (group limit) must not turn the loop into a busy wait.
    return wait <= 0 ? deps.pollMs : Math.min(deps.pollMs, wait + 1);
  };

  const loop = async (): Promise<void> => {
    while (!closing) {
      let again = false;
      let wait = deps.pollMs;
      if (!paused && running.size < deps.concurrency && !deps.isDbClosed()) {
        try {
          again = claimOne();
          if (!again) wait = idleMs();
        } catch (error) {
          warn(`Worker ${deps.workerId} could not claim a job`, error);
        }
        if (!again) deps.onIdle?.();
      }
      if (!again) await sleep(wait);
    }
  };
  // Started on the next microtask so the caller can attach listeners before the first 'active'.
  const loopDone = Promise.resolve().then(loop);

  const releaseAll = (): void => {
    for (const job of running) job.release();
    running.clear();
    notifyDrain();
  };

  const worker: InternalWorker = {
    id: deps.workerId,
    get running() {
      return running.size;
    },
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake();
    },
    close(options = {}) {
      closing = true;
      wake();
      // A release asked while an earlier close is still waiting for its jobs releases them too.
      if (options.release === true) releaseAll();
      closed ??= (async () => {
        await loopDone;
        while (running.size > 0) await new Promise<void>((resolve) => drainWaiters.add(resolve));
        deps.onClosed(worker);
      })();
      return closed;
    },
    wake,
    abortJob(id) {
      for (const job of running) if (job.id === id) job.abort('cancel');
    },
  };
  return worker;
};
