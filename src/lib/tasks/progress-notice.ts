/**
 * The one progress message of a long job: "🎬 Still working on "...", about 2 min left." Sent at most
 * once per task, whatever happens to its jobs (a rerun after a crash, a retry): its record's id is
 * the task's own, and a recorded send goes at most once per id.
 */
import { toVidbotError } from '../errors.ts';
import type { Store, Task } from '../store/port.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';
import { formatEta, recentRunSeconds, secondsLeft } from './eta.ts';
import { promptLabel } from './messages.ts';
import { sendRecorded } from './outbound.ts';

export const PROGRESS_KIND = 'progress';

export const progressNoticeId = (taskId: string): string => `${taskId}:${PROGRESS_KIND}`;

/** How long a running task has left: seconds, or why that cannot be told (past what jobs usually take, or no usual yet). */
export type TimeLeft = { readonly seconds: number } | { readonly beyond: 'usual' | 'nothing-to-go-by' };

/** What the user reads: which video, and how long is left when that can be told. */
export const progressMessage = (task: Pick<Task, 'prompt'>, left: TimeLeft): string => {
  const about = `🎬 Still working on ${promptLabel(task.prompt, 40)}`;
  if ('seconds' in left) return `${about}, ${formatEta(left.seconds)} left.`;
  // "Longer than usual" only where there is a usual to compare with.
  return left.beyond === 'usual'
    ? `${about}. It's taking a little longer than usual; I'll send it here as soon as it's ready.`
    : `${about}; I'll send it here as soon as it's ready.`;
};

/**
 * Time left for a running task: what recent jobs took (the ack's basis) minus what this one has
 * run, or, once it has run past that, what its own percent says.
 */
export const timeLeft = async (deps: { readonly store: Pick<Store, 'listTasks'> }, task: Task, percent: number, now = Date.now()): Promise<TimeLeft> => {
  const elapsed = Math.max(0, (now - (task.startedAt ?? now)) / 1000);
  const basis = await recentRunSeconds(deps.store);
  const seconds = secondsLeft(elapsed, basis, percent);
  if (seconds !== undefined) return { seconds };
  return { beyond: basis === undefined ? 'nothing-to-go-by' : 'usual' };
};

/** Sends the task's progress message unless the task has moved on, or one was sent already. Never throws. */
export const sendProgressNotice = async (deps: LifecycleDeps, taskId: string, percent: number, signal?: AbortSignal): Promise<void> => {
  try {
    const task = await deps.store.getTask(taskId);
    // Delivering, done, failed or canceled: the user is about to hear, or has heard, something truer.
    if (task === null || task.status !== 'processing' || task.cancelRequested || !task.from || signal?.aborted) return;
    const id = progressNoticeId(taskId);
    // Recorded before: sent, or left unsent by a crash; a late one would only confuse.
    if ((await deps.store.findOutbound({ id })) !== null) return;
    await sendRecorded(deps, {
      id,
      kind: PROGRESS_KIND,
      channel: channelFor(deps, task.channel),
      message: { to: task.from, body: progressMessage(task, await timeLeft(deps, task, percent)) },
      taskId,
      sessionId: task.sessionId,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) return;
    deps.onWarning?.(`Could not tell the user of task ${taskId} how it is going: ${toVidbotError(error).message}`);
  }
};
