/**
 * The embedded JobQueue: jobs live in SQLite (the store's file, in queue_ tables), so several
 * processes sharing the file share the queue. Claims take the write lock (BEGIN IMMEDIATE), which
 * makes them atomic across processes; leases make a dead worker's jobs claimable again.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isVidbotError, vidbotError } from '../../errors.ts';
import { openDatabase } from '../../sqlite/open.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from '../backoff.ts';
import { createQueueEmitter, warn } from '../emitter.ts';
import { checkAddOptions, defaultWorkerId, positiveOption, queueClosedError } from '../options.ts';
import type { AddJobOptions, JobQueue } from '../port.ts';
import { createJobsSql, type NewJobRow } from './jobs.ts';
import { createLeaseSql } from './lease.ts';
import { toJobInfo } from './rows.ts';
import { migrateQueueSchema } from './schema.ts';
import { startWorker, type InternalWorker } from './worker.ts';

/** Finished jobs forgotten at a time, and how often once none are left over (retention.ts says which). */
const FORGET_BATCH = 500;
const FORGET_EVERY_MS = 3600_000;

export interface SqliteQueueOptions {
  /** The SQLite file, usually the store's. */
  readonly file?: string;
  /** An open connection to use instead of opening `file` (the store's); it stays the caller's to close. */
  readonly db?: DatabaseSync;
  /** Several named queues can share the file. */
  readonly name?: string;
  readonly defaultAttempts?: number;
  /** How long a claim holds a job without a heartbeat before another worker may take it. */
  readonly leaseMs?: number;
  /** How often an idle worker looks for jobs added by other processes or becoming due. */
  readonly pollMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** At most this many active jobs per group (e.g. per sender); unlimited when absent. */
  readonly maxActivePerGroup?: number;
  readonly now?: () => number;
}

/** The embedded queue, plus what a store sharing its connection needs. */
export interface SqliteJobQueue<T> extends JobQueue<T> {
  /**
   * Adds a job synchronously on the shared connection, inside the caller's open transaction (the
   * store's createTask), so the job commits or rolls back with it. Returns whether it was created.
   */
  addWithin(data: T, options: AddJobOptions): boolean;
  /** The job's place in line, read on the shared connection inside the caller's open transaction. */
  positionWithin(id: string): number | null;
  /** The row `addWithin` would insert, for a writer on another connection (src/lib/ingest-journal). */
  rowOf(data: T, options: AddJobOptions): NewJobRow;
  /** How many jobs a claim would take before a job added now, read on the shared connection. */
  lineLengthWithin(): number;
  /** Tells this process's workers that jobs were added on another connection. */
  addedElsewhere(): void;
  readonly queueName: string;
}

