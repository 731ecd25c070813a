/**
 * A worker process's side of the bus: its workers' job events, stages (progress throttled) and
 * 'made' events, each stamped with the process by the bus, and its workers' status, re-sent as a
 * heartbeat so a viewer can tell a process that died from one that is idle.
 */
import type { PipelineEvent } from '../pipeline/events.ts';
import type { JobQueue, QueueWorker } from '../queue/port.ts';
import type { ActivityBus } from './bus/port.ts';
import { type JobScopedActivity, WORKERS_HEARTBEAT_MS, createPipelineMapper, watchJobEvents } from './events.ts';

export interface WorkerActivityOptions {
  readonly bus: ActivityBus;
  readonly queue: Pick<JobQueue<unknown>, 'on'>;
  /** The workers whose jobs are told (the queue's events of other workers in this process are not theirs). */
  readonly worker: Pick<QueueWorker, 'id' | 'running' | 'paused'>;
  readonly concurrency: number;
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

export interface WorkerActivity {
  /** One pipeline event of a job these workers run. */
  pipeline(jobId: string, event: PipelineEvent): void;
  /** The workers are draining before they close: told as stopping, not as paused. */
  stopping(): void;
  /**
   * The workers closed: jobs still running went back to the queue (told as taken back), and the
   * process leaves the workers' sum at once rather than after the heartbeat's timeout.
   */
  stop(): void;
}

export const publishWorkerActivity = (options: WorkerActivityOptions): WorkerActivity => {
  const { bus, worker } = options;
  const now = options.now ?? Date.now;
  const mapper = createPipelineMapper(now);
  const running = new Set<string>();
  let stopped = false;
  let draining = false;

  const status = () =>
    bus.publish({
      type: 'workers',
      running: worker.running,
      concurrency: options.concurrency,
      // A drain pauses the workers; viewers hear that it stops instead.
      paused: worker.paused && !draining,
      ...(draining ? { stopping: true } : {}),
      ts: now(),
    });
  const publish = (event: JobScopedActivity) => {
    if (!stopped) bus.publish(event);
  };

  const offs = watchJobEvents(
    options.queue,
    (event) => {
      if (event.kind === 'active') running.add(event.jobId);
      else {
        running.delete(event.jobId);
        mapper.forget(event.jobId);
      }
      publish(event);
      // A job started or ended: the running count changed now, not at the next heartbeat.
      if (!stopped) status();
    },
    now,
    (workerId) => workerId === worker.id,
  );
  status();
  const heartbeat = setInterval(status, options.heartbeatMs ?? WORKERS_HEARTBEAT_MS);
  heartbeat.unref();

  return {
    pipeline(jobId, event) {
      const mapped = mapper.map(jobId, event);
      if (mapped) publish(mapped);
    },
    stopping() {
      if (draining || stopped) return;
      draining = true;
      status();
    },
    stop() {
      if (stopped) return;
      for (const jobId of running) bus.publish({ type: 'job', kind: 'stalled', jobId, ts: now() });
      bus.publish({ type: 'workers', running: 0, concurrency: 0, paused: false, ts: now() });
      stopped = true;
      clearInterval(heartbeat);
      for (const off of offs) off();
      mapper.clear();
    },
  };
};
