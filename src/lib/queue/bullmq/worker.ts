/**
 * A vidbot worker on a BullMQ Worker. BullMQ claims jobs, holds their locks, retries with the
 * backoff computed here and recovers stalled jobs; this wrapper adds what the port promises on
 * top: a release that does not wait for the handler (a cancel waits for one that finishes past
 * it), the fairness gate, error codes, events.
 */
import { performance } from 'node:perf_hooks';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AbortKind } from '../../errors.ts';
import { createJobAbort } from '../abort.ts';
import { type BackoffOptions, backoffDelay } from '../backoff.ts';
import { checkIntervalMs } from '../check-interval.ts';
import { type QueueEmitter, warn } from '../emitter.ts';
import { readFailure } from '../failure.ts';
import type { JobHandler, JobProgress, QueueWorker } from '../port.ts';
import { createProgressThrottle } from '../progress-throttle.ts';
import type { Envelope } from './info.ts';
import { fromBullId, GATE_SCRIPT, type QueueKeys } from './keys.ts';

export interface BullWorkerDeps<T> {
  readonly redis: Redis;
  readonly name: string;
  readonly prefix: string;
  readonly keys: QueueKeys;
  readonly handler: JobHandler<T>;
  readonly emitter: QueueEmitter;
  readonly workerId: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly backoff: BackoffOptions;
  readonly maxActivePerGroup: number | null;
  /** How soon a job held back by the fairness gate looks again. */
  readonly groupPollMs: number;
  readonly onClosed: (worker: BullQueueWorker) => void;
}

export interface BullQueueWorker extends QueueWorker {
  /** Aborts a running job of this worker (a cancel seen in this process). */
  abortJob(id: string, kind: AbortKind): void;
}

type Outcome = { kind: 'retry'; error: string; delayMs: number; attempt: number } | { kind: 'failed'; error: string; errorCode?: string } | { kind: 'canceled' };

const stalledReason = (reason: string | undefined): string =>
  /stalled/i.test(reason ?? '')
    ? 'The worker died every time it ran this job (its lock expired more often than allowed), so the queue gave up on it.'
    : (reason ?? 'The queue gave up on this job.');
const META_TTL_SEC = 30 * 24 * 3600;