export const createSqliteQueue = <T>(options: SqliteQueueOptions): SqliteJobQueue<T> => {
  const name = options.name ?? 'default';
  const defaultAttempts = positiveOption('defaultAttempts', options.defaultAttempts, 3, true);
  const leaseMs = positiveOption('leaseMs', options.leaseMs, 30_000);
  const pollMs = positiveOption('pollMs', options.pollMs, 250);
  const maxActivePerGroup =
    options.maxActivePerGroup === undefined ? null : positiveOption('maxActivePerGroup', options.maxActivePerGroup, 1, true);
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const now = options.now ?? Date.now;

  const owned = options.db === undefined;
  if (owned && options.file === undefined) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'createSqliteQueue needs a file or a db.');
  const db = options.db ?? openDatabase(options.file ?? ':memory:');
  try {
    migrateQueueSchema(db);
  } catch (error) {
    if (owned) db.close();
    throw isVidbotError(error)
      ? error
      : vidbotError('VIDBOT_STORE_FAILED', `Cannot prepare the queue tables in ${options.file}: ${(error as Error).message}`, { cause: error });
  }
  const jobs = createJobsSql(db, name);
  const lease = createLeaseSql(db, name);
  const emitter = createQueueEmitter();
  const workers = new Set<InternalWorker>();
  let workerCount = 0;
  let closing: Promise<void> | undefined;
  let dbClosed = false;

  /** Runs one database operation, turning SQLite errors into VIDBOT_STORE_FAILED. */
  const run = <R>(what: string, fn: () => R): R => {
    if (closing !== undefined) throw queueClosedError(name, what);
    try {
      return fn();
    } catch (error) {
      if (isVidbotError(error)) throw error;
      throw vidbotError('VIDBOT_STORE_FAILED', `The queue could not ${what}: ${(error as Error).message}`, { cause: error });
    }
  };

  // Finished jobs past their retention go in batches, one per idle turn of a worker while any are
  // left (a file upgraded with years of them), then once an hour.
  let forgetAt = 0;
  const forgetOldJobs = (): void => {
    const at = now();
    if (at < forgetAt || dbClosed) return;
    try {
      const gone = jobs.forgetFinished(at, FORGET_BATCH);
      forgetAt = gone < FORGET_BATCH ? at + FORGET_EVERY_MS : at;
    } catch (error) {
      forgetAt = at + FORGET_EVERY_MS;
      warn('The queue could not forget its old finished jobs', error);
    }
  };

  const rowOf = (data: T, addOptions: AddJobOptions): NewJobRow => {
    const { jobId, attempts: maxAttempts, delayMs } = checkAddOptions(addOptions, defaultAttempts);
    return { id: jobId, data: JSON.stringify(data) ?? 'null', group: addOptions.group ?? null, maxAttempts, delayMs, now: now() };
  };

  const insert = (data: T, addOptions: AddJobOptions): boolean => {
    const row = rowOf(data, addOptions);
    const created = run('add a job', () => jobs.insert(row));
    // Woken even when the job was already there: addWithin may have inserted it a moment ago.
    for (const worker of workers) worker.wake();
    return created;
  };

  return {
    name: 'sqlite',

    async add(data, addOptions) {
      return { id: addOptions.jobId, created: insert(data, addOptions) };
    },

    addWithin: insert,

    positionWithin: (id) => run('read a job position', () => jobs.position(id, now())),

    rowOf,
    lineLengthWithin: () => run('read the length of the line', () => jobs.lineLength(now())),
    addedElsewhere() {
      for (const worker of workers) worker.wake();
    },
    queueName: name,

    async place(data, addOptions) {
      const created = insert(data, addOptions);
      return { id: addOptions.jobId, created, position: run('read a job position', () => jobs.position(addOptions.jobId, now())) };
    },

    async get(id) {
      const row = run('read a job', () => jobs.get(id));
      return row === undefined ? null : toJobInfo<T>(row);
    },

    async position(id) {
      return run('read a job position', () => jobs.position(id, now()));
    },

    async cancel(id) {
      const result = run('cancel a job', () => jobs.cancel(id, now()));
      if (result === 'canceled') emitter.emit('canceled', { jobId: id });
      // Workers of this process need not wait for their next heartbeat to see the request.
      if (result === 'cancel-requested') for (const worker of workers) worker.abortJob(id);
      return result;
    },

    async retry(id) {
      const result = run('retry a job', () => jobs.retry(id, now()));
      if (result === 'retried') for (const worker of workers) worker.wake();
      return result;
    },

    async counts() {
      return run('count jobs', () => jobs.counts());
    },

    work(handler, workerOptions) {
      if (closing !== undefined) throw queueClosedError(name, 'start a worker');
      const concurrency = positiveOption('concurrency', workerOptions.concurrency, 1, true);
      workerCount += 1;
      const worker = startWorker<T>({
        lease,
        emitter,
        handler,
        workerId: workerOptions.workerId ?? defaultWorkerId(workerCount),
        leaseMs,
        pollMs,
        backoff,
        now,
        concurrency,
        maxActivePerGroup,
        isDbClosed: () => dbClosed,
        onClosed: (closed) => workers.delete(closed),
        onIdle: forgetOldJobs,
      });
      workers.add(worker);
      return worker;
    },

    on(event, listener) {
      return emitter.on(event, listener);
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...workers].map((worker) => worker.close({ release: true })));
        dbClosed = true;
        if (owned) db.close();
      })();
      return closing;
    },
  };
};
