/**
 * Workers that take tasks from the queue: each job runs its task, reports its pipeline events (to
 * the caller, to the job's progress, and to the other processes when there is an activity bus), and
 * a sweep keeps tasks and jobs in step.
 */
import type { ActivityBus } from './activity/bus/port.ts';
import { publishWorkerActivity } from './activity/publish.ts';
import { toVidbotError } from './errors.ts';
import type { PipelineEvent } from './pipeline/events.ts';
import type { JobQueue, QueueWorker } from './queue/port.ts';
import type { TaskJob } from './tasks/deps.ts';
import type { TaskLifecycle } from './tasks/lifecycle.ts';

/** How often workers reconcile tasks with their jobs (see tasks/sweep.ts). */
const SWEEP_EVERY_MS = 60_000;

export interface StartWorkersOptions {
  readonly concurrency?: number;
  readonly workerId?: string;
  /** Every pipeline event of every job these workers run (for logs, metrics, dashboards). */
  readonly onEvent?: (taskId: string, event: PipelineEvent, jobId: string) => void;
}

export interface WorkerDeps {
  readonly queue: JobQueue<TaskJob>;
  readonly tasks: TaskLifecycle;
  readonly defaultConcurrency: number;
  readonly activityBus?: ActivityBus;
  readonly onWarning?: (message: string) => void;
  /** Keeps each task run, so closing can wait for runs that were aborted. */
  readonly track: <T>(run: Promise<T>) => Promise<T>;
}

/** The workers, and what must stop when the vidbot closes with them still open. */
export const startTaskWorkers = (deps: WorkerDeps, options: StartWorkersOptions = {}): { worker: QueueWorker; stop: () => void } => {
  const { queue, tasks } = deps;
  const concurrency = options.concurrency ?? deps.defaultConcurrency;
  // Made once the worker exists (it names the jobs that are its own); no job starts before that.
  let told: ReturnType<typeof publishWorkerActivity> | undefined;
  const worker = queue.work(
    (job) =>
      deps
        .track(
          tasks.run(job.data.taskId, {
            jobId: job.id,
            signal: job.signal,
            ...(job.stopSignal ? { stopSignal: job.stopSignal } : {}),
            attempt: job.attempt,
            maxAttempts: job.maxAttempts,
            onEvent: (event) => {
              options.onEvent?.(job.data.taskId, event, job.id);
              told?.pipeline(job.id, event);
              if (event.type === 'stage:start') job.progress({ stage: event.stage, percent: 0 });
              if (event.type === 'stage:progress') {
                job.progress({ stage: event.stage, ...(event.percent === undefined ? {} : { percent: event.percent }) });
              }
            },
          }),
        )
        .then(() => undefined),
    { concurrency, ...(options.workerId ? { workerId: options.workerId } : {}) },
  );
  told = deps.activityBus ? publishWorkerActivity({ bus: deps.activityBus, queue, worker, concurrency }) : undefined;
  // Every way a job ends lands on its task: a job the queue failed on its own (its worker died
  // on every attempt) ends the task now; the sweep catches what a crash kept from this event.
  const unsubscribe = queue.on('failed', (event) => {
    void tasks.abandonJob(event.jobId, event.error, event.errorCode).catch((error: unknown) => {
      deps.onWarning?.(`Could not end the task of job ${event.jobId}: ${toVidbotError(error).message}`);
    });
  });
  const sweepQuietly = () =>
    void tasks.sweep().catch((error: unknown) => deps.onWarning?.(`The task sweep failed: ${toVidbotError(error).message}`));
  sweepQuietly();
  const sweeping = setInterval(sweepQuietly, SWEEP_EVERY_MS);
  sweeping.unref();
  const stopSweeping = () => {
    clearInterval(sweeping);
    unsubscribe();
  };
  const close = worker.close.bind(worker);
  return {
    worker: Object.assign(worker, {
      // drainWorkers says so before it pauses them: the other processes hear a stop, not a pause.
      draining: () => told?.stopping(),
      close: async (closeOptions?: { release?: boolean }) => {
        stopSweeping();
        await close(closeOptions);
        // Told last: a job still running once the workers closed went back to the queue.
        told?.stop();
      },
    }),
    stop() {
      stopSweeping();
      told?.stop();
    },
  };
};
