/**
 * The activity events: small, serializable facts about what the workers do. One mapping from the
 * queue's and the pipeline's events, shared by the feed (what a dashboard draws) and the publisher
 * (what a worker process tells the others), so both say the same thing the same way.
 */
import type { PipelineEvent } from '../pipeline/events.ts';
import type { JobQueue, QueueCounts } from '../queue/port.ts';
import type { PipelineStage } from '../domain.ts';
import type { LateDelivery } from '../tasks/deps.ts';

/**
 * How a job changed: the queue's transitions, and what a delivery receipt decided after the job ended
 * ('undelivered': the channel failed its video; 'delivered': a video given up on arrived after all).
 */
export type JobEventKind = 'active' | 'completed' | 'failed' | 'retrying' | 'canceled' | 'stalled' | 'undelivered' | 'delivered';

/**
 * The process a job runs in: its machine (a container's hostname under Docker compose) and its pid,
 * which tells two processes on one machine apart.
 */
export interface Origin {
  readonly host: string;
  readonly pid: number;
}

export interface WorkerStatus {
  readonly running: number;
  readonly concurrency: number;
  readonly paused: boolean;
  /** Stopping (Ctrl-C on `vidbot worker`): no new jobs, as when paused, but not to be told as a pause. */
  readonly stopping?: boolean;
}

export type ActivityEvent =
  | {
      readonly type: 'job';
      readonly kind: JobEventKind;
      readonly jobId: string;
      readonly ts: number;
      readonly workerId?: string;
      readonly attempt?: number;
      readonly durationMs?: number;
      readonly error?: string;
      /** How long a job waits before it is retried. */
      readonly delayMs?: number;
      /** On 'active', when the viewer's process can read the store: the prompt (shortened) and who sent it. */
      readonly prompt?: string;
      readonly sender?: string;
      /** Where it runs, when jobs may run in several processes (a shared queue on Redis). */
      readonly origin?: Origin;
    }
  | {
      readonly type: 'stage';
      readonly jobId: string;
      readonly stage: PipelineStage;
      readonly state: 'start' | 'progress' | 'done' | 'skip';
      readonly ts: number;
      readonly percent?: number;
      readonly message?: string;
      readonly origin?: Origin;
    }
  | {
      /** A job's video was generated: by which provider and model (failover may pick another), at what estimated cost. */
      readonly type: 'made';
      readonly jobId: string;
      readonly provider: string;
      readonly model: string;
      readonly cost?: number;
      readonly ts: number;
      readonly origin?: Origin;
    }
  | { readonly type: 'counts'; readonly counts: QueueCounts; readonly ts: number }
  | {
      /**
       * What the workers are doing. With a bus, the sum over every worker process heard from lately
       * (this one included), and how many processes and machines that is.
       */
      readonly type: 'workers';
      readonly running: number;
      readonly concurrency: number;
      /** Every worker process is paused: no new job starts anywhere. */
      readonly paused: boolean;
      readonly ts: number;
      readonly processes?: number;
      readonly machines?: number;
      /** Processes paused, when some but not all are. */
      readonly pausedProcesses?: number;
    }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string; readonly ts: number };

export type ActivityListener = (event: ActivityEvent) => void;

export type JobActivity = Extract<ActivityEvent, { type: 'job' }>;
/** Events about one job: what a worker process publishes beside its workers' status. */
export type JobScopedActivity = Extract<ActivityEvent, { type: 'job' | 'stage' | 'made' }>;

/** How often a worker process re-publishes its status, and how long without one means it is gone. */
export const WORKERS_HEARTBEAT_MS = 2_000;
export const WORKERS_TIMEOUT_MS = 3 * WORKERS_HEARTBEAT_MS;

/** At most a few progress events a second per job: ffmpeg reports far more often. */
const PROGRESS_EVERY_MS = 200;

/** Subscribes to the queue's job transitions as activity events; returns the unsubscribes. */
export const watchJobEvents = (
  queue: Pick<JobQueue<unknown>, 'on'>,
  emit: (event: JobActivity) => void,
  now: () => number,
  /** Only the events of these workers (those without a worker id, canceled and stalled, always pass). */
  ofWorker?: (workerId: string) => boolean,
): Array<() => void> => {
  const mine = (workerId: string) => ofWorker === undefined || ofWorker(workerId);
  return [
    queue.on('active', (e) => mine(e.workerId) && emit({ type: 'job', kind: 'active', jobId: e.jobId, workerId: e.workerId, attempt: e.attempt, ts: now() })),
    queue.on('completed', (e) => mine(e.workerId) && emit({ type: 'job', kind: 'completed', jobId: e.jobId, workerId: e.workerId, durationMs: e.durationMs, ts: now() })),
    queue.on('failed', (e) => mine(e.workerId) && emit({ type: 'job', kind: 'failed', jobId: e.jobId, workerId: e.workerId, error: e.error, ts: now() })),
    queue.on('retrying', (e) =>
      mine(e.workerId) && emit({ type: 'job', kind: 'retrying', jobId: e.jobId, workerId: e.workerId, attempt: e.attempt, delayMs: e.delayMs, error: e.error, ts: now() }),
    ),
    queue.on('canceled', (e) => emit({ type: 'job', kind: 'canceled', jobId: e.jobId, ts: now() })),
    queue.on('stalled', (e) => emit({ type: 'job', kind: 'stalled', jobId: e.jobId, ts: now() })),
  ];
};

/** A delivery a receipt decided after the job ended, as its job's event. */
export const lateDeliveryEvent = (event: LateDelivery, ts: number): JobActivity => ({
  type: 'job',
  kind: event.arrived ? 'delivered' : 'undelivered',
  jobId: event.jobId,
  ...(event.reason === undefined ? {} : { error: event.reason }),
  ts,
});

/**
 * Maps a job's pipeline events to activity events, with progress throttled per job; returns
 * undefined for an event dropped by the throttle.
 */
export const createPipelineMapper = (now: () => number) => {
  let lastProgressAt = new Map<string, number>();
  return {
    map(jobId: string, event: PipelineEvent): JobScopedActivity | undefined {
      const ts = now();
      switch (event.type) {
        case 'stage:progress':
          if (ts - (lastProgressAt.get(jobId) ?? 0) < PROGRESS_EVERY_MS) return undefined;
          lastProgressAt.set(jobId, ts);
          return { type: 'stage', jobId, stage: event.stage, state: 'progress', ts, ...(event.percent === undefined ? {} : { percent: event.percent }), ...(event.message ? { message: event.message } : {}) };
        case 'made':
          return { type: 'made', jobId, provider: event.provider, model: event.model, ...(event.cost === undefined ? {} : { cost: event.cost }), ts };
        case 'stage:start':
          return { type: 'stage', jobId, stage: event.stage, state: 'start', ts };
        case 'stage:done':
          return { type: 'stage', jobId, stage: event.stage, state: 'done', ts, ...(event.note ? { message: event.note } : {}) };
        case 'stage:skip':
          return { type: 'stage', jobId, stage: event.stage, state: 'skip', ts, message: event.reason };
      }
    },
    /** A job that ended needs no throttle state. */
    forget: (jobId: string) => void lastProgressAt.delete(jobId),
    clear: () => void (lastProgressAt = new Map()),
  };
};

/** Stamps a job's event with the process it runs in. */
export const withOrigin = <E extends JobScopedActivity>(event: E, origin: Origin | undefined): E => (origin === undefined ? event : { ...event, origin });
