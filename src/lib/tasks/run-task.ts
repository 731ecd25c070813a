/**
 * Running a task: what a worker does with a job, and what `vidbot generate` does in-process. It
 * reads the task's state and carries it on from there, so a rerun after a crash at any point
 * finishes what is missing: a made video is not generated again, a sent message is not sent again.
 */
import { basename } from 'node:path';
import { abortedError, isAbortError, isTimeoutReason, toVidbotError, vidbotError } from '../errors.ts';
import type { PipelineEvent } from '../pipeline/events.ts';
import type { PipelineResult } from '../pipeline/create-pipeline.ts';
import { FINAL_TASK_STATUSES, type Task } from '../store/port.ts';
import { delivered } from './deliver-stage.ts';
import { roundsMayFollow } from './delivery-retry.ts';
import { assertTaskId } from './new-task.ts';
import { syncDelivery } from './receipts.ts';
import { firstDelivery } from './delivery.ts';
import { type LifecycleDeps, channelFor, giveBackAllowance, giveBackIfUnmade } from './deps.ts';
import { move, mustMove } from './machine.ts';
import { canceledMessage, failureMessage, userReason } from './messages.ts';
import { giveUp, prepareNotice } from './settle.ts';
import { watchRun } from './progress.ts';
import { createTyping } from './typing.ts';

export interface RunTaskOptions {
  readonly signal?: AbortSignal;
  /** Fires only when the run must stop whatever it is doing (shutdown), a cancel before it included: the delivery's signal. */
  readonly stopSignal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** 1-based attempt and the total allowed; on the last attempt a retryable failure is final too. */
  readonly attempt?: number;
  readonly maxAttempts?: number;
  /** The queue job running this; a job the task no longer names (a retry replaced it) does nothing. */
  readonly jobId?: string;
}

/** What the pipeline needs of a task's options: all but which provider made it (the pipeline has its own). */
const pipelineOptions = ({ options: { provider: _provider, ...options } }: Task) => options;

/**
 * Ends a running task its user canceled, and tells them it has stopped (they heard "Stopping..."
 * when they asked); it gives its video back when nothing was paid for yet.
 */
const canceled = async (deps: LifecycleDeps, taskId: string): Promise<Task | null> => {
  const task = await deps.store.getTask(taskId);
  const notice = task === null ? undefined : await prepareNotice(deps, task, 'canceled', canceledMessage(task));
  const ended = await move(deps.store, taskId, 'cancel', { error: 'Canceled by the user.' });
  if (ended === null) {
    await notice?.drop();
    return ended;
  }
  await giveBackIfUnmade(deps, ended);
  await notice?.send();
  return ended;
};

