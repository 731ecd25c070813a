/**
 * Reply buttons in the task lifecycle: which choices a message about a task offers (derived from
 * its kind and its task, so any process can tell what a "2" answers), and the follow-up that offers
 * another take or the other orientation once a result has reached the user.
 */
import type { Choice, ChoiceAction, TaskStatus } from '../domain.ts';
import { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES, isDeliveryFailure } from '../domain.ts';
import { toVidbotError } from '../errors.ts';
import type { OutboundRecord, Task } from '../store/port.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';
import { CHOICE_TITLES, CHOICES_MESSAGE } from './messages.ts';
import { outsideWindow, sendRecorded } from './outbound.ts';
import { type UserReason, userReasonFor } from './user-reasons.ts';

/**
 * Kinds of messages that offer choices: the follow-up after a video, a failure notice, a video that
 * could not be delivered, and the /model list (bot/models.ts).
 */
export const OFFER_KINDS: readonly string[] = ['choices', 'failure', 'undelivered', 'models'];

/** Notices whose one choice is to try their task again: a failure, and a video made but not delivered. */
export const RETRY_OFFER_KINDS: readonly string[] = ['failure', 'undelivered'];

export const choiceOf = (id: ChoiceAction): Choice => ({ id, title: CHOICE_TITLES[id] });

/**
 * The choices a message of this kind offers about its task; none for other kinds. A failure offers
 * to try again only where that can help (`reason`, by default its task's): not when the words must
 * change (a model that turned the prompt down), nor once the day's budget is spent.
 */
export const choicesFor = (kind: string, task: Pick<Task, 'options' | 'errorCode'>, reason: UserReason = userReasonFor(task.errorCode)): Choice[] => {
  if (kind === 'choices') return [choiceOf('again'), choiceOf(task.options.orientation === 'landscape' ? 'portrait' : 'landscape')];
  // A video made but not delivered: trying again sends it again, and the tap itself opens WhatsApp's
  // 24-hour window that a late video may have missed.
  if (RETRY_OFFER_KINDS.includes(kind)) return reason.retry === false ? [] : [choiceOf('retry')];
  return [];
};

/**
 * Whether the result's message is where a follow-up may come after it: WhatsApp keeps no order
 * between messages, so the phone must have confirmed it, unless the channel keeps order itself.
 */
export const readyForFollowUp = (deps: LifecycleDeps, record: OutboundRecord): boolean => {
  if (record.status === 'delivered' || record.status === 'read') return true;
  return channelFor(deps, record.channel).ordered === true && record.messageId !== undefined && !isDeliveryFailure(record.status);
};

/**
 * Whether another version can be offered: for the sender's newest video only (a newer request they
 * canceled aside), once nothing else of theirs is coming (a burst of prompts would end in a stack of
 * offers, and the earlier videos' later receipts would add theirs after it), and not to a sender with
 * none left today (each button would only say so).
 */
const NOT_CANCELED: readonly TaskStatus[] = [...OPEN_TASK_STATUSES, ...FINAL_TASK_STATUSES].filter((status) => status !== 'canceled');

const offerable = async (deps: LifecycleDeps, taskId: string, from: string): Promise<boolean> => {
  const [newest] = await deps.store.listTasks({ from, status: NOT_CANCELED, limit: 1 });
  if (newest !== undefined && newest.taskId !== taskId) return false;
  if ((await deps.store.countTasks({ from, status: ['queued', 'processing', 'delivering'] })) > 0) return false;
  const quota = await deps.limits?.allowance(from, Date.now());
  return quota === undefined || quota.left > 0;
};

/** The record id of the offer of another version under a task's video: one per run of it. */
export const offerIdOf = (task: Pick<Task, 'jobId' | 'taskId'>): string => `${task.jobId ?? task.taskId}:choices`;

/**
 * Sends the follow-up with choices about a delivered task, once per run of it (`<jobId>:choices`).
 * Not outside WhatsApp's 24-hour window (free-form messages cannot go then) nor after a template.
 * Best effort: a failure is only logged, and a send a crash cut short is finished by the sweep.
 */
export const offerChoices = async (deps: LifecycleDeps, task: Task): Promise<void> => {
  const { delivery } = task;
  if (!task.from || task.status !== 'done' || delivery === undefined || delivery.fallback === 'template') return;
  const id = offerIdOf(task);
  try {
    if ((await deps.store.findOutbound({ id })) !== null) return;
    if (!(await offerable(deps, task.taskId, task.from))) return;
    const channel = channelFor(deps, delivery.channel);
    if (await outsideWindow(deps, channel, task.from)) return;
    const message = { to: task.from, body: CHOICES_MESSAGE, choices: choicesFor('choices', task) };
    const recorded = await deps.store.recordOutbound({
      id,
      kind: 'choices',
      to: task.from,
      body: message.body,
      taskId: task.taskId,
      channel: channel.name,
      status: 'pending',
    });
    // Two receipts (delivered, read) may race here: only the one that recorded it sends.
    if (!recorded.created) return;
    await sendRecorded(deps, { id, kind: 'choices', channel, message, taskId: task.taskId, sessionId: task.sessionId, untried: true });
  } catch (error) {
    deps.onWarning?.(`Could not offer ${task.from} another version of task ${task.taskId}: ${toVidbotError(error).message}`);
  }
};
