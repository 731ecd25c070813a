/**
 * The JobQueue port on BullMQ (Redis): for several machines, or when a team already runs Redis.
 * The ioredis clients are passed in and stay the caller's to close; BullMQ duplicates the workers'
 * for its blocking reads, which needs `maxRetriesPerRequest: null` so workers ride out a restart.
 */
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isVidbotError, vidbotError } from '../../errors.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from '../backoff.ts';
import { createQueueEmitter } from '../emitter.ts';
import { checkPositive, defaultWorkerId, queueClosedError } from '../options.ts';
import type { JobInfo, JobQueue } from '../port.ts';
import { RETAIN_FAILED_SEC, createJobAdder } from './add.ts';
import { type Envelope, type JobMeta, toJobInfo } from './info.ts';
import { queueKeys, toBullId } from './keys.ts';
import { type BullQueueWorker, startBullmqWorker } from './worker.ts';

export interface BullmqQueueOptions {
  /** For adding and reading jobs (a bounded maxRetriesPerRequest suits web requests). */
  readonly connection: Redis;
  /** For workers; it must have `maxRetriesPerRequest: null`. Default: `connection`. */
  readonly workerConnection?: Redis;
  /** Queue name; several can share a Redis. */
  readonly name?: string;
  /** Key prefix (BullMQ's `prefix`). */
  readonly prefix?: string;
  readonly defaultAttempts?: number;
  /** BullMQ's lock duration: a dead worker's job runs again about this long after its last renewal. */
  readonly leaseMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly maxActivePerGroup?: number;
  /** How soon a job held back by the fairness gate looks again (default 1 s). */
  readonly groupPollMs?: number;
}


const toStoreError = (what: string, error: unknown) =>
  isVidbotError(error)
    ? error
    : vidbotError('VIDBOT_STORE_FAILED', `The Redis queue could not ${what}: ${(error as Error).message}`, {
        cause: error,
        hint: 'Check that Redis is running and REDIS_URL points at it.',
      });