/** Runs a task to its end. Resolves once the task is final; throws when its job should be tried again. */
export const runTask = async (deps: LifecycleDeps, taskId: string, options: RunTaskOptions = {}): Promise<Task> => {
  const { store } = deps;
  assertTaskId(taskId);
  let task = await store.getTask(taskId);
  if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${taskId}.`);
  if (options.jobId !== undefined && task.jobId !== undefined && task.jobId !== options.jobId) return task;
  const lastAttempt = (options.attempt ?? 1) >= (options.maxAttempts ?? 1);
  // A job's run that finds its task ended (a cancel, the sweep) has nothing to do; a caller's own run
  // (the library's runTask) would otherwise resolve with no video and no word of why.
  if ((task.status === 'failed' || task.status === 'canceled') && options.jobId === undefined) {
    throw vidbotError('VIDBOT_CONFLICT', `Task ${taskId} is ${task.status}: a run does not start it again.`, {
      hint: 'Retry it first (vidbot.retryTask(id) puts it back in line), then run it.',
    });
  }
  if (!FINAL_TASK_STATUSES.includes(task.status) && deps.channels.find(task.channel) === undefined) return unanswerable(deps, task);
  try {
    switch (task.status) {
      // Run again after a crash that came between its delivery and what the channel said of it since.
      case 'done':
        return task.delivery === undefined ? task : ((await syncDelivery(deps, taskId)) ?? task);
      case 'failed':
      case 'canceled':
        return task;
      case 'delivering':
        return await delivered(deps, task, options);
      default:
        if (task.cancelRequested) return (await canceled(deps, taskId)) ?? task;
        if (task.videoId) {
          // Made before a crash: only the delivery is left.
          // A run all the same: counted as one, as a run that makes the video is.
          task = await mustMove(store, taskId, 'made', { attempts: task.attempts + 1, delivery: firstDelivery(task, channelFor(deps, task.channel)) });
          return await delivered(deps, task, options);
        }
        return await generate(deps, task, options);
    }
  } catch (caught) {
    const error = toVidbotError(caught);
    const latest = (await store.getTask(taskId)) ?? task;
    if (latest.status === 'delivering' && isAbortError(caught) && latest.jobId === undefined) {
      // A run outside the queue, stopped while its video went out: no job will send it, so it fails
      // (its video kept: a retry sends it), rather than stay delivering for good.
      await giveUp(deps, latest, error.message, error.code, undefined, false);
    } else if (latest.status === 'delivering' && !isAbortError(caught)) {
      // A refusal is final: the video stays for a retry; telling the user would be refused the same way.
      if (!error.retryable) await giveUp(deps, latest, error.message, error.code, undefined, false);
      // A channel out of reach: the job's attempts, then rounds of jobs (delivery-retry.ts) where they
      // may follow; else undelivered now, the user told unless the message may have reached them.
      else if (lastAttempt && !roundsMayFollow(deps, latest, error)) await giveUp(deps, latest, error.message, error.code, undefined, error.details.ambiguous !== true);
    }
    throw error;
  }
};

/**
 * A task that came through a channel this process does not have (a worker set up without it): it
 * fails for the operator to see, never answered on another channel, and its user cannot be told here.
 */
const unanswerable = async (deps: LifecycleDeps, task: Task): Promise<Task> => {
  const here = deps.channels.all.map((channel) => channel.name).join(', ');
  const reason = `It came through the ${task.channel ?? 'default'} channel, which this process does not have (it answers on ${here}): set that channel up where the workers run, then retry the task.`;
  deps.onWarning?.(`Task ${task.taskId}: ${reason}`);
  return giveUp(deps, task, reason, 'VIDBOT_CONFIG_INVALID', undefined, false);
};

const generate = async (deps: LifecycleDeps, queued: Task, options: RunTaskOptions): Promise<Task> => {
  const { store } = deps;
  const taskId = queued.taskId;
  // From processing too: a rerun after the worker died mid-run.
  const task = await move(store, taskId, 'start', { attempts: queued.attempts + 1, startedAt: Date.now() });
  if (task === null) return (await store.getTask(taskId)) ?? queued;
  const typing = createTyping(deps, task);
  const watch = watchRun(deps, task, { typing, ...(options.signal ? { signal: options.signal } : {}) });
  let stageWrites: Promise<unknown> = Promise.resolve();
  const onEvent = (event: PipelineEvent) => {
    options.onEvent?.(event);
    watch.onEvent(event);
    if (event.type === 'stage:start') {
      // Writes are chained so a slow write cannot land after a later stage's.
      stageWrites = stageWrites.then(() => store.updateTask(taskId, { stage: event.stage })).catch(() => {});
    }
  };

  if (task.options.provider !== deps.provider.name) {
    // Processes set up differently (a worker without the web side's key): the video is still made, by this one's.
    deps.onWarning?.(
      `Task ${task.taskId} was queued for ${task.options.provider} (by another process, or before the settings changed); this process makes videos with ${deps.provider.name}. Give every process the same VIDBOT_PROVIDER and keys.`,
    );
  }
  let result: PipelineResult;
  try {
    result = await deps.pipeline.run(
      { ...pipelineOptions(task), prompt: task.prompt, maxBytes: deps.maxBytes },
      {
        onEvent,
        jobKey: taskId,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(task.remoteJobId ? { resumeRemoteJob: task.remoteJobId } : {}),
        ...(task.remoteJobRequestedAt ? { remoteJobRequestedAt: task.remoteJobRequestedAt } : {}),
        // Tasks from before failover name no provider: theirs was the one they asked for.
        remoteProvider: task.remoteProvider ?? task.options.provider,
        onRemoteJobRequested: async (at, provider = deps.provider.name) => {
          await store.updateTask(taskId, { remoteJobRequestedAt: at, remoteProvider: provider });
        },
        onRemoteJob: async (remoteJobId, provider = deps.provider.name) => {
          await store.updateTask(taskId, { remoteJobId, remoteProvider: provider, remoteJobRequestedAt: undefined });
        },
      },
    );
  } catch (caught) {
    await watch.stop();
    await stageWrites;
    let error = toVidbotError(caught);
    if (isAbortError(caught)) {
      const latest = await store.getTask(taskId);
      // Run by its caller, outside the queue (runTask without a job): no job takes it again, so it
      // ends here, canceled, or failed when the caller's time ran out (it can be retried).
      const ownRun = latest !== null && latest.jobId === undefined;
      // From the signal: a provider's client may have turned its abort into a plain cancel.
      const timedOut = isTimeoutReason(options.signal?.reason);
      if (latest?.cancelRequested || (ownRun && !timedOut)) {
        await canceled(deps, taskId);
        throw error;
      }
      // An abort without a cancel request is a shutdown: the task waits for its job's next attempt.
      if (!ownRun) {
        await move(store, taskId, 'requeue');
        throw error;
      }
      // Its caller's time ran out: a failure, as VIDBOT_TIMEOUT whatever the client made of the abort.
      error = abortedError(options.signal, caught);
    }
    const lastAttempt = (options.attempt ?? 1) >= (options.maxAttempts ?? 1);
    if (error.retryable && !lastAttempt) {
      await move(store, taskId, 'requeue', { error: error.message, errorCode: error.code });
      throw error;
    }
    const reason = userReason(error);
    const notice = await prepareNotice(deps, task, 'failure', failureMessage(reason), reason);
    const failed = await move(store, taskId, 'fail', { error: error.message, errorCode: error.code });
    await (failed === null ? notice?.drop() : notice?.send());
    if (failed !== null) await giveBackAllowance(deps, failed);
    throw error;
  }
  await watch.stop();
  await stageWrites;

  const file = result.media.path ?? '';
  const { video } = await store.addVideo({
    taskId,
    filename: basename(file || `${result.media.id}.mp4`),
    path: file,
    prompt: task.prompt,
    sessionId: task.sessionId,
    from: task.from,
    mediaId: result.media.id,
    sizeBytes: result.video.sizeBytes,
    durationSec: result.video.durationSec,
    ...(result.media.url ? { videoUrl: result.media.url } : {}),
    ...(result.video.video?.width ? { width: result.video.video.width } : {}),
    ...(result.video.video?.height ? { height: result.video.video.height } : {}),
  });
  const generation = result.cacheHit
    ? undefined
    : {
        provider: result.provider,
        model: result.model,
        at: Date.now(),
        ...(result.runSec === undefined ? {} : { runSec: result.runSec }),
        ...(result.cost === undefined ? {} : { cost: result.cost }),
      };
  const made = {
    stage: 'deliver' as const,
    progress: 100,
    videoId: video.videoId,
    mediaId: result.media.id,
    filePath: video.path,
    cacheHit: result.cacheHit,
    error: undefined,
    errorCode: undefined,
    ...(video.videoUrl ? { videoUrl: video.videoUrl } : {}),
    ...(result.polishedPrompt ? { polishedPrompt: result.polishedPrompt } : {}),
    ...(result.remoteJobId ? { remoteJobId: result.remoteJobId } : {}),
    ...(generation ? { generation } : {}),
  };
  if (!task.from) return mustMove(store, taskId, 'kept', made);
  const delivering = await mustMove(store, taskId, 'made', { ...made, delivery: firstDelivery(task, channelFor(deps, task.channel)) });
  return delivered(deps, delivering, options, typing);
};