export const startBullmqWorker = <T>(deps: BullWorkerDeps<T>): BullQueueWorker => {
  const { redis, keys, emitter, workerId } = deps;
  const running = new Map<string, (kind: AbortKind) => void>();
  const outcomes = new Map<string, Outcome>();
  const startedAt = new Map<string, number>();
  const checkMs = checkIntervalMs(deps.leaseMs);
  let paused = false;
  let closing: Promise<void> | undefined;

  const retryDelay = (id: string | undefined): number => {
    const outcome = id === undefined ? undefined : outcomes.get(id);
    return outcome?.kind === 'retry' ? outcome.delayMs : 0;
  };

  const leaveGroup = async (job: Job<Envelope<T>>): Promise<void> => {
    if (job.data.group !== undefined && deps.maxActivePerGroup !== null) await redis.srem(keys.groupActive(job.data.group), job.id ?? '');
  };
  let releasing = false;

  /** Ends a job canceled: BullMQ fails it for good, the meta says canceled. */
  const cancelNow = async (id: string, meta: string): Promise<never> => {
    await redis.multi().hset(meta, 'canceled', '1').sadd(keys.canceled, id).sadd(keys.canceledFailed, id).exec();
    outcomes.set(id, { kind: 'canceled' });
    throw new UnrecoverableError('Canceled.');
  };

  const processor = async (job: Job<Envelope<T>>, token: string | undefined, bullSignal?: AbortSignal): Promise<void> => {
    const bullId = job.id ?? '';
    const id = fromBullId(bullId);
    const meta = keys.meta(id);
    const group = job.data.group;
    if (group !== undefined && deps.maxActivePerGroup !== null) {
      // Canceled while the gate held it back: end it here rather than wait for its turn to come.
      if ((await redis.hget(meta, 'cancel')) === '1') {
        await redis.zrem(keys.groupPending(group), bullId);
        return cancelNow(id, meta);
      }
      const go = await redis.eval(GATE_SCRIPT, 2, keys.groupActive(group), keys.groupPending(group), bullId, deps.maxActivePerGroup, keys.base);
      if (go !== 1) {
        await job.moveToDelayed(Date.now() + deps.groupPollMs, token);
        throw new DelayedError();
      }
    }
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const jobAbort = createJobAbort(id, 'lock');
    const { abort } = jobAbort;
    bullSignal?.addEventListener('abort', () => abort('lease-lost'), { once: true });
    running.set(id, abort);
    startedAt.set(id, performance.now());
    const progressWrites = createProgressThrottle<JobProgress>(id, (value) => job.updateProgress(value));
    const progress = (value: JobProgress): void => {
      if (jobAbort.kind !== undefined) return;
      emitter.emit('progress', { jobId: id, workerId, progress: value });
      progressWrites.push(value);
    };

    emitter.emit('active', { jobId: id, workerId, attempt });
    let result: { ok: true } | { ok: false; error: unknown } | undefined;
    // Started at once, before any other round trip, so a release right after the claim finds it running.
    const run = deps.handler({ id, data: job.data.data, attempt, maxAttempts, signal: jobAbort.signal, stopSignal: jobAbort.stopSignal, progress }).then(
      () => void (result = { ok: true }),
      (error: unknown) => void (result = { ok: false, error }),
    );
    if (releasing) abort('release');
    const heartbeat = setInterval(() => {
      void redis.hget(meta, 'cancel').then((flag) => flag === '1' && abort('cancel'), () => {});
    }, checkMs);
    void redis.hset(meta, 'workerId', workerId).catch(() => {});
    void redis.hget(meta, 'cancel').then((flag) => flag === '1' && abort('cancel'), () => {});
    // The handler is not awaited past a release or a lost lock: the job is no longer this worker's.
    // It is past a cancel, which it honours where it can (a made video's delivery goes on): as on
    // SQLite, the job holds its place until then, and a drain waits for it.
    // (A release that came with the claim has fired it already: an aborted signal calls no later listener.)
    const stopped = jobAbort.stopSignal.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) => jobAbort.stopSignal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([run, stopped]);
    clearInterval(heartbeat);
    running.delete(id);
    await progressWrites.flush();
    await leaveGroup(job);

    let abortKind = jobAbort.kind;
    if (abortKind === 'release' || abortKind === 'lease-lost') {
      startedAt.delete(id);
      if (abortKind === 'release') await job.moveToWait(token);
      throw new WaitingError();
    }
    // A cancel made in another process may land just as the handler ends: it still wins, as in SQLite.
    if (abortKind === undefined && (await redis.hget(meta, 'cancel')) === '1') abortKind = 'cancel';
    if (abortKind === 'cancel') return cancelNow(id, meta);
    if (result?.ok !== false) return;
    const { message, code, retryable } = readFailure(result.error);
    if (retryable && attempt < maxAttempts) {
      outcomes.set(id, { kind: 'retry', error: message, delayMs: backoffDelay(attempt, deps.backoff), attempt });
      throw new Error(message);
    }
    if (code) await redis.hset(meta, 'errorCode', code);
    outcomes.set(id, { kind: 'failed', error: message, ...(code ? { errorCode: code } : {}) });
    throw new UnrecoverableError(message);
  };

  const worker = new Worker<Envelope<T>>(deps.name, processor, {
    connection: redis,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    lockDuration: deps.leaseMs,
    stalledInterval: deps.leaseMs,
    // A job whose worker died twice in a row is still retried, not failed: crashes are not its fault.
    maxStalledCount: 3,
    // The delay was chosen when the handler failed, so the 'retrying' event can announce it.
    settings: { backoffStrategy: (_attempts, _type, _error, job) => retryDelay(job?.id === undefined ? undefined : fromBullId(job.id)) },
  });
  worker.on('error', (error) => warn(`Worker ${workerId} (BullMQ)`, error));
  worker.on('stalled', (bullId) => emitter.emit('stalled', { jobId: fromBullId(bullId) }));
  // vidbot's per-job hash goes when BullMQ forgets the job (see the queue's removeOn* ages).
  const expireMeta = (id: string) => void redis.expire(keys.meta(id), META_TTL_SEC).catch(() => {});
  worker.on('completed', (job) => {
    const id = fromBullId(job.id ?? '');
    expireMeta(id);
    const started = startedAt.get(id) ?? performance.now();
    startedAt.delete(id);
    emitter.emit('completed', { jobId: id, workerId, durationMs: Math.round(performance.now() - started) });
  });
  worker.on('failed', (job) => {
    const id = fromBullId(job?.id ?? '');
    expireMeta(id);
    const outcome = outcomes.get(id);
    outcomes.delete(id);
    startedAt.delete(id);
    if (outcome?.kind === 'canceled') emitter.emit('canceled', { jobId: id });
    else if (outcome?.kind === 'retry') emitter.emit('retrying', { jobId: id, workerId, attempt: outcome.attempt, delayMs: outcome.delayMs, error: outcome.error });
    else if (outcome?.kind === 'failed') emitter.emit('failed', { jobId: id, workerId, error: outcome.error, ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}) });
    // No outcome of ours: BullMQ failed the job itself (it stalled more than maxStalledCount times).
    else if (job !== undefined) emitter.emit('failed', { jobId: id, workerId, error: stalledReason(job.failedReason), errorCode: 'VIDBOT_JOB_ABANDONED' });
  });

  const self: BullQueueWorker = {
    id: workerId,
    get running() {
      return running.size;
    },
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
      void worker.pause(true);
    },
    resume() {
      paused = false;
      worker.resume();
    },
    abortJob(id, kind) {
      running.get(id)?.(kind);
    },
    close(options = {}) {
      closing ??= (async () => {
        if (options.release) {
          releasing = true;
          for (const abort of [...running.values()]) abort('release');
        }
        await worker.close();
        deps.onClosed(self);
      })();
      return closing;
    },
  };
  return self;
};
