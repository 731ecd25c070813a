/**
 * The worker-side SQL: claiming jobs under a lease, renewing it, and finishing attempts. Every write
 * after the claim is guarded by the claim's lease token, so a worker whose lease was taken over
 * (it stalled, another worker re-ran the job) can no longer touch the job.
 */
import type { DatabaseSync } from 'node:sqlite';
import { writeTransaction } from '../../sqlite/open.ts';
import type { JobFailure } from '../failure.ts';
import type { JobRow } from './rows.ts';

export interface ClaimRequest {
  readonly now: number;
  readonly leaseMs: number;
  readonly workerId: string;
  readonly token: string;
  readonly maxActivePerGroup: number | null;
}

/** A job ended while being taken back from a dead worker, instead of being claimed. */
export interface EndedStall {
  readonly id: string;
  readonly state: 'failed' | 'canceled';
  readonly error?: string;
}

export interface ClaimResult {
  /** The claimed row, after the claim (attempts already counts this attempt). */
  readonly job?: JobRow;
  readonly stalled: boolean;
  readonly ended: readonly EndedStall[];
}

export type FailOutcome =
  | { readonly state: 'canceled' }
  | { readonly state: 'failed' }
  | { readonly state: 'delayed'; readonly delayMs: number; readonly attempt: number };

/** Ends stalled jobs that have no attempts left; a few per claim keeps the write lock short. */
const MAX_STALLS_ENDED_PER_CLAIM = 16;

export const STALLED_ERROR_CODE = 'VIDBOT_JOB_ABANDONED';

export interface LeaseSql {
  claim(request: ClaimRequest): ClaimResult;
  /** When the next delayed job becomes due, so an idle worker need not wait a whole poll for it. */
  nextDelayedAt(): number | null;
  /** Renews the lease when `renewUntil` is given; tells whether the lease is still ours and canceled. */
  heartbeat(id: string, token: string, renewUntil: number | null): { owned: boolean; cancelRequested: boolean };
  saveProgress(id: string, token: string, progress: string): void;
  complete(id: string, token: string, now: number, progress: string | null): 'completed' | 'canceled' | null;
  fail(id: string, token: string, now: number, failure: JobFailure, delayFor: (attempt: number) => number, progress: string | null): FailOutcome | null;
  release(id: string, token: string, now: number, progress: string | null): 'waiting' | 'canceled' | null;
}

// The oldest claimable job: waiting, delayed and due, or active under an expired lease (stalled).
// With a group limit, groups that already have that many jobs under a live lease are skipped. One
// search per state, each walking the claim index in line order and stopping at the first job it may
// take: one search with the three states OR-ed could not use that index, and read and sorted every
// job the queue ever had (38 ms a claim at 100,000 finished jobs). The full groups are listed once
// per search, from the few active jobs, rather than counted again for each job walked past: behind
// one sender's backlog of 5,000 the claim took 3.8 ms, and takes 1.
const FULL_GROUPS = `SELECT a.grp FROM queue_jobs AS a
    WHERE a.queue = :queue AND a.state = 'active' AND a.grp IS NOT NULL AND a.lease_until > :now
    GROUP BY a.grp HAVING COUNT(*) >= :maxGroup`;
const GROUP_HAS_ROOM = `(:maxGroup IS NULL OR j.grp IS NULL OR j.grp NOT IN (${FULL_GROUPS}))`;

/** Exported for the test that checks their query plans. */
export const CLAIM_SEARCHES = [
  "j.state = 'waiting'",
  "j.state = 'delayed' AND j.run_at <= :now",
  "j.state = 'active' AND j.lease_until <= :now",
].map((state) => `SELECT * FROM queue_jobs AS j WHERE j.queue = :queue AND ${state} AND ${GROUP_HAS_ROOM} ORDER BY j.run_at, j.seq LIMIT 1`);

