/**
 * What the bot is doing, as one stream of small serializable events: queue transitions, pipeline
 * stages, queue counts, worker state and log lines. `vidbot serve` draws its dashboard from it and
 * GET /api/events streams it (SSE) to `vidbot status --watch` on another terminal or machine.
 */
import type { PipelineEvent } from '../pipeline/events.ts';
import type { JobQueue, QueueCounts } from '../queue/port.ts';
import type { PipelineStage } from '../domain.ts';

export type JobEventKind = 'active' | 'completed' | 'failed' | 'retrying' | 'canceled' | 'stalled';

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
    }
  | {
      readonly type: 'stage';
      readonly jobId: string;
      readonly stage: PipelineStage;
      readonly state: 'start' | 'progress' | 'done' | 'skip';
      readonly ts: number;
      readonly percent?: number;
      readonly message?: string;
    }
  | {
      /** A job's video was generated: by which provider and model (failover may pick another), at what estimated cost. */
      readonly type: 'made';
      readonly jobId: string;
      readonly provider: string;
      readonly model: string;
      readonly cost?: number;
      readonly ts: number;
    }
  | { readonly type: 'counts'; readonly counts: QueueCounts; readonly ts: number }
  | { readonly type: 'workers'; readonly running: number; readonly concurrency: number; readonly paused: boolean; readonly ts: number }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string; readonly ts: number };

export type ActivityListener = (event: ActivityEvent) => void;

export interface ActivityFeed {
  /** Feeds one pipeline event of a job (from startWorkers' onEvent). */
  pipeline(jobId: string, event: PipelineEvent): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  workers(status: { running: number; concurrency: number; paused: boolean }): void;
  /** The latest events, oldest first, so a new viewer starts with context. */
  recent(): readonly ActivityEvent[];
  subscribe(listener: ActivityListener): () => void;
  close(): void;
}

export interface ActivityFeedOptions {
  readonly queue: Pick<JobQueue<unknown>, 'on' | 'counts'>;
  /** How often queue counts are read; a change becomes a 'counts' event (default 1 s). */
  readonly countsEveryMs?: number;
  /** Events kept for new viewers (default 200). */
  readonly history?: number;
  readonly now?: () => number;
}

export const createActivityFeed = (options: ActivityFeedOptions): ActivityFeed => {
  const now = options.now ?? Date.now;
  const history = options.history ?? 200;
  const listeners = new Set<ActivityListener>();
  const kept: ActivityEvent[] = [];
  let lastCounts = '';
  let lastProgressAt = new Map<string, number>();

  const emit = (event: ActivityEvent): void => {
    // Progress is frequent and stale at once: keep it out of the history new viewers replay.
    if (!(event.type === 'stage' && event.state === 'progress')) {
      kept.push(event);
      if (kept.length > history) kept.splice(0, kept.length - history);
    }
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A broken viewer must not break the workers that emit.
      }
    }
  };

  const q = options.queue;
  const offs = [
    q.on('active', (e) => emit({ type: 'job', kind: 'active', jobId: e.jobId, workerId: e.workerId, attempt: e.attempt, ts: now() })),
    q.on('completed', (e) => emit({ type: 'job', kind: 'completed', jobId: e.jobId, workerId: e.workerId, durationMs: e.durationMs, ts: now() })),
    q.on('failed', (e) => emit({ type: 'job', kind: 'failed', jobId: e.jobId, workerId: e.workerId, error: e.error, ts: now() })),
    q.on('retrying', (e) => emit({ type: 'job', kind: 'retrying', jobId: e.jobId, workerId: e.workerId, attempt: e.attempt, delayMs: e.delayMs, error: e.error, ts: now() })),
    q.on('canceled', (e) => emit({ type: 'job', kind: 'canceled', jobId: e.jobId, ts: now() })),
    q.on('stalled', (e) => emit({ type: 'job', kind: 'stalled', jobId: e.jobId, ts: now() })),
  ];

  const readCounts = async () => {
    try {
      const counts = await q.counts();
      const key = JSON.stringify(counts);
      if (key !== lastCounts) {
        lastCounts = key;
        emit({ type: 'counts', counts, ts: now() });
      }
    } catch (error) {
      emit({ type: 'log', level: 'warn', message: `Reading queue counts failed: ${(error as Error).message}`, ts: now() });
    }
  };
  void readCounts();
  const timer = setInterval(() => void readCounts(), options.countsEveryMs ?? 1000);
  timer.unref();

  return {
    pipeline(jobId, event) {
      const ts = now();
      if (event.type === 'stage:progress') {
        // At most a few progress events a second per job: ffmpeg reports far more often.
        if (ts - (lastProgressAt.get(jobId) ?? 0) < 200) return;
        lastProgressAt.set(jobId, ts);
        emit({ type: 'stage', jobId, stage: event.stage, state: 'progress', ts, ...(event.percent === undefined ? {} : { percent: event.percent }), ...(event.message ? { message: event.message } : {}) });
        return;
      }
      if (event.type === 'made') {
        emit({ type: 'made', jobId, provider: event.provider, model: event.model, ...(event.cost === undefined ? {} : { cost: event.cost }), ts });
        return;
      }
      if (event.type === 'stage:start') emit({ type: 'stage', jobId, stage: event.stage, state: 'start', ts });
      else if (event.type === 'stage:done') emit({ type: 'stage', jobId, stage: event.stage, state: 'done', ts, ...(event.note ? { message: event.note } : {}) });
      else emit({ type: 'stage', jobId, stage: event.stage, state: 'skip', ts, message: event.reason });
    },
    log: (level, message) => emit({ type: 'log', level, message, ts: now() }),
    workers: (status) => emit({ type: 'workers', ...status, ts: now() }),
    recent: () => [...kept],
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      clearInterval(timer);
      for (const off of offs) off();
      listeners.clear();
      lastProgressAt = new Map();
    },
  };
};
