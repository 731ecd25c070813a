import { join } from 'node:path';
import type { ActivityBus } from './activity/bus/port.ts';
import { lateDeliveryEvent } from './activity/events.ts';
import { type StartWorkersOptions, startTaskWorkers } from './start-workers.ts';
import { createFfmpegCompressor } from './compressor/ffmpeg.ts';
import type { Compressor } from './compressor/port.ts';
import type { Config } from './config/settings.ts';
import { type SenderLimits, createMemoryLimits, createRedisLimits } from './limits/index.ts';
import { vidbotError } from './errors.ts';
import { assertConfig } from './config/check.ts';
import { type FfmpegBinaries, locateFfmpeg } from './ffmpeg/locate.ts';
import type { MediaHost } from './media-host/port.ts';
import type { Channel, ChannelSet, Receipt } from './channel/port.ts';
import { createChannelSet } from './channel/set.ts';
import { createSimulatorRelay } from './channel/simulator/relay.ts';
import type { DailyBudget, PriceTable } from './cost/index.ts';
import {
  type InboundOptions,
  type RedisWait,
  type StoreAndQueue,
  type TaskJob,
  pickChannels,
  pickCost,
  pickMediaHost,
  pickPolisher,
  pickProvider,
  pickStoreAndQueue,
} from './pick-adapters.ts';
import { type Pipeline, createPipeline } from './pipeline/create-pipeline.ts';
import { cleanDeadScratch } from './pipeline/scratch.ts';
import type { PromptPolisher } from './polisher/port.ts';
import type { JobQueue, QueueWorker } from './queue/port.ts';
import type { IngestOutcome, OutboundRecord, Store, Task } from './store/port.ts';
import { type Conversation, createConversation } from './tasks/conversation.ts';
import { type CreateTaskInput, newTaskFrom } from './tasks/new-task.ts';
import {
  type CancelTaskOptions,
  type CancelTaskResult,
  type InboundRequest,
  type SendMessageOptions,
  type TaskLifecycle,
  createTaskLifecycle,
} from './tasks/lifecycle.ts';
import type { ReceiptOutcome } from './tasks/receipts.ts';
import type { RunTaskOptions } from './tasks/run-task.ts';
import { allowedModels, type ModelOption } from './video-provider/allowed.ts';
import { createCircuitRelay } from './video-provider/failover/board.ts';
import type { VideoProvider } from './video-provider/port.ts';
import { makeDirs } from './files.ts';

/** How long close() waits for aborted task runs to record their state before closing the store. */
const CLOSE_WAIT_MS = 5_000;

