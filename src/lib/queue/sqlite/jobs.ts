/** The queue-side SQL: adding, reading, counting and canceling jobs of one named queue. */
import type { DatabaseSync } from 'node:sqlite';
import { writeTransaction } from '../../sqlite/open.ts';
import type { CancelResult, JobState, QueueCounts, RetryResult } from '../port.ts';
import { RETAIN_COMPLETED_MS, RETAIN_FAILED_MS } from '../retention.ts';
import type { JobRow } from './rows.ts';

export interface NewJobRow {
  readonly id: string;
  readonly data: string;
  readonly group: string | null;
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly now: number;
}

export interface JobsSql {
  insert(job: NewJobRow): boolean;
  get(id: string): JobRow | undefined;
  position(id: string, now: number): number | null;
  /** Claimable jobs now (waiting, and delayed ones due): a job added now has this many before it. */
  lineLength(now: number): number;
  counts(): QueueCounts;
  cancel(id: string, now: number): CancelResult;
  retry(id: string, now: number): RetryResult;
  /** Deletes up to `limit` finished jobs past their retention (retention.ts); returns how many went. */
  forgetFinished(now: number, limit: number): number;
}

/** Jobs behind one counted one by one before its place is counted from the front instead. */
const NEAR_END = 64;

/** A job and the line around it. */
interface Place extends Pick<JobRow, 'state' | 'run_at' | 'seq'> {
  /** All waiting jobs of the queue (the kept count; null before the first). */
  readonly waiting: number | null;
  /** Waiting jobs behind the job, counted up to NEAR_END. */
  readonly behind: number;
  /** Delayed jobs now due that a claim takes first. */
  readonly due: number;
}

