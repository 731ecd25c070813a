/**
 * The queue port, shaped after BullMQ so that its adapter maps one to one: a queue to add, inspect
 * and cancel jobs, and workers that process them with a concurrency. Delivery is at least once:
 * a job whose worker dies is run again after its lease (BullMQ: lock) expires, so handlers must be
 * idempotent. The embedded adapter keeps jobs in SQLite; the BullMQ adapter keeps them in Redis.
 */
import type { StepProgress } from '../progress.ts';
import type { PipelineStage } from '../domain.ts';

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'canceled';

export interface JobProgress extends StepProgress {
  readonly stage?: PipelineStage;
}

export interface AddJobOptions {
  /** Idempotency key: adding an id that already exists returns the existing job (created=false). */
  readonly jobId: string;
  /** Total attempts including the first; default from the queue's options. */
  readonly attempts?: number;
  readonly delayMs?: number;
  /** Groups jobs for fairness (a sender's address); see QueueOptions.maxActivePerGroup. */
  readonly group?: string;
}

export interface JobInfo<T> {
  readonly id: string;
  readonly data: T;
  readonly state: JobState;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly group?: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: string;
  readonly errorCode?: string;
  readonly progress?: JobProgress;
  readonly workerId?: string;
  readonly cancelRequested: boolean;
}

export interface JobContext<T> {
  readonly id: string;
  readonly data: T;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Fires when the job is canceled or the worker shuts down; handlers should stop promptly. */
  readonly signal: AbortSignal;
  /**
   * Fires only when the job stops being this worker's (shutdown, a lost claim), a cancel before it
   * included: for work a cancel lets finish. A handler that goes on past a cancel is waited for.
   */
  readonly stopSignal?: AbortSignal;
  progress(progress: JobProgress): void;
}

/**
 * A handler resolves to finish the job. It throws to fail it: a VidbotError with retryable=true is
 * retried with exponential backoff and jitter while attempts remain; anything else fails at once.
 */
export type JobHandler<T> = (job: JobContext<T>) => Promise<void>;

export type CancelResult = 'canceled' | 'cancel-requested' | 'already-finished' | 'not-found';

export type RetryResult = 'retried' | 'not-failed' | 'not-found';

export interface QueueCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
  readonly canceled: number;
}

export interface QueueEventMap {
  active: { jobId: string; workerId: string; attempt: number };
  progress: { jobId: string; workerId: string; progress: JobProgress };
  completed: { jobId: string; workerId: string; durationMs: number };
  retrying: { jobId: string; workerId: string; attempt: number; delayMs: number; error: string };
  failed: { jobId: string; workerId: string; error: string; errorCode?: string };
  canceled: { jobId: string };
  /** A job whose lease expired was taken back for another attempt. */
  stalled: { jobId: string };
}

export type QueueEventName = keyof QueueEventMap;
export type QueueListener<K extends QueueEventName> = (event: QueueEventMap[K]) => void;

export interface WorkerOptions {
  readonly concurrency: number;
  /** Shown in events and job info; defaults to host:pid:n. */
  readonly workerId?: string;
}

export interface QueueWorker {
  readonly id: string;
  /** Jobs running now. */
  readonly running: number;
  /** Stops taking new jobs; running jobs go on. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /**
   * Stops the worker. With release=true (graceful shutdown) running jobs are aborted and handed
   * back to the queue at once, without spending an attempt; otherwise close waits for them.
   */
  close(options?: { release?: boolean }): Promise<void>;
}

export interface JobQueue<T> {
  readonly name: string;
  add(data: T, options: AddJobOptions): Promise<{ id: string; created: boolean }>;
  /**
   * Adds a job as `add` does and tells its place in line as `position` does, in one step: a webhook
   * answers with it, so adapters spend as few round trips on it as they can.
   */
  place(data: T, options: AddJobOptions): Promise<{ id: string; created: boolean; position: number | null }>;
  get(id: string): Promise<JobInfo<T> | null>;
  /** 1-based position among waiting jobs (1 = next), 0 when active, null when finished or unknown. */
  position(id: string): Promise<number | null>;
  /** Waiting or delayed jobs are canceled at once; an active job's signal fires and it ends canceled. */
  cancel(id: string): Promise<CancelResult>;
  /** Puts a failed or canceled job back to waiting with fresh attempts, under the same id. */
  retry(id: string): Promise<RetryResult>;
  counts(): Promise<QueueCounts>;
  work(handler: JobHandler<T>, options: WorkerOptions): QueueWorker;
  on<K extends QueueEventName>(event: K, listener: QueueListener<K>): () => void;
  /** Closes workers started by this queue (releasing their jobs) and the connection. */
  close(): Promise<void>;
}