export const createBullmqQueue = <T>(options: BullmqQueueOptions): JobQueue<T> => {
  const redis = options.connection;
  const name = options.name ?? 'vidbot';
  const prefix = options.prefix ?? 'bull';
  const keys = queueKeys(prefix, name);
  const defaultAttempts = options.defaultAttempts ?? 3;
  const leaseMs = options.leaseMs ?? 30_000;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const queue = new Queue<Envelope<T>>(name, { connection: redis, prefix });
  queue.on('error', () => {});
  const adder = createJobAdder<T>({
    redis,
    queue,
    keys,
    defaultAttempts,
    ...(options.maxActivePerGroup === undefined ? {} : { maxActivePerGroup: options.maxActivePerGroup }),
  });
  const emitter = createQueueEmitter();
  const workers = new Set<BullQueueWorker>();
  let workerCount = 0;
  let closing: Promise<void> | undefined;

  const guard = async <R>(what: string, work: () => Promise<R>): Promise<R> => {
    if (closing !== undefined) throw queueClosedError(name, what);
    try {
      return await work();
    } catch (error) {
      throw toStoreError(what, error);
    }
  };

  const readMeta = async (id: string): Promise<JobMeta> => (await redis.hgetall(keys.meta(id))) as JobMeta;

  /**
   * A job the fairness gate holds back sits in BullMQ's delayed set between looks (and is briefly
   * active while a worker asks the gate), but for the port it is waiting its turn: report it so, with
   * a place in line, as the SQLite queue does. A job leaves the line when it passes the gate.
   */
  const gateRank = async (job: Job<Envelope<T>>, state: string): Promise<number | null> => {
    const group = job.data.group;
    if ((state !== 'delayed' && state !== 'active') || group === undefined || options.maxActivePerGroup === undefined) return null;
    // Active but still in the line: a worker is asking the gate right now. Delayed by the caller: not held.
    if (state === 'delayed' && job.timestamp + (job.opts.delay ?? 0) > Date.now()) return null;
    return redis.zrank(keys.groupPending(group), job.id ?? '');
  };

  const read = async (id: string): Promise<{ job?: Job<Envelope<T>>; state?: string; meta: JobMeta; held?: number }> => {
    const meta = await readMeta(id);
    if (meta.tomb) return { meta };
    const job = await queue.getJob(toBullId(id));
    if (!job) return { meta };
    const state = await job.getState();
    const held = await gateRank(job, state);
    return held === null ? { job, state, meta } : { job, state: 'waiting', meta, held };
  };

  const self: JobQueue<T> = {
    name: 'bullmq',

    add: (data, addOptions) => guard('add a job', () => adder.add(data, addOptions)),

    place: (data, addOptions) =>
      guard('add a job', async () => {
        const added = await adder.add(data, addOptions);
        // A job just added is waiting in BullMQ's list unless it was delayed or a worker took it already.
        const place = added.created ? await adder.waitingPlace(addOptions.jobId) : undefined;
        return { ...added, position: place ?? (await self.position(addOptions.jobId)) };
      }),

    get: (id) =>
      guard('read a job', async () => {
        const { job, state, meta } = await read(id);
        if (meta.tomb) return JSON.parse(meta.tomb) as JobInfo<T>;
        return job && state ? toJobInfo(job, state, meta) : null;
      }),

    position: (id) =>
      guard('read a job position', async () => {
        const { state, meta, held } = await read(id);
        if (meta.canceled === '1') return null;
        if (state === 'active') return 0;
        if (state !== 'waiting') return null;
        if (held !== undefined) return (await redis.llen(`${keys.base}:wait`)) + held + 1;
        return (await adder.waitingPlace(id)) ?? null;
      }),

    cancel: (id) =>
      guard('cancel a job', async () => {
        const { job, state, meta } = await read(id);
        if (meta.tomb || meta.canceled === '1' || state === 'completed' || state === 'failed') return 'already-finished';
        if (!job || !state) return 'not-found';
        if (state !== 'active') {
          const removed = await job.remove().then(() => true, () => false);
          if (removed) {
            const info = toJobInfo(job, state, meta);
            const tomb: JobInfo<T> | null = info && { ...info, state: 'canceled', cancelRequested: true, finishedAt: Date.now() };
            const batch = redis
              .multi()
              .hset(keys.meta(id), 'tomb', JSON.stringify(tomb), 'canceled', '1')
              .expire(keys.meta(id), RETAIN_FAILED_SEC)
              .sadd(keys.canceled, id);
            if (job.data.group !== undefined) batch.zrem(keys.groupPending(job.data.group), toBullId(id));
            await batch.exec();
            emitter.emit('canceled', { jobId: id });
            return 'canceled';
          }
          // Claimed in the meantime (a locked job cannot be removed): cancel it as a running one.
        }
        await redis.hset(keys.meta(id), 'cancel', '1');
        // Workers of this process need not wait for their next check to see the request.
        for (const worker of workers) worker.abortJob(id, 'cancel');
        return 'cancel-requested';
      }),

    retry: (id) =>
      guard('retry a job', async () => {
        const { job, state, meta } = await read(id);
        if (meta.tomb) {
          // Canceled before it ran, so removed from BullMQ: add it again from its tombstone.
          const tomb = JSON.parse(meta.tomb) as JobInfo<T>;
          await redis.multi().del(keys.meta(id)).srem(keys.canceled, id).exec();
          await self.add(tomb.data, { jobId: id, attempts: tomb.maxAttempts, ...(tomb.group === undefined ? {} : { group: tomb.group }) });
          return 'retried';
        }
        if (!job || !state) return 'not-found';
        if (state !== 'failed') return 'not-failed';
        const batch = redis.multi().hdel(keys.meta(id), 'canceled', 'cancel', 'errorCode', 'workerId').srem(keys.canceled, id).srem(keys.canceledFailed, id);
        if (job.data.group !== undefined && options.maxActivePerGroup !== undefined) {
          batch.zadd(keys.groupPending(job.data.group), await redis.incr(keys.seq), toBullId(id));
        }
        await batch.exec();
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'retried';
      }),

    counts: () =>
      guard('count jobs', async () => {
        const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
        const [canceled, canceledFailed] = await Promise.all([redis.scard(keys.canceled), redis.scard(keys.canceledFailed)]);
        return {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          delayed: c.delayed ?? 0,
          active: c.active ?? 0,
          completed: c.completed ?? 0,
          // A running job that was canceled ends in BullMQ's failed set; it is counted as canceled.
          failed: Math.max(0, (c.failed ?? 0) - canceledFailed),
          canceled,
        };
      }),

    work(handler, workerOptions) {
      if (closing !== undefined) throw queueClosedError(name, 'start a worker');
      const concurrency = checkPositive('concurrency', workerOptions.concurrency, true);
      workerCount += 1;
      const worker = startBullmqWorker<T>({
        redis: options.workerConnection ?? redis,
        name,
        prefix,
        keys,
        handler,
        emitter,
        workerId: workerOptions.workerId ?? defaultWorkerId(workerCount),
        concurrency,
        leaseMs,
        backoff,
        maxActivePerGroup: options.maxActivePerGroup ?? null,
        groupPollMs: options.groupPollMs ?? 1000,
        onClosed: (closed) => workers.delete(closed),
      });
      workers.add(worker);
      return worker;
    },

    on: (event, listener) => emitter.on(event, listener),

    close() {
      closing ??= (async () => {
        await Promise.all([...workers].map((worker) => worker.close({ release: true })));
        await queue.close();
      })();
      return closing;
    },
  };
  return self;
};
