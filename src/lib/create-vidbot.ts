import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createFfmpegCompressor } from './compressor/ffmpeg.ts';
import type { Compressor } from './compressor/port.ts';
import type { Config } from './config/settings.ts';
import { vidbotError } from './errors.ts';
import { locateFfmpeg } from './ffmpeg/locate.ts';
import type { MediaHost } from './media-host/port.ts';
import type { Messenger } from './messenger/port.ts';
import { type TaskJob, pickMediaHost, pickMessenger, pickPolisher, pickProvider, pickQueue, pickStore } from './pick-adapters.ts';
import { type Pipeline, createPipeline } from './pipeline/create-pipeline.ts';
import type { PipelineEvent } from './pipeline/events.ts';
import { validatePrompt } from './pipeline/prompt.ts';
import type { PromptPolisher } from './polisher/port.ts';
import type { JobQueue, QueueWorker } from './queue/port.ts';
import { FINAL_TASK_STATUSES, type Store, type Task, type TaskOptions } from './store/port.ts';
import { type RunTaskOptions, runTask } from './tasks/run-task.ts';
import type { VideoProvider } from './video-provider/port.ts';

/** How long close() waits for aborted task runs to record their state before closing the store. */
const CLOSE_WAIT_MS = 5_000;

export type { TaskJob };

export interface VidbotPaths {
  readonly dataDir: string;
  readonly database: string;
  readonly media: string;
  readonly work: string;
}

export interface Vidbot {
  readonly config: Config;
  readonly paths: VidbotPaths;
  readonly ffmpeg: { readonly ffmpeg: string; readonly ffprobe: string };
  readonly store: Store;
  readonly queue: JobQueue<TaskJob>;
  readonly provider: VideoProvider;
  readonly polisher: PromptPolisher;
  readonly compressor: Compressor;
  readonly mediaHost: MediaHost;
  readonly messenger: Messenger;
  readonly pipeline: Pipeline;
  /** Validates the prompt and stores a task (idempotent on taskId and messageSid). */
  createTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /** Stores a task and queues it for the workers. */
  submitTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /**
   * Cancels a task: a queued one at once, a running one through its job's signal (it ends
   * canceled when its handler stops). Finished tasks are left as they are.
   */
  cancelTask(taskId: string): Promise<CancelTaskResult>;
  /** Queues a failed or canceled task again, with fresh attempts (the dashboard's `r`, POST /api/tasks/:id/retry). */
  retryTask(taskId: string): Promise<Task>;
  /** Runs a stored task in this process, outside the queue (what `vidbot generate` does). */
  runTask(taskId: string, options?: RunTaskOptions): Promise<Task>;
  /** Starts workers that take tasks from the queue. */
  startWorkers(options?: StartWorkersOptions): QueueWorker;
  close(): Promise<void>;
}

export interface StartWorkersOptions {
  readonly concurrency?: number;
  readonly workerId?: string;
  /** Every pipeline event of every job these workers run (for logs, metrics, dashboards). */
  readonly onEvent?: (taskId: string, event: PipelineEvent) => void;
}

export interface CancelTaskResult {
  readonly outcome: 'canceled' | 'cancel-requested' | 'already-finished';
  readonly task: Task;
}

export interface CreateTaskInput {
  readonly prompt: string;
  readonly sid?: string;
  readonly from?: string;
  readonly taskId?: string;
  readonly messageSid?: string;
  readonly options?: Partial<Omit<TaskOptions, 'provider'>>;
}

export interface CreateVidbotOptions {
  /** Environment whose PATH is searched for ffmpeg; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The Twilio messenger's 24-hour check against this store's inbound history (default on). An
   * operator's explicit send turns it off and lets Twilio decide.
   */
  readonly enforceWindow?: boolean;
  /**
   * Ask providers to report by webhook to PUBLIC_BASE_URL (default off): only a process that
   * serves the webhook routes (`vidbot serve`) should, so others poll.
   */
  readonly webhooks?: boolean;
  /** Told about degraded service: a polish or an upload that fell back. Default: nothing. */
  readonly onWarning?: (message: string) => void;
  /** Replace any adapter, e.g. in tests or to plug in your own provider. */
  readonly overrides?: Partial<Pick<Vidbot, 'store' | 'provider' | 'polisher' | 'compressor' | 'mediaHost' | 'messenger'>> & {
    readonly queue?: JobQueue<TaskJob>;
  };
}

