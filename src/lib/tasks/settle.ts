/** Ending a task that cannot reach its user, and the notices told about tasks. */
import { toVidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';
import type { LifecycleDeps } from './deps.ts';
import { move } from './machine.ts';
import { undeliveredMessage } from './messages.ts';
import { sendRecorded } from './outbound.ts';

/** Fails the task with its video kept (a retry only sends it again), telling the user when a text can reach them. */
export const giveUp = async (
  deps: LifecycleDeps,
  task: Task,
  reason: string,
  errorCode: string,
  channelCode: string | undefined,
  tellUser: boolean,
): Promise<Task> => {
  const delivery = task.delivery;
  const failed = await move(deps.store, task.taskId, task.status === 'done' ? 'undelivered' : 'fail', {
    error: reason,
    errorCode,
    ...(delivery ? { delivery: { ...delivery, status: 'failed', ...(channelCode ? { errorCode: channelCode } : {}), updatedAt: Date.now() } } : {}),
  });
  if (failed === null) return (await deps.store.getTask(task.taskId)) ?? task;
  if (tellUser) await tell(deps, failed, 'undelivered', undeliveredMessage(failed));
  return failed;
};

/** A notice about a task, sent once per run of the task and kind; best effort (a failure is only logged). */
export const tell = async (deps: LifecycleDeps, task: Task, kind: string, body: string): Promise<void> => {
  if (!task.from) return;
  try {
    await sendRecorded(deps, {
      id: `${task.jobId ?? task.taskId}:${kind}`,
      kind,
      message: { to: task.from, body },
      taskId: task.taskId,
      sessionId: task.sid,
    });
  } catch (error) {
    deps.onWarning?.(`Could not tell ${task.from} about task ${task.taskId}: ${toVidbotError(error).message}`);
  }
};
