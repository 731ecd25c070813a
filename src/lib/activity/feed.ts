/**
 * What the bot is doing, as one stream of small serializable events: queue transitions, pipeline
 * stages, queue counts, worker state and log lines. `vidbot serve` draws its dashboard from it and
 * GET /api/events streams it (SSE) to `vidbot status --watch` on another terminal or machine. With a
 * bus (REDIS_URL) it also carries what the workers of every other process do.
 */
import type { PipelineEvent } from '../pipeline/events.ts';
import type { JobQueue } from '../queue/port.ts';
import type { LateDelivery } from '../tasks/deps.ts';
import type { ActivityBus } from './bus/port.ts';
import {
  type ActivityEvent,
  type ActivityListener,
  type JobScopedActivity,
  type WorkerStatus,
  createPipelineMapper,
  lateDeliveryEvent,
  watchJobEvents,
  withOrigin,
} from './events.ts';
import { type WorkersTotal, createWorkersTally } from './workers-tally.ts';

export type { ActivityEvent, ActivityListener, JobEventKind, Origin, WorkerStatus } from './events.ts';

/** Who a job is for: its prompt (shortened) and sender, as the store has them. */
export interface JobSubject {
  readonly prompt: string;
  readonly sender: string;
}

export interface ActivityFeed {
  /** Feeds one pipeline event of a job (from startWorkers' onEvent). */
  pipeline(jobId: string, event: PipelineEvent): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** This process's workers, now (they are also read on every tick when `ownWorkers` is given). */
  workers(status: WorkerStatus): void;
  /** Every process's workers as of now: this one's, and with a bus each other's last heartbeat. */
  workersTotal(): WorkersTotal;
  /** The latest events, oldest first, then the current counts and workers, so a new viewer starts with context. */
  recent(): readonly ActivityEvent[];
  subscribe(listener: ActivityListener): () => void;
  close(): void;
}

export interface ActivityFeedOptions {
  readonly queue: Pick<JobQueue<unknown>, 'on' | 'counts'>;
  /** The other processes' activity, merged in; this process's own jobs are stamped with its origin. */
  readonly bus?: ActivityBus;
  /** Who a job is for, read as it starts: a viewer without the store (a remote one) still sees prompts. */
  readonly lookUpJob?: (jobId: string) => Promise<JobSubject | undefined>;
  /** This process's workers, read on every tick. */
  readonly ownWorkers?: () => WorkerStatus;
  /** Deliveries this process's receipts decide after their jobs ended (TaskLifecycle.onLateDelivery). */
  readonly onLateDelivery?: (listener: (event: LateDelivery) => void) => () => void;
  /** How often queue counts (and the workers) are read; a change becomes an event (default 1 s). */
  readonly countsEveryMs?: number;
  /** How long a worker process may stay silent before it drops out of the workers' sum. */
  readonly workersTimeoutMs?: number;
  /** Events kept for new viewers (default 200). */
  readonly history?: number;
  readonly now?: () => number;
}

/** How long a job's events wait for its subject before they go out without it. */
const LOOKUP_WAIT_MS = 2_000;
const MAX_RUNNING = 1_000;
const ENDED: ReadonlySet<string> = new Set(['completed', 'failed', 'retrying', 'canceled', 'stalled']);