export const createJobsSql = (db: DatabaseSync, queue: string): JobsSql => {
  // Positional parameters on the two statements of every ingested message: binding by name costs more.
  const insert = db.prepare(`
    INSERT OR IGNORE INTO queue_jobs (queue, id, data, state, grp, max_attempts, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const get = db.prepare('SELECT * FROM queue_jobs WHERE queue = :queue AND id = :id');
  // A place in line is the claimable jobs a claim would take first (same order as its ORDER BY):
  // waiting ones and delayed ones now due. Waiting ones are counted from the nearer end of the line,
  // with the maintained total, so neither a new job at the back nor the next one at the front scans
  // a backlog; due delayed jobs are few (retries between attempts). One statement serves a job near
  // the back, where a job just added is. The limit is written in, not bound: SQLite runs a subquery
  // with a bound LIMIT several times slower.
  const place = db.prepare(`
    SELECT j.state, j.run_at, j.seq,
      (SELECT n FROM queue_state_counts WHERE queue = j.queue AND state = 'waiting') AS waiting,
      (SELECT COUNT(*) FROM (
        SELECT 1 FROM queue_jobs WHERE queue = j.queue AND state = 'waiting' AND (run_at, seq) > (j.run_at, j.seq) LIMIT ${NEAR_END})) AS behind,
      (SELECT COUNT(*) FROM queue_jobs
        WHERE queue = j.queue AND state = 'delayed' AND run_at <= ?1 AND (run_at, seq) < (j.run_at, j.seq)) AS due
    FROM queue_jobs AS j WHERE j.queue = ?2 AND j.id = ?3`);
  const waitingBefore = db.prepare(`
    SELECT COUNT(*) AS n FROM queue_jobs WHERE queue = :queue AND state = 'waiting' AND (run_at, seq) < (:runAt, :seq)`);
  const counts = db.prepare('SELECT state, n FROM queue_state_counts WHERE queue = :queue');
  const lineLength = db.prepare(`
    SELECT COALESCE((SELECT n FROM queue_state_counts WHERE queue = ?1 AND state = 'waiting'), 0)
      + (SELECT COUNT(*) FROM queue_jobs WHERE queue = ?1 AND state = 'delayed' AND run_at <= ?2) AS n`);
  const cancelNow = db.prepare(`
    UPDATE queue_jobs
    SET state = 'canceled', finished_at = :now, lease_until = NULL, lease_token = NULL, cancel_requested = 1
    WHERE queue = :queue AND id = :id`);
  const requestCancel = db.prepare('UPDATE queue_jobs SET cancel_requested = 1 WHERE queue = :queue AND id = :id');
  // run_at = now puts the job behind those already waiting (claims order by run_at, then seq).
  const retry = db.prepare(`
    UPDATE queue_jobs
    SET state = 'waiting', attempts = 0, run_at = :now, started_at = NULL, finished_at = NULL, cancel_requested = 0,
        error = NULL, error_code = NULL, progress = NULL, worker_id = NULL, stalls = 0
    WHERE queue = :queue AND id = :id AND state IN ('failed', 'canceled')`);

  // A job finished before a time was also put in line before it (run_at), which bounds the walk of
  // the claim index to the old end of each state's section.
  const forget = db.prepare(`
    DELETE FROM queue_jobs WHERE seq IN (
      SELECT seq FROM queue_jobs
      WHERE queue = :queue AND state = :state AND run_at < :before AND finished_at < :before
      ORDER BY run_at, seq LIMIT :limit)`);

  return {
    insert(job) {
      const delayed = job.delayMs > 0;
      const result = insert.run(queue, job.id, job.data, delayed ? 'delayed' : 'waiting', job.group, job.maxAttempts, job.now + (delayed ? job.delayMs : 0), job.now);
      return Number(result.changes) === 1;
    },

    get(id) {
      return get.get({ queue, id }) as JobRow | undefined;
    },

    position(id, now) {
      const job = place.get(now, queue, id) as Place | undefined;
      if (job === undefined) return null;
      if (job.state === 'active') return 0;
      const claimable = job.state === 'waiting' || (job.state === 'delayed' && job.run_at <= now);
      if (!claimable) return null;
      const ahead =
        job.behind < NEAR_END
          ? (job.waiting ?? 0) - job.behind - (job.state === 'waiting' ? 1 : 0)
          : (waitingBefore.get({ queue, runAt: job.run_at, seq: job.seq }) as { n: number }).n;
      return ahead + job.due + 1;
    },

    lineLength(now) {
      return (lineLength.get(queue, now) as { n: number }).n;
    },

    counts() {
      const result: Record<JobState, number> = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 };
      for (const row of counts.all({ queue }) as Array<{ state: JobState; n: number }>) result[row.state] = row.n;
      return result;
    },

    forgetFinished(now, limit) {
      return writeTransaction(db, () => {
        let gone = 0;
        for (const [state, keepMs] of [['completed', RETAIN_COMPLETED_MS], ['failed', RETAIN_FAILED_MS], ['canceled', RETAIN_FAILED_MS]] as const) {
          gone += Number(forget.run({ queue, state, before: now - keepMs, limit: limit - gone }).changes);
          if (gone >= limit) break;
        }
        return gone;
      });
    },

    retry(id, now) {
      return writeTransaction(db, (): RetryResult => {
        if (get.get({ queue, id }) === undefined) return 'not-found';
        return Number(retry.run({ queue, id, now }).changes) === 1 ? 'retried' : 'not-failed';
      });
    },

    cancel(id, now) {
      return writeTransaction(db, (): CancelResult => {
        const row = get.get({ queue, id }) as JobRow | undefined;
        if (row === undefined) return 'not-found';
        switch (row.state) {
          case 'waiting':
          case 'delayed':
            cancelNow.run({ queue, id, now });
            return 'canceled';
          case 'active':
            // Nobody holds an expired lease, so no worker would ever see the request: end it here.
            if (row.lease_until !== null && row.lease_until <= now) {
              cancelNow.run({ queue, id, now });
              return 'canceled';
            }
            requestCancel.run({ queue, id });
            return 'cancel-requested';
          default:
            return 'already-finished';
        }
      });
    },
  };
};
