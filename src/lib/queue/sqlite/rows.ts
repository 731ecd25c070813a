import type { JobInfo, JobProgress, JobState } from '../port.ts';

/** One row of queue_jobs as node:sqlite returns it. */
export interface JobRow {
  readonly seq: number;
  readonly queue: string;
  readonly id: string;
  readonly data: string;
  readonly state: JobState;
  readonly grp: string | null;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly run_at: number;
  readonly created_at: number;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly lease_until: number | null;
  readonly lease_token: string | null;
  readonly worker_id: string | null;
  readonly cancel_requested: number;
  readonly stalls: number;
  readonly progress: string | null;
  readonly error: string | null;
  readonly error_code: string | null;
}

/** Maps a row to the port's JobInfo, leaving out absent fields rather than setting them undefined. */
export const toJobInfo = <T>(row: JobRow): JobInfo<T> => ({
  id: row.id,
  data: JSON.parse(row.data) as T,
  state: row.state,
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  createdAt: row.created_at,
  cancelRequested: row.cancel_requested === 1,
  ...(row.grp === null ? {} : { group: row.grp }),
  ...(row.started_at === null ? {} : { startedAt: row.started_at }),
  ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
  ...(row.error === null ? {} : { error: row.error }),
  ...(row.error_code === null ? {} : { errorCode: row.error_code }),
  ...(row.progress === null ? {} : { progress: JSON.parse(row.progress) as JobProgress }),
  ...(row.worker_id === null ? {} : { workerId: row.worker_id }),
});