/** Picks and wires the adapters that the configuration asks for: the one factory of the library. */
export const createVidbot = async (config: Config, options: CreateVidbotOptions = {}): Promise<Vidbot> => {
  const over = options.overrides ?? {};
  const paths: VidbotPaths = {
    dataDir: config.dataDir,
    database: join(config.dataDir, 'vidbot.db'),
    media: join(config.dataDir, 'media'),
    work: join(config.dataDir, 'work'),
  };
  try {
    await mkdir(paths.media, { recursive: true });
    await mkdir(paths.work, { recursive: true });
  } catch (error) {
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot create the data folder ${config.dataDir}: ${(error as Error).message}`, {
      cause: error,
      retryable: false,
      hint: 'Set VIDBOT_DATA_DIR to a folder you can write to.',
    });
  }
  const ffmpeg = await locateFfmpeg({
    ...(config.ffmpegBin ? { ffmpegBin: config.ffmpegBin } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const provider = over.provider ?? (await pickProvider(config, ffmpeg, options.webhooks ?? false));
  // What this factory opened, closed again if a later adapter fails, so a bad setting cannot leave
  // a connection keeping the process alive after its error was printed.
  const opened: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const close of opened.reverse()) await close().catch(() => {});
  };
  let store: Store;
  let queue: JobQueue<TaskJob>;
  let redis: Redis[] | undefined;
  let polisher: PromptPolisher;
  let mediaHost: MediaHost;
  try {
    store = over.store ?? (await pickStore(config, paths.database));
    if (!over.store) opened.push(() => store.close());
    ({ queue, redis } = over.queue ? { queue: over.queue, redis: undefined } : await pickQueue(config, paths.database));
    if (!over.queue) opened.push(() => queue.close());
    for (const client of redis ?? []) opened.push(async () => client.disconnect());
    polisher = over.polisher ?? (await pickPolisher(config, options.onWarning));
    mediaHost = over.mediaHost ?? (await pickMediaHost(config, paths.media, options.onWarning));
  } catch (error) {
    await undo();
    throw error;
  }
  const compressor =
    over.compressor ?? createFfmpegCompressor({ ...ffmpeg, maxBytes: config.whatsappMaxBytes });
  const messenger = over.messenger ?? pickMessenger(config, store, options.enforceWindow ?? true);
  const pipeline = createPipeline({ polisher, provider, compressor, mediaHost, store, workDir: paths.work });
  const runnerDeps = { store, pipeline, messenger, maxBytes: config.whatsappMaxBytes };

  const createTask: Vidbot['createTask'] = (input) =>
    store.createTask({
      prompt: validatePrompt(input.prompt, config.promptMaxChars),
      sid: input.sid ?? input.from ?? 'cli',
      from: input.from ?? '',
      ...(input.taskId ? { taskId: input.taskId } : {}),
      ...(input.messageSid ? { messageSid: input.messageSid } : {}),
      options: {
        provider: provider.name,
        orientation: input.options?.orientation ?? config.orientation,
        durationSec: input.options?.durationSec ?? config.videoSeconds,
        polish: input.options?.polish ?? config.polish,
        useCache: input.options?.useCache ?? true,
        ...(input.options?.model ? { model: input.options.model } : {}),
        ...(input.options?.firstFrameImage ? { firstFrameImage: input.options.firstFrameImage } : {}),
        ...(input.options?.inputs ? { inputs: input.options.inputs } : {}),
      },
    });

  let closed = false;
  const running = new Set<Promise<unknown>>();
  const track = <T>(run: Promise<T>): Promise<T> => {
    running.add(run);
    void run.then(
      () => running.delete(run),
      () => running.delete(run),
    );
    return run;
  };
  return {
    config,
    paths,
    ffmpeg,
    store,
    queue,
    provider,
    polisher,
    compressor,
    mediaHost,
    messenger,
    pipeline,
    createTask,
    async submitTask(input) {
      const result = await createTask(input);
      await queue.add({ taskId: result.task.taskId }, { jobId: result.task.taskId, group: result.task.sid });
      return result;
    },
    async cancelTask(taskId) {
      const read = async () => {
        const task = await store.getTask(taskId);
        if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${taskId}.`);
        return task;
      };
      const task = await read();
      if (FINAL_TASK_STATUSES.includes(task.status)) return { outcome: 'already-finished', task };
      // The task's flag first: a worker that claims the job from now on sees it and stops.
      await store.updateTask(taskId, { cancelRequested: true });
      const queued = await queue.cancel(taskId);
      if (queued === 'cancel-requested') return { outcome: 'cancel-requested', task: await read() };
      const latest = await read();
      if (FINAL_TASK_STATUSES.includes(latest.status)) return { outcome: 'already-finished', task: latest };
      // Running outside the queue (`vidbot generate` in another process): the flag is all we can set.
      if (queued === 'not-found' && latest.status === 'processing') return { outcome: 'cancel-requested', task: latest };
      // Taken off the queue before a worker got it, or never queued (a CLI task).
      const canceled = await store.updateTask(taskId, { status: 'canceled', finishedAt: Date.now(), error: 'Canceled by the user.' });
      // A released job may have left its prediction running: nobody will resume it now.
      if (canceled.remoteJobId) await provider.cancelRemoteJob?.(canceled.remoteJobId);
      return { outcome: 'canceled', task: canceled };
    },
    async retryTask(taskId) {
      const task = await store.getTask(taskId);
      if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${taskId}.`);
      if (task.status !== 'failed' && task.status !== 'canceled') {
        throw vidbotError('VIDBOT_INPUT_INVALID', `Task ${taskId} is ${task.status}; only failed or canceled tasks can be retried.`, {
          hint: '`vidbot status` lists tasks and their states.',
        });
      }
      // The task first: a worker that takes the job back at once must find it queued, not failed.
      const queued = await store.updateTask(taskId, {
        status: 'queued',
        attempts: 0,
        stage: undefined,
        error: undefined,
        errorCode: undefined,
        startedAt: undefined,
        finishedAt: undefined,
        cancelRequested: false,
      });
      const retried = await queue.retry(taskId);
      if (retried === 'not-failed') {
        // The queue still holds a live job for it: put the task back as it was rather than leave it queued.
        await store.updateTask(taskId, {
          status: task.status,
          attempts: task.attempts,
          error: task.error,
          errorCode: task.errorCode,
          startedAt: task.startedAt,
          finishedAt: task.finishedAt,
          cancelRequested: task.cancelRequested ?? false,
        });
        throw vidbotError('VIDBOT_INPUT_INVALID', `Task ${taskId} is ${task.status}, but its job is still in the queue; try again in a moment.`);
      }
      // A CLI task never had a job: give it one.
      if (retried === 'not-found') await queue.add({ taskId }, { jobId: taskId, group: task.sid });
      return queued;
    },
    runTask: (taskId, runOptions) => runTask(runnerDeps, taskId, runOptions),
    startWorkers(workerOptions = {}) {
      return queue.work(
        (job) =>
          track(runTask(runnerDeps, job.data.taskId, {
            signal: job.signal,
            attempt: job.attempt,
            maxAttempts: job.maxAttempts,
            onEvent: (event) => {
              workerOptions.onEvent?.(job.data.taskId, event);
              if (event.type === 'stage:start') job.progress({ stage: event.stage, percent: 0 });
              if (event.type === 'stage:progress') {
                job.progress({ stage: event.stage, ...(event.percent === undefined ? {} : { percent: event.percent }) });
              }
            },
          })).then(() => undefined),
        { concurrency: workerOptions.concurrency ?? config.workerCount, ...(workerOptions.workerId ? { workerId: workerOptions.workerId } : {}) },
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      for (const client of redis ?? []) await client.quit().catch(() => client.disconnect());
      // Released jobs were aborted, not awaited: let their runs record the task's state first.
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
      await store.close();
    },
  };
};