export const createLeaseSql = (db: DatabaseSync, queue: string): LeaseSql => {
  const candidates = CLAIM_SEARCHES.map((sql) => db.prepare(sql));
  // Re-checks claimability so the claim stays atomic even if it ever ran outside the transaction.
  const take = db.prepare(`
    UPDATE queue_jobs
    SET state = 'active', attempts = attempts + 1, stalls = stalls + :stalled, lease_until = :leaseUntil,
        lease_token = :token, worker_id = :workerId, started_at = :now
    WHERE seq = :seq
      AND (state = 'waiting' OR (state = 'delayed' AND run_at <= :now) OR (state = 'active' AND lease_until <= :now))
    RETURNING *`);
  const nextDelayed = db.prepare("SELECT MIN(run_at) AS at FROM queue_jobs WHERE queue = :queue AND state = 'delayed'");
  const endStall = db.prepare(`
    UPDATE queue_jobs
    SET state = :state, stalls = stalls + 1, finished_at = :now, lease_until = NULL, lease_token = NULL,
        error = :error, error_code = :errorCode
    WHERE seq = :seq`);
  const owned = db.prepare(`
    SELECT attempts, max_attempts, cancel_requested FROM queue_jobs
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'`);
  const renew = db.prepare(`
    UPDATE queue_jobs SET lease_until = :leaseUntil
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'
    RETURNING cancel_requested`);
  const progress = db.prepare(`
    UPDATE queue_jobs SET progress = :progress
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'`);
  // A cancel requested during the attempt wins even when the handler swallowed the abort. A
  // completed job keeps no error from its earlier attempts.
  const complete = db.prepare(`
    UPDATE queue_jobs
    SET state = CASE WHEN cancel_requested = 1 THEN 'canceled' ELSE 'completed' END,
        finished_at = :now, lease_until = NULL, lease_token = NULL, progress = COALESCE(:progress, progress),
        error = NULL, error_code = NULL
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'
    RETURNING state`);
  const finish = db.prepare(`
    UPDATE queue_jobs
    SET state = :state, run_at = COALESCE(:runAt, run_at), finished_at = :finishedAt, lease_until = NULL,
        lease_token = NULL, error = :error, error_code = :errorCode, progress = COALESCE(:progress, progress)
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'`);
  // Hands the job back without spending the attempt; keeps run_at so it goes back to the front.
  const release = db.prepare(`
    UPDATE queue_jobs
    SET state = CASE WHEN cancel_requested = 1 THEN 'canceled' ELSE 'waiting' END,
        attempts = CASE WHEN cancel_requested = 1 THEN attempts ELSE attempts - 1 END,
        finished_at = CASE WHEN cancel_requested = 1 THEN :now ELSE NULL END,
        worker_id = CASE WHEN cancel_requested = 1 THEN worker_id ELSE NULL END,
        lease_until = NULL, lease_token = NULL, progress = COALESCE(:progress, progress)
    WHERE queue = :queue AND id = :id AND lease_token = :token AND state = 'active'
    RETURNING state`);

  const findCandidate = (now: number, maxGroup: number | null): JobRow | undefined => {
    let first: JobRow | undefined;
    for (const statement of candidates) {
      const row = statement.get({ queue, now, maxGroup }) as JobRow | undefined;
      if (row !== undefined && (first === undefined || row.run_at < first.run_at || (row.run_at === first.run_at && row.seq < first.seq))) first = row;
    }
    return first;
  };

  return {
    claim(request) {
      const { now, maxActivePerGroup } = request;
      // A plain read first: idle workers poll, and should not take the write lock to find nothing.
      if (findCandidate(now, maxActivePerGroup) === undefined) return { stalled: false, ended: [] };
      return writeTransaction(db, (): ClaimResult => {
        const ended: EndedStall[] = [];
        for (let i = 0; i <= MAX_STALLS_ENDED_PER_CLAIM; i += 1) {
          const row = findCandidate(now, maxActivePerGroup);
          if (row === undefined) break;
          const stalled = row.state === 'active';
          if (stalled && (row.cancel_requested === 1 || row.attempts >= row.max_attempts)) {
            const canceled = row.cancel_requested === 1;
            const error = canceled
              ? null
              : `The worker died ${row.stalls + 1} time(s) while running this job (its lease expired), and no attempts are left (${row.attempts} of ${row.max_attempts} used).`;
            endStall.run({ seq: row.seq, now, state: canceled ? 'canceled' : 'failed', error, errorCode: canceled ? null : STALLED_ERROR_CODE });
            ended.push({ id: row.id, state: canceled ? 'canceled' : 'failed', ...(error === null ? {} : { error }) });
            continue;
          }
          const job = take.get({
            seq: row.seq,
            now,
            stalled: stalled ? 1 : 0,
            leaseUntil: now + request.leaseMs,
            token: request.token,
            workerId: request.workerId,
          }) as JobRow | undefined;
          return job === undefined ? { stalled: false, ended } : { job, stalled, ended };
        }
        return { stalled: false, ended };
      });
    },

    nextDelayedAt() {
      return (nextDelayed.get({ queue }) as { at: number | null }).at;
    },

    heartbeat(id, token, renewUntil) {
      const row =
        renewUntil === null
          ? (owned.get({ queue, id, token }) as { cancel_requested: number } | undefined)
          : (renew.get({ queue, id, token, leaseUntil: renewUntil }) as { cancel_requested: number } | undefined);
      return { owned: row !== undefined, cancelRequested: row?.cancel_requested === 1 };
    },

    saveProgress(id, token, value) {
      progress.run({ queue, id, token, progress: value });
    },

    complete(id, token, now, value) {
      const row = complete.get({ queue, id, token, now, progress: value }) as { state: 'completed' | 'canceled' } | undefined;
      return row?.state ?? null;
    },

    fail(id, token, now, failure, delayFor, value) {
      return writeTransaction(db, (): FailOutcome | null => {
        const row = owned.get({ queue, id, token }) as
          | { attempts: number; max_attempts: number; cancel_requested: number }
          | undefined;
        if (row === undefined) return null;
        const base = { queue, id, token, error: failure.message, errorCode: failure.code, progress: value };
        if (row.cancel_requested === 1) {
          finish.run({ ...base, state: 'canceled', runAt: null, finishedAt: now });
          return { state: 'canceled' };
        }
        if (failure.retryable && row.attempts < row.max_attempts) {
          const delayMs = delayFor(row.attempts);
          finish.run({ ...base, state: 'delayed', runAt: now + delayMs, finishedAt: null });
          return { state: 'delayed', delayMs, attempt: row.attempts };
        }
        finish.run({ ...base, state: 'failed', runAt: null, finishedAt: now });
        return { state: 'failed' };
      });
    },

    release(id, token, now, value) {
      const row = release.get({ queue, id, token, now, progress: value }) as { state: 'waiting' | 'canceled' } | undefined;
      return row?.state ?? null;
    },
  };
};
