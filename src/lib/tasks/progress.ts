/**
 * Watching a task while its video is made: how far it has got (one percent over all the stages,
 * written to the task at most once a second, for /status and the simulator), the typing indicator
 * where a reply follows soon (a job recent ones say is quick, a cache hit), and the one progress
 * message once the user has waited long (VIDBOT_PROGRESS_AFTER_SEC).
 */
import type { PipelineStage } from '../domain.ts';
import { toVidbotError } from '../errors.ts';
import type { PipelineEvent } from '../pipeline/events.ts';
import type { Task } from '../store/port.ts';
import type { LifecycleDeps } from './deps.ts';
import { recentRunSeconds } from './eta.ts';
import { sendProgressNotice } from './progress-notice.ts';
import { QUICK_JOB_SEC, type Typing } from './typing.ts';

const DEFAULT_PROGRESS_AFTER_MS = 60_000;
const WRITE_EVERY_MS = 1_000;

/** Each stage's share of the whole, as [from, to] percent: generating is most of the wait. */
const SPANS: Readonly<Record<PipelineStage, readonly [number, number]>> = {
  polish: [0, 5],
  cache: [5, 5],
  generate: [5, 85],
  compress: [85, 95],
  publish: [95, 100],
  deliver: [100, 100],
};

/** The overall percent a pipeline event means; undefined for one that tells nothing new. */
export const overallPercent = (event: PipelineEvent): number | undefined => {
  if (event.type === 'made') return undefined;
  const [from, to] = SPANS[event.stage];
  switch (event.type) {
    case 'stage:start':
      return from;
    case 'stage:progress':
      return event.percent === undefined ? undefined : from + ((to - from) * Math.min(100, Math.max(0, event.percent))) / 100;
    case 'stage:done':
    case 'stage:skip':
      return to;
  }
};

export interface RunWatch {
  onEvent(event: PipelineEvent): void;
  /** Ends the watch (nothing is sent after it); resolves once its last write and sends are done. */
  stop(): Promise<void>;
}

/** When the user's wait began: when they asked, or, for a task run again under a new job (a retry), when that job began. */
const waitingSince = (task: Task): number =>
  task.jobId !== undefined && task.jobId !== task.taskId ? (task.startedAt ?? Date.now()) : task.createdAt;

export const watchRun = (deps: LifecycleDeps, task: Task, options: { typing: Typing; signal?: AbortSignal }): RunWatch => {
  const { store } = deps;
  const { typing, signal } = options;
  const { taskId } = task;
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  let stopped = false;

  // The percent only grows during a run; writes are chained so a slow one cannot land after a later one.
  let percent = 0;
  let written: number | undefined;
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let writeTimer: NodeJS.Timeout | undefined;
  let writes: Promise<unknown> = Promise.resolve();
  const write = () => {
    clearTimeout(writeTimer);
    writeTimer = undefined;
    if (percent === written) return;
    const value = percent;
    written = value;
    lastWriteAt = performance.now();
    writes = writes
      .then(() => store.updateTask(taskId, { progress: value }))
      .catch((error: unknown) => deps.onWarning?.(`Could not save the progress of task ${taskId}: ${toVidbotError(error).message}`));
  };
  const push = (value: number) => {
    const rounded = Math.floor(value);
    if (written !== undefined && rounded <= percent) return;
    percent = Math.max(percent, rounded);
    const wait = WRITE_EVERY_MS - (performance.now() - lastWriteAt);
    if (wait <= 0) write();
    else writeTimer ??= setTimeout(write, wait);
  };

  const afterMs = deps.progressAfterMs ?? DEFAULT_PROGRESS_AFTER_MS;
  // Once the video is made, what is left (compress, upload, send) takes seconds: "still working, under
  // a minute left" would arrive just before the video.
  let made = false;
  // Once the user has waited the threshold, and the job itself has run half of it: a job that waited
  // in line behind the user's others (its place and time were in the ack) and then runs quickly needs
  // no update arriving beside the video before it, and one that runs long has said how far it got.
  const noticeTimer =
    afterMs > 0 && task.from
      ? setTimeout(() => {
          if (!stopped && !made) track(sendProgressNotice(deps, taskId, percent, signal));
        }, Math.max(afterMs / 2, waitingSince(task) + afterMs - Date.now()))
      : undefined;

  // A job that recent ones say is quick: its video follows within the indicator's life.
  if (typing.possible) {
    track(
      recentRunSeconds(store)
        .then((basis) => (basis !== undefined && basis <= QUICK_JOB_SEC && !stopped ? typing.show(signal) : undefined))
        .catch(() => undefined),
    );
  }

  return {
    onEvent(event) {
      if (stopped) return;
      const value = overallPercent(event);
      if (value !== undefined) push(value);
      if ((event.type === 'stage:done' || event.type === 'stage:skip') && event.stage === 'generate') made = true;
      // The pipeline skips generating only when the cache has the video: the rest takes seconds.
      if (event.type === 'stage:skip' && event.stage === 'generate') track(typing.show(signal));
    },
    async stop() {
      stopped = true;
      clearTimeout(noticeTimer);
      write();
      await Promise.allSettled([...pending]);
      await writes;
    },
  };
};
