import { join } from 'node:path';
import { lateDeliveryEvent } from './activity/events.ts';
import { startTaskWorkers } from './start-workers.ts';
import { createFfmpegCompressor } from './compressor/ffmpeg.ts';
import type { Config } from './config/settings.ts';
import { createMemoryLimits, createMemoryRepeatGuard, createRedisLimits, createRedisRepeatGuard } from './limits/index.ts';
import { vidbotError } from './errors.ts';
import { assertConfig } from './config/check.ts';
import { locateFfmpeg } from './ffmpeg/locate.ts';
import type { MediaHost } from './media-host/port.ts';
import { createChannelSet } from './channel/set.ts';
import { createSimulatorRelay } from './channel/simulator/relay.ts';
import { type StoreAndQueue, pickChannels, pickCost, pickMediaHost, pickPolisher, pickProvider, pickStoreAndQueue } from './pick-adapters.ts';
import { createPipeline } from './pipeline/create-pipeline.ts';
import { cleanDeadScratch } from './pipeline/scratch.ts';
import type { PromptPolisher } from './polisher/port.ts';
import { createConversation } from './tasks/conversation.ts';
import { newTaskFrom } from './tasks/new-task.ts';
import { createTaskLifecycle } from './tasks/lifecycle.ts';
import { allowedModels } from './video-provider/allowed.ts';
import { createCircuitRelay } from './video-provider/failover/board.ts';
import { makeDirs } from './files.ts';
import type { CreateVidbotOptions, Vidbot, VidbotPaths } from './vidbot-types.ts';

/** How long close() waits for aborted task runs to record their state before closing the store. */
const CLOSE_WAIT_MS = 5_000;

export type { CancelTaskOptions, CancelTaskResult, CreateTaskInput, CreateVidbotOptions, StartWorkersOptions, TaskJob, Vidbot, VidbotPaths } from './vidbot-types.ts';

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
  const repeats =
    over.repeats ??
    (opened.redis
      ? createRedisRepeatGuard({ redis: opened.redis, store, ...(options.onWarning ? { onWarning: options.onWarning } : {}) })
      : createMemoryRepeatGuard({ store }));
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
    repeats,
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