export type { CancelTaskOptions, CancelTaskResult, CreateTaskInput, StartWorkersOptions, TaskJob };

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
  /**
   * With REDIS_URL: how the processes sharing the queue tell each other what their workers do. Workers
   * started here publish on it; any process's activity feed merges what the others published.
   */
  readonly activityBus?: ActivityBus;
  readonly provider: VideoProvider;
  /** The models users may pick with /model (VIDBOT_ALLOWED_MODELS); the configured one by default. */
  readonly models: readonly ModelOption[];
  readonly polisher: PromptPolisher;
  readonly compressor: Compressor;
  readonly mediaHost: MediaHost;
  /** The messaging services this vidbot answers on; the first is the default. */
  readonly channels: ChannelSet;
  readonly pipeline: Pipeline;
  /** Prices by model (VIDBOT_PRICES), for each video's estimated cost. */
  readonly prices: PriceTable;
  /** The daily budget, when VIDBOT_DAILY_BUDGET is set. */
  readonly budget?: DailyBudget;
  /** Each sender's rate limit and daily allowance: in Redis when REDIS_URL is set, so every web process shares them. */
  readonly limits: SenderLimits;
  /** The one owner of every task's state: submit, run, deliver, receipts, cancel, retry. */
  readonly tasks: TaskLifecycle;
  /** The session log's writer. */
  readonly conversation: Conversation;
  /** Validates the prompt and stores a task that its creator runs (`runTask`), outside the queue. */
  createTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /** Validates the prompt and stores a task with its queue job (idempotent on taskId and messageId). */
  submitTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /** Whether this task would be answered from the prompt cache, paying for nothing (asked once today's budget is spent). */
  isCached(input: CreateTaskInput): Promise<boolean>;
  /**
   * Makes an inbound message durable in one unit: its claim, the user's words, the task it asks for
   * (as submitTask stores it) and the answer (see Store.ingest). The webhook answers after this.
   */
  ingestInbound(request: InboundRequest<CreateTaskInput>): Promise<IngestOutcome>;
  /**
   * Cancels a task: a queued one at once, a running one through its job's signal (it ends
   * canceled when its handler stops). Finished tasks, and tasks whose video is being sent, are left as they are.
   */
  cancelTask(taskId: string, options?: CancelTaskOptions): Promise<CancelTaskResult>;
  /** Runs a failed or canceled task again (the dashboard's `r`, POST /api/tasks/:id/retry); a made video is only re-sent. */
  retryTask(taskId: string): Promise<Task>;
  /** Runs a stored task in this process, outside the queue (what `vidbot generate` does). */
  runTask(taskId: string, options?: RunTaskOptions): Promise<Task>;
  /** Applies a channel's delivery receipt to its message and task. */
  applyReceipt(receipt: Receipt): Promise<ReceiptOutcome>;
  /** Sends a message outside any task, recorded like the bot's (`vidbot send`, /test-send). */
  sendMessage(message: { to: string; body?: string; mediaUrl?: string; mediaFile?: string }, options?: SendMessageOptions): Promise<OutboundRecord>;
  /** Starts workers that take tasks from the queue, and the sweep that keeps tasks and jobs in step. */
  startWorkers(options?: StartWorkersOptions): QueueWorker;
  close(): Promise<void>;
}

export interface CreateVidbotOptions {
  /** Environment whose PATH is searched for ffmpeg; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * ffmpeg and ffprobe already found (locateFfmpeg's answer), used as they are instead of a lookup
   * of its own (which runs each binary, a few tenths of a second): for a process that makes several vidbots.
   */
  readonly ffmpeg?: FfmpegBinaries;
  /**
   * Ask providers to report by webhook to PUBLIC_BASE_URL (default off): only a process that
   * serves the webhook routes (`vidbot serve`) should, so others poll.
   */
  readonly providerWebhooks?: boolean;
  /**
   * Serving webhooks: the token Twilio-format requests are checked with. Without it the local
   * channel takes no webhooks (commands such as `vidbot send` need none).
   */
  readonly inbound?: InboundOptions;
  /** Channels to answer on besides the configured one (the browser simulator's). */
  readonly extraChannels?: readonly Channel[];
  /** Told about degraded service: a polish or an upload that fell back, a notice that could not be sent. */
  readonly onWarning?: (message: string) => void;
  /**
   * Wait this long for Redis (REDIS_URL) to answer at start instead of failing at once: a service
   * started beside its Redis (`serve`, `worker`) should ride out Redis coming up a moment later.
   */
  readonly waitForRedis?: RedisWait;
  /** Replace any adapter, e.g. in tests or to plug in your own provider. */
  readonly overrides?: Partial<Pick<Vidbot, 'store' | 'provider' | 'polisher' | 'compressor' | 'mediaHost' | 'limits'>> & {
    readonly queue?: JobQueue<TaskJob>;
    /** Replaces the configured channel (the default one). */
    readonly channel?: Channel;
  };
}

