import type { Job } from 'bullmq';
import type { JobInfo, JobProgress, JobState } from '../port.ts';
import { fromBullId } from './keys.ts';

/** What vidbot puts in a BullMQ job's data: the caller's data and the fairness group. */
export interface Envelope<T> {
  readonly data: T;
  readonly group?: string;
}

/** vidbot's fields of a job, kept in its meta hash. */
export interface JobMeta {
  readonly cancel?: string;
  readonly canceled?: string;
  readonly errorCode?: string;
  readonly workerId?: string;
  /** A job canceled before it ran is removed from BullMQ; this JSON JobInfo stands in for it. */
  readonly tomb?: string;
}

const STATES: Readonly<Record<string, JobState>> = {
  waiting: 'waiting',
  prioritized: 'waiting',
  'waiting-children': 'waiting',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
};

const isProgress = (value: unknown): value is JobProgress => typeof value === 'object' && value !== null;

/** Maps a BullMQ job, its state and vidbot's meta to the port's JobInfo. */
export const toJobInfo = <T>(job: Job<Envelope<T>>, bullState: string, meta: JobMeta): JobInfo<T> | null => {
  const known = STATES[bullState];
  if (known === undefined) return null;
  const state: JobState = meta.canceled === '1' ? 'canceled' : known;
  const failed = state === 'failed';
  return {
    id: fromBullId(job.id ?? ''),
    data: job.data.data,
    state,
    // BullMQ counts attempts when they end; the running one counts from its start, as in the port.
    attempts: job.attemptsMade + (state === 'active' ? 1 : 0),
    maxAttempts: job.opts.attempts ?? 1,
    createdAt: job.timestamp,
    cancelRequested: meta.cancel === '1',
    ...(job.data.group === undefined ? {} : { group: job.data.group }),
    ...(job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(job.finishedOn && state !== 'active' ? { finishedAt: job.finishedOn } : {}),
    ...(failed && job.failedReason ? { error: job.failedReason } : {}),
    ...(failed && meta.errorCode ? { errorCode: meta.errorCode } : {}),
    ...(isProgress(job.progress) ? { progress: job.progress } : {}),
    ...(meta.workerId ? { workerId: meta.workerId } : {}),
  };
};