export const createActivityFeed = (options: ActivityFeedOptions): ActivityFeed => {
  const now = options.now ?? Date.now;
  const history = options.history ?? 200;
  const { bus, lookUpJob } = options;
  const origin = bus?.origin;
  const listeners = new Set<ActivityListener>();
  const kept: ActivityEvent[] = [];
  const mapper = createPipelineMapper(now);
  const tally = createWorkersTally({ now, ...(origin ? { origin } : {}), ...(options.workersTimeoutMs === undefined ? {} : { timeoutMs: options.workersTimeoutMs }) });
  /** Events of jobs whose subject is being read: held, so each job's events keep their order. */
  const held = new Map<string, JobScopedActivity[]>();
  let lastCounts: ActivityEvent | undefined;
  let lastWorkers: ActivityEvent | undefined;
  /**
   * Each running job's start (with its subject) and latest stage: a viewer who comes later than the
   * history reaches back still sees who a long job is for and where it stands.
   */
  const running = new Map<string, { started: ActivityEvent; stage?: ActivityEvent; progress?: ActivityEvent }>();
  /** Other processes whose workers said they are stopping. */
  const stopping = new Set<string>();
  let closed = false;

  const track = (event: ActivityEvent): void => {
    if (event.type === 'job' && event.kind === 'active') {
      running.set(event.jobId, { started: event });
      // A process that died mid-job tells no end: the oldest go first past what any dashboard shows.
      if (running.size > MAX_RUNNING) running.delete(running.keys().next().value as string);
    }
    else if (event.type === 'job' && ENDED.has(event.kind)) running.delete(event.jobId);
    else if (event.type === 'stage') {
      const job = running.get(event.jobId);
      if (job && event.state === 'progress') job.progress = event;
      else if (job) running.set(event.jobId, { started: job.started, stage: event });
    }
  };

  const emit = (event: ActivityEvent): void => {
    if (closed) return;
    track(event);
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

  const subjectOf = async (jobId: string): Promise<JobSubject | undefined> => {
    if (!lookUpJob) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LOOKUP_WAIT_MS)));
    try {
      return await Promise.race([lookUpJob(jobId).catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const jobEvent = (event: JobScopedActivity): void => {
    const waiting = held.get(event.jobId);
    if (waiting) {
      waiting.push(event);
      return;
    }
    if (event.type === 'job' && ENDED.has(event.kind)) mapper.forget(event.jobId);
    if (!(event.type === 'job' && event.kind === 'active' && event.prompt === undefined && lookUpJob)) {
      emit(event);
      return;
    }
    held.set(event.jobId, []);
    void subjectOf(event.jobId).then((subject) => {
      const after = held.get(event.jobId) ?? [];
      held.delete(event.jobId);
      emit(subject ? { ...event, prompt: subject.prompt, sender: subject.sender } : event);
      for (const next of after) jobEvent(next);
    });
  };

  /** Says the workers' sum when it changed: every process's heartbeat would otherwise flood the history. */
  const reportWorkers = (): void => {
    const total = tally.total();
    const { processes, machines, pausedProcesses, ...status } = total;
    const event: ActivityEvent = bus
      ? { type: 'workers', ...status, processes, machines, ...(pausedProcesses > 0 && !status.paused ? { pausedProcesses } : {}), ts: now() }
      : { type: 'workers', ...status, ts: now() };
    if (lastWorkers && JSON.stringify({ ...lastWorkers, ts: 0 }) === JSON.stringify({ ...event, ts: 0 })) return;
    lastWorkers = event;
    emit(event);
  };

  const offs = watchJobEvents(options.queue, (event) => jobEvent(withOrigin(event, origin)), now);
  if (options.onLateDelivery) offs.push(options.onLateDelivery((event) => jobEvent(lateDeliveryEvent(event, now()))));
  if (bus) {
    offs.push(
      bus.subscribe(({ peer, origin: from, event }) => {
        if (event.type === 'workers') {
          tally.heard(peer, from, { running: event.running, concurrency: event.concurrency, paused: event.paused, ...(event.stopping ? { stopping: true } : {}) });
          // Told in the log, by name: the sum alone would show its drain as a pause, then a resume.
          const name = `Worker process ${from.host}:${from.pid}`;
          if (event.stopping === true && !stopping.has(peer)) {
            stopping.add(peer);
            emit({ type: 'log', level: 'info', message: `${name} is stopping: it takes no new jobs; its running ones finish or go back to the queue.`, ts: now() });
          } else if (event.concurrency === 0 && stopping.delete(peer)) emit({ type: 'log', level: 'info', message: `${name} stopped.`, ts: now() });
          reportWorkers();
          return;
        }
        // The failover chain's own business (its circuits) and the simulator's page's, not a job's.
        if (event.type === 'circuit' || event.type === 'simulator') return;
        // Stamped on arrival with this clock: times across machines then agree with the viewer's own.
        jobEvent({ ...event, origin: from, ts: now() });
      }),
    );
  }

  const tick = async () => {
    if (options.ownWorkers) tally.own(options.ownWorkers());
    if (options.ownWorkers || bus) reportWorkers();
    try {
      const counts = await options.queue.counts();
      const event: ActivityEvent = { type: 'counts', counts, ts: now() };
      if (lastCounts?.type === 'counts' && JSON.stringify(lastCounts.counts) === JSON.stringify(counts)) return;
      lastCounts = event;
      emit(event);
    } catch (error) {
      emit({ type: 'log', level: 'warn', message: `Reading queue counts failed: ${(error as Error).message}`, ts: now() });
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), options.countsEveryMs ?? 1000);
  timer.unref();

  return {
    pipeline(jobId, event) {
      const mapped = mapper.map(jobId, event);
      if (mapped) jobEvent(withOrigin(mapped, origin));
    },
    log: (level, message) => emit({ type: 'log', level, message, ts: now() }),
    workers(status) {
      tally.own(status);
      reportWorkers();
    },
    workersTotal() {
      if (options.ownWorkers) tally.own(options.ownWorkers());
      return tally.total();
    },
    // Running jobs whose start has left the history come first (their latest stage with them); the
    // current counts and workers come last: older ones may have left it long ago.
    recent() {
      const inHistory = new Set(kept);
      const replayed = [...running.values()].filter((job) => !inHistory.has(job.started));
      const earlier = replayed.flatMap((job) => [job.started, ...(job.stage && !inHistory.has(job.stage) ? [job.stage] : [])]);
      // A job's progress after all of its history: after its stage's start, wherever that is told.
      const progress = replayed.flatMap((job) => (job.progress ? [job.progress] : []));
      return [...earlier, ...kept, ...progress, ...(lastCounts ? [lastCounts] : []), ...(lastWorkers ? [lastWorkers] : [])];
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      closed = true;
      clearInterval(timer);
      for (const off of offs) off();
      listeners.clear();
      held.clear();
      running.clear();
      mapper.clear();
    },
  };
};
