import { basename } from 'node:path';
import { isAbortError, toVidbotError, vidbotError } from '../errors.ts';
import type { Messenger } from '../messenger/port.ts';
import type { PipelineEvent } from '../pipeline/events.ts';
import type { Pipeline, PipelineResult } from '../pipeline/create-pipeline.ts';
import type { Store, Task } from '../store/port.ts';
import { failureMessage, resultMessage, userReason } from './messages.ts';

export interface TaskRunnerDeps {
  readonly store: Store;
  readonly pipeline: Pipeline;
  /** Sends the result to the task's sender; tasks without a sender (CLI runs) deliver nothing. */
  readonly messenger?: Messenger;
  readonly maxBytes?: number;
}

export interface RunTaskOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** 1-based attempt and the total allowed; on the last attempt a retryable failure is final too. */
  readonly attempt?: number;
  readonly maxAttempts?: number;
}

/**
 * Runs one stored task to its end: pipeline, video record, delivery. Safe to run again after a
 * crash at any point: a recorded video is not generated twice, and a result is delivered once.
 */
export const runTask = async (deps: TaskRunnerDeps, taskId: string, options: RunTaskOptions = {}): Promise<Task> => {
  const { store } = deps;
  const task = await store.getTask(taskId);
  if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${taskId}.`);
  if (task.status === 'canceled' || task.status === 'failed') return task;
  if (task.cancelRequested) return finalize(store, taskId, { status: 'canceled', error: 'Canceled by the user.' });
  if (task.status === 'done' || task.videoId) return deliver(deps, await store.getTask(taskId) ?? task);

  await store.updateTask(taskId, { status: 'processing', attempts: task.attempts + 1, startedAt: Date.now() });
  let stageWrites: Promise<unknown> = Promise.resolve();
  const onEvent = (event: PipelineEvent) => {
    options.onEvent?.(event);
    if (event.type === 'stage:start') {
      // Writes are chained so a slow write cannot land after a later stage's.
      stageWrites = stageWrites.then(() => store.updateTask(taskId, { stage: event.stage })).catch(() => {});
    }
  };

  let result: PipelineResult;
  try {
    result = await deps.pipeline.run(
      {
        prompt: task.prompt,
        orientation: task.options.orientation,
        durationSec: task.options.durationSec,
        polish: task.options.polish,
        useCache: task.options.useCache,
        ...(task.options.model ? { model: task.options.model } : {}),
        ...(task.options.firstFrameImage ? { firstFrameImage: task.options.firstFrameImage } : {}),
        ...(task.options.inputs ? { inputs: task.options.inputs } : {}),
        ...(deps.maxBytes ? { maxBytes: deps.maxBytes } : {}),
      },
      {
        onEvent,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(task.remoteJobId ? { resumeRemoteJob: task.remoteJobId } : {}),
        onRemoteJob: async (remoteJobId) => {
          await store.updateTask(taskId, { remoteJobId });
        },
      },
    );
  } catch (caught) {
    await stageWrites;
    const error = toVidbotError(caught);
    if (isAbortError(caught)) {
      const latest = await store.getTask(taskId);
      // An abort without a cancel request is a shutdown: leave the task for the next attempt.
      if (!latest?.cancelRequested) {
        await store.updateTask(taskId, { status: 'queued' });
        throw error;
      }
      await finalize(store, taskId, { status: 'canceled', error: 'Canceled by the user.' });
      throw error;
    }
    const lastAttempt = (options.attempt ?? 1) >= (options.maxAttempts ?? 1);
    if (error.retryable && !lastAttempt) {
      await store.updateTask(taskId, { status: 'queued', error: error.message, errorCode: error.code });
      throw error;
    }
    const failed = await finalize(store, taskId, { status: 'failed', error: error.message, errorCode: error.code });
    await notifyFailure(deps, failed, userReason(error));
    throw error;
  }
  await stageWrites;

  const file = result.media.path ?? '';
  const { video } = await store.addVideo({
    taskId,
    filename: basename(file || `${result.media.id}.mp4`),
    path: file,
    prompt: task.prompt,
    sessionId: task.sid,
    from: task.from,
    mediaId: result.media.id,
    sizeBytes: result.video.sizeBytes,
    durationSec: result.video.durationSec,
    ...(result.media.url ? { cloudUrl: result.media.url } : {}),
    ...(result.video.video?.width ? { width: result.video.video.width } : {}),
    ...(result.video.video?.height ? { height: result.video.video.height } : {}),
  });
  const done = await finalize(store, taskId, {
    status: 'done',
    stage: 'deliver',
    videoId: video.videoId,
    mediaId: result.media.id,
    filePath: video.path,
    cacheHit: result.cacheHit,
    ...(video.cloudUrl ? { cloudUrl: video.cloudUrl } : {}),
    ...(result.polishedPrompt ? { polishedPrompt: result.polishedPrompt } : {}),
    ...(result.remoteJobId ? { remoteJobId: result.remoteJobId } : {}),
  });
  return deliver(deps, done);
};

const finalize = (store: Store, taskId: string, patch: Parameters<Store['updateTask']>[1]) =>
  store.updateTask(taskId, { finishedAt: Date.now(), ...patch });

const deliver = async (deps: TaskRunnerDeps, task: Task): Promise<Task> => {
  if (!deps.messenger || !task.from) return task;
  const existing = await deps.store.findOutbound({ taskId: task.taskId, kind: 'result' });
  if (existing) return task;
  const message = resultMessage(task);
  await deps.messenger.send({ to: task.from, taskId: task.taskId, kind: 'result', ...message });
  await deps.store.appendMessage(task.sid, { role: 'bot', text: message.body, meta: { taskId: task.taskId } });
  return task;
};

const notifyFailure = async (deps: TaskRunnerDeps, task: Task, reason: string): Promise<void> => {
  if (!deps.messenger || !task.from) return;
  const body = failureMessage(reason);
  // Not kind 'result': a task retried after this failure must still deliver its video.
  await deps.messenger.send({ to: task.from, taskId: task.taskId, kind: 'failure', body });
  await deps.store.appendMessage(task.sid, { role: 'bot', text: body, meta: { taskId: task.taskId } });
};
