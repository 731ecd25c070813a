/**
 * The delivery as the run's last stage: the made video sent (deliver.ts), told as a stage like the
 * others, under a signal a user's cancel no longer stops.
 */
import { abortKindOf } from '../errors.ts';
import type { PipelineEvent } from '../pipeline/events.ts';
import type { Task } from '../store/port.ts';
import { deliverResult } from './deliver.ts';
import type { LifecycleDeps } from './deps.ts';
import { type Typing, createTyping } from './typing.ts';

/** What the stage takes of a run's options (RunTaskOptions). */
export interface DeliverStageOptions {
  readonly signal?: AbortSignal;
  readonly stopSignal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
}

/**
 * The job's signal, but deaf to a user's cancel: once the video is made it goes out (a cancel that
 * lands now cut a send in flight, which may have reached the user all the same, and left the task
 * open). A shutdown or a lost lease still stops the delivery: the job runs it again. Queues give
 * that signal themselves (stopSignal), which also fires for a shutdown after a cancel; this is for
 * a caller's own signal.
 */
const deafToCancel = (signal: AbortSignal | undefined): AbortSignal | undefined => {
  if (signal === undefined) return undefined;
  const controller = new AbortController();
  const follow = (): void => {
    if (abortKindOf(signal) !== 'cancel') controller.abort(signal.reason);
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return controller.signal;
};

/** The delivery as the pipeline's last stage, so dashboards and progress bars show it like the others. */
export const delivered = async (deps: LifecycleDeps, task: Task, runOptions: DeliverStageOptions, typing: Typing = createTyping(deps, task)): Promise<Task> => {
  const signal = runOptions.stopSignal ?? deafToCancel(runOptions.signal);
  const options: DeliverStageOptions = { ...runOptions, ...(signal ? { signal } : {}) };
  const started = performance.now();
  options.onEvent?.({ type: 'stage:start', stage: 'deliver' });
  // The video is about to go out (unless a rerun finds it went already): the user sees a reply coming.
  if (task.delivery !== undefined && task.delivery.messageId === undefined) await typing.show(options.signal);
  const after = await deliverResult(deps, task, options.signal);
  // The local channel carries nothing anywhere (no messenger set up): its "delivered" means kept here.
  const state =
    after.delivery?.channel === 'local' ? 'not sent (no messenger set up)'
    : after.delivery ? `${after.delivery.status}${after.delivery.fallback ? ` as ${after.delivery.fallback}` : ''}`
    : after.status;
  options.onEvent?.({ type: 'stage:done', stage: 'deliver', durationMs: performance.now() - started, note: after.status === 'failed' ? `not delivered (${state})` : state });
  return after;
};