/** Picks and wires the adapters that the configuration asks for: the one factory of the library. */
export const createVidbot = async (config: Config, options: CreateVidbotOptions = {}): Promise<Vidbot> => {
  if (typeof config !== 'object' || config === null || typeof config.dataDir !== 'string') {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'createVidbot needs a configuration.', { hint: "Make one with loadConfig(): createVidbot(loadConfig().config)." });
  }
  assertConfig(config);
  const over = options.overrides ?? {};
  const paths: VidbotPaths = {
    dataDir: config.dataDir,
    database: join(config.dataDir, 'vidbot.db'),
    media: config.mediaDir ?? join(config.dataDir, 'media'),
    work: join(config.dataDir, 'work'),
  };
  try {
    await makeDirs(paths.media);
    await makeDirs(paths.work);
  } catch (error) {
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot create the data folder ${config.dataDir}: ${(error as Error).message}`, {
      cause: error,
      retryable: false,
      hint: 'Set VIDBOT_DATA_DIR to a folder you can write to.',
    });
  }
  const ffmpeg =
    options.ffmpeg ??
    (await locateFfmpeg({
      ...(config.ffmpegBin ? { ffmpegBin: config.ffmpegBin } : {}),
      ...(options.env ? { env: options.env } : {}),
    }));
  // Made before the bus exists (the provider is picked first), connected to it once it does.
  const circuits = createCircuitRelay();
  const provider =
    over.provider ??
    (await pickProvider(config, ffmpeg, options.providerWebhooks ?? false, { circuits, ...(options.onWarning ? { onWarning: options.onWarning } : {}) }));
  const models = allowedModels(config.allowedModels, provider);
  const given = { ...(over.store ? { store: over.store } : {}), ...(over.queue ? { queue: over.queue } : {}) };
  const opened: StoreAndQueue = await pickStoreAndQueue(config, paths.database, given, options.waitForRedis, options.onWarning);
  // Scratch folders of runs whose process was killed (their own `finally` never ran).
  await cleanDeadScratch(paths.work).catch(() => undefined);
  const { store, queue, activityBus } = opened;
  const disconnectCircuits = activityBus ? circuits.connect(activityBus) : () => {};
  let polisher: PromptPolisher;
  let mediaHost: MediaHost;
  try {
    polisher = over.polisher ?? (await pickPolisher(config, options.onWarning));
    mediaHost = over.mediaHost ?? (await pickMediaHost(config, paths.media, options.onWarning));
  } catch (error) {
    // What was opened is closed again, so a bad setting cannot leave a connection keeping the process alive.
    await opened.closeQueue();
    await opened.closeStore();
    throw error;
  }
  const compressor =
    over.compressor ?? createFfmpegCompressor({ ...ffmpeg, maxBytes: config.whatsappMaxBytes });
  const picked = pickChannels(config, options.inbound, options.onWarning);
  // A channel given replaces the configured default; the others stay.
  const ownChannels = [...(over.channel ? [over.channel, ...picked.slice(1)] : picked), ...(options.extraChannels ?? [])];
  // With other processes on the bus, the simulator's users may be a task of this one's workers: sent to their page through it.
  const relay = activityBus && !ownChannels.some((channel) => channel.name === 'simulator') ? [createSimulatorRelay(activityBus)] : [];
  const channels = createChannelSet(ownChannels, relay);
  const { prices, budget } = pickCost(config, store);
  const pipeline = createPipeline({
    polisher,
    provider,
    compressor,
    mediaHost,
    store,
    workDir: paths.work,
    prices,
    ...(budget ? { admitGeneration: () => budget.admit() } : {}),
  });
  const conversation = createConversation(store);
  const limitSettings = { perMinute: config.rateLimitPerMinute, perDay: config.dailyLimit };
  const limits =
    over.limits ??
    (opened.redis ? createRedisLimits({ redis: opened.redis, ...limitSettings }) : createMemoryLimits({ store, ...limitSettings }));
  const tasks = createTaskLifecycle({
    store,
    limits,
    queue,
    pipeline,
    channels,
    conversation,
    provider,
    maxBytes: config.whatsappMaxBytes,
    progressAfterMs: config.progressAfterSec * 1000,
    deliveryRetryMs: config.deliveryRetrySec * 1000,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });

  // A receipt lands on a web process, which may run no workers: it tells the other processes' viewers itself.
  if (activityBus) tasks.onLateDelivery((event) => activityBus.publish(lateDeliveryEvent(event, Date.now())));

  const newTask = newTaskFrom(config, provider.name);

  let closing: Promise<void> | undefined;
  /** A call after close() is the caller's order of shutdown gone wrong: said as such, not as the store's failure. */
  const open = (what: string): void => {
    if (closing === undefined) return;
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `This vidbot is closed: ${what} cannot run after close().`, {
      hint: 'Call close() last, once its work has ended; make another with createVidbot() to go on.',
    });
  };
  /** Runs of runTask, stopped by close(): their tasks end (run-task.ts) before the store closes. */
  const ownRuns = new AbortController();
  const running = new Set<Promise<unknown>>();
  const track = <T>(run: Promise<T>): Promise<T> => {
    running.add(run);
    void run.then(
      () => running.delete(run),
      () => running.delete(run),
    );
    return run;
  };
  /** Workers still open when the vidbot closes stop their sweeps and their heartbeats first. */
  const stopWorkers = new Set<() => void>();

  return {
    config,
    paths,
    ffmpeg,
    store,
    queue,
    ...(activityBus ? { activityBus } : {}),
    provider,
    models,
    polisher,
    compressor,
    mediaHost,
    channels,
    pipeline,
    prices,
    ...(budget ? { budget } : {}),
    tasks,
    limits,
    conversation,
    // async: a bad input rejects the promise, as every other failure does, instead of throwing at the call.
    createTask: async (input) => {
      open('createTask');
      return tasks.create(newTask(input));
    },
    submitTask: async (input) => {
      open('submitTask');
      return tasks.submit(newTask(input));
    },
    isCached: async (input) => {
      open('isCached');
      const { prompt, options: { provider: _provider, ...options } } = newTask(input);
      return pipeline.isCached({ ...options, prompt });
    },
    ingestInbound: (request) =>
      tasks.ingest({
        ...request,
        decide: () => {
          const { task, answer } = request.decide();
          return task === undefined ? { answer } : { task: newTask(task), answer };
        },
      }),
    cancelTask: async (taskId, cancelOptions) => {
      open('cancelTask');
      return tasks.cancel(taskId, cancelOptions);
    },
    retryTask: async (taskId) => {
      open('retryTask');
      return tasks.retry(taskId);
    },
    runTask: async (taskId, runOptions = {}) => {
      open('runTask');
      const signal = runOptions.signal ? AbortSignal.any([runOptions.signal, ownRuns.signal]) : ownRuns.signal;
      return track(tasks.run(taskId, { ...runOptions, signal }));
    },
    applyReceipt: (receipt) => tasks.applyReceipt(receipt),
    sendMessage: async (message, sendOptions) => {
      open('sendMessage');
      return tasks.send(message, sendOptions);
    },
    startWorkers(workerOptions = {}) {
      open('startWorkers');
      const { worker, stop } = startTaskWorkers(
        { queue, tasks, defaultConcurrency: config.workerCount, track, ...(activityBus ? { activityBus } : {}), ...(options.onWarning ? { onWarning: options.onWarning } : {}) },
        workerOptions,
      );
      stopWorkers.add(stop);
      return worker;
    },
    close() {
      // A second call, while the first is under way too, resolves once everything is closed.
      closing ??= (async () => {
        for (const stop of stopWorkers) stop();
        disconnectCircuits();
        ownRuns.abort(vidbotError('VIDBOT_CANCELED', 'vidbot was closed while the task ran.'));
        await opened.closeQueue();
        // Released jobs and stopped runs were aborted, not awaited: let them record the task's state first.
        await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
        await opened.closeStore();
      })();
      return closing;
    },
  };
};
