/** Ending a task that cannot reach its user, and the notices told about tasks. */
import { toVidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';
import { choicesFor } from './choices.ts';
import type { UserReason } from './user-reasons.ts';
import { type LifecycleDeps, giveBackAllowance } from './deps.ts';
import { move } from './machine.ts';
import { undeliveredMessage } from './messages.ts';
import { advanceRecord, sendRecorded } from './outbound.ts';

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
  const notice = tellUser ? await prepareNotice(deps, task, 'undelivered', undeliveredMessage(task)) : undefined;
  const failed = await move(deps.store, task.taskId, task.status === 'done' ? 'undelivered' : 'fail', {
    error: reason,
    errorCode,
    ...(delivery ? { delivery: { ...delivery, status: 'failed', ...(channelCode ? { errorCode: channelCode } : {}), updatedAt: Date.now() } } : {}),
  });
  if (failed === null) {
    await notice?.drop();
    return (await deps.store.getTask(task.taskId)) ?? task;
  }
  await notice?.send();
  await giveBackAllowance(deps, failed);
  return failed;
};

/** Notices that told the user a task failed: its video, if it comes after all, says it worked this time. */
export const FAILURE_NOTICE_KINDS: readonly string[] = ['failure', 'undelivered'];

/** Kinds of messages the outbox sweep finishes sending: notices and follow-ups, whose task no job runs any more. */
export const NOTICE_KINDS: readonly string[] = [...FAILURE_NOTICE_KINDS, 'choices', 'canceled', 'resumed'];

/**
 * A notice about a task, once per run of the task and kind: recorded first (so a crash before it
 * is sent leaves a pending record that the outbox sweep sends), then sent by calling what this
 * returns, after the caller moved the task. Sending is best effort: a failure is only logged.
 */
export interface PreparedNotice {
  /** Sends it, once the task has moved. */
  send(): Promise<void>;
  /** The task did not move after all (another actor moved it first): the notice must never go. */
  drop(): Promise<void>;
}

export const prepareNotice = async (
  deps: LifecycleDeps,
  task: Task,
  kind: string,
  body: string,
  /** Why it failed, for a failure notice: it decides whether trying again is offered. */
  reason?: UserReason,
): Promise<PreparedNotice | undefined> => {
  if (!task.from) return undefined;
  const id = `${task.jobId ?? task.taskId}:${kind}`;
  // Its channel may not be set up in this process (a worker without Twilio's keys): the notice is
  // recorded all the same, for the sweep of a process that has it to send; the task moves on.
  const channel = deps.channels.find(task.channel);
  if (channel === undefined) deps.onWarning?.(`Task ${task.taskId}'s notice waits for a process with its channel: No channel "${task.channel}" is configured here.`);
  let untried: boolean;
  try {
    const recorded = await deps.store.recordOutbound({ id, kind, to: task.from, body, taskId: task.taskId, channel: channel?.name ?? task.channel ?? '', status: 'pending' });
    untried = recorded.created;
  } catch (error) {
    deps.onWarning?.(`Could not record a notice to ${task.from} about task ${task.taskId}: ${toVidbotError(error).message}`);
    return undefined;
  }
  // A failure notice offers to try again where that can help (tasks/choices.ts).
  const choices = choicesFor(kind, task, reason);
  const message = { to: task.from, body, ...(choices.length > 0 ? { choices } : {}) };
  const send = channel === undefined ? undefined : { id, kind, channel, message, taskId: task.taskId, sessionId: task.sessionId, untried };
  return {
    async send() {
      if (send === undefined) return;
      try {
        await sendRecorded(deps, send);
      } catch (error) {
        deps.onWarning?.(`Could not tell ${task.from} about task ${task.taskId}: ${toVidbotError(error).message}`);
      }
    },
    async drop() {
      if (untried) await advanceRecord(deps.store, id, { status: 'failed', errorCode: 'not-sent' }).catch(() => null);
    },
  };
};

/** Records and sends a notice about a task that has already moved. */
export const tell = async (deps: LifecycleDeps, task: Task, kind: string, body: string): Promise<void> => {
  await (await prepareNotice(deps, task, kind, body))?.send();
};
