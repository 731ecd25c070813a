/**
 * Delivery receipts: each one lands on its message's record (forward only), and when that message
 * carries a task's result, on the task. A late refusal moves a done task on: the one fallback that
 * can still reach the user is queued as a job, or the task fails with its video kept. Once the
 * result has arrived, the follow-up with choices goes out.
 */
import { isDeliveryFailure, type RefusalKind, type TaskDelivery } from '../domain.ts';
import type { Receipt } from '../channel/port.ts';
import type { OutboundRecord, Task } from '../store/port.ts';
import { fallbackFor, withFallback } from './delivery.ts';
import { type LifecycleDeps, channelFor, countAllowanceAgain } from './deps.ts';
import { move, nextJobId } from './machine.ts';
import { offerChoices, readyForFollowUp } from './choices.ts';
import { advanceRecord } from './outbound.ts';
import { giveUp } from './settle.ts';

/** What a refusal's kind means, for the operator's log and `vidbot status` beside the channel's bare code. */
const REFUSAL_WORDS: Readonly<Record<Exclude<RefusalKind, 'other'>, string>> = {
  window: "outside WhatsApp's 24-hour window, and no approved template to send instead",
  media: 'the video could not be fetched or was not accepted',
  recipient: 'the number cannot receive it (not on WhatsApp, or it blocked the bot)',
  sender: "the bot's number may not send it",
};

/** What a channel says of a message that reached the user's phone (or its service, on its way there). */
const ARRIVED: readonly string[] = ['sent', 'delivered', 'read'];

export interface ReceiptOutcome {
  /** The receipt changed its message's record. */
  readonly applied: boolean;
  /** No record holds this message yet: the receipt is kept and applied when one does. */
  readonly kept: boolean;
  readonly record?: OutboundRecord;
  readonly task?: Task;
}

export const applyReceipt = async (deps: LifecycleDeps, receipt: Receipt): Promise<ReceiptOutcome> => {
  const { store } = deps;
  let record = receipt.reference === undefined ? null : await store.findOutbound({ id: receipt.reference });
  // A reference only counts for the message it was given to.
  if (record?.messageId !== undefined && record.messageId !== receipt.messageId) record = null;
  record ??= await store.findOutbound({ messageId: receipt.messageId });
  if (record === null) {
    await store.keepReceipt({
      messageId: receipt.messageId,
      status: receipt.status,
      receivedAt: Date.now(),
      ...(receipt.errorCode === undefined ? {} : { errorCode: receipt.errorCode }),
    });
    return { applied: false, kept: true };
  }
  const advanced = await advanceRecord(store, record.id, {
    status: receipt.status,
    messageId: receipt.messageId,
    ...(receipt.errorCode === undefined ? {} : { errorCode: receipt.errorCode }),
  });
  if (advanced === null) return { applied: false, kept: false, record };
  // A receipt the record already has is still brought to its task: the first time round, the
  // process may have died between the two, and the service repeats a receipt it saw go unconfirmed.
  const task = advanced.record.taskId === undefined ? undefined : await syncDelivery(deps, advanced.record.taskId);
  return { applied: advanced.changed, kept: false, record: advanced.record, ...(task ? { task } : {}) };
};

/**
 * Brings a task's delivery in step with the record of the message carrying its result. Called after
 * each receipt and after the worker's own `accepted` move, so whichever comes last acts on a failure.
 */
export const syncDelivery = async (deps: LifecycleDeps, taskId: string): Promise<Task | undefined> => {
  const { store } = deps;
  const task = await store.getTask(taskId);
  const delivery = task?.delivery;
  if (!task || delivery === undefined) return task ?? undefined;
  const record = await store.findOutbound({ id: delivery.outboundId });
  if (record === null) return task;
  const next: TaskDelivery = {
    ...delivery,
    status: record.status,
    ...(record.messageId ? { messageId: record.messageId } : {}),
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
    updatedAt: Date.now(),
  };
  // Given up on when the channel's answer was lost (it may have arrived; the user was not told it
  // did not): the channel now says it did, so the task reads done, its video counted again.
  if (task.status === 'failed' && record.messageId !== undefined && ARRIVED.includes(record.status)) {
    const arrived = await move(store, taskId, 'arrived', { delivery: next, error: undefined, errorCode: undefined });
    if (arrived !== null) {
      if (task.jobId !== undefined) deps.onLateDelivery?.({ taskId, jobId: task.jobId, arrived: true });
      await countAllowanceAgain(deps, task);
      if (readyForFollowUp(deps, record)) await offerChoices(deps, arrived);
      return arrived;
    }
  }
  // While delivering, the worker's own answer decides; it syncs again right after.
  if (task.status !== 'done' || !isDeliveryFailure(record.status)) {
    const unchanged = next.status === delivery.status && next.messageId === delivery.messageId;
    const synced = unchanged ? task : ((await store.transitionTask(taskId, [task.status], { delivery: next })) ?? task);
    // The result has arrived (or will, in order): offer another take or the other orientation.
    if (synced.status === 'done' && readyForFollowUp(deps, record)) await offerChoices(deps, synced);
    return synced;
  }
  const channel = channelFor(deps, record.channel);
  const kind = record.errorCode === undefined ? 'other' : (channel.refusalKind?.(record.errorCode) ?? 'other');
  const fallback = fallbackFor(task, kind, channel);
  if (fallback === undefined) {
    const code = record.errorCode ? ` (error ${record.errorCode}${kind === 'other' ? '' : `: ${REFUSAL_WORDS[kind]}`})` : '';
    const reason = `The channel reported the result ${record.status}${code}.`;
    const failed = await giveUp(deps, { ...task, delivery: next }, reason, 'VIDBOT_DELIVERY_REFUSED', record.errorCode, kind === 'media' || kind === 'other');
    if (failed.status === 'failed' && task.jobId !== undefined) deps.onLateDelivery?.({ taskId, jobId: task.jobId, arrived: false, reason });
    return failed;
  }
  const jobId = nextJobId(task);
  const following = await move(store, taskId, 'follow', { jobId, delivery: withFallback({ ...task, delivery: next }, fallback) });
  // Sent by a worker, like every message: the job retries it; the sweep re-adds a job that was lost.
  if (following !== null) await deps.queue.add({ taskId }, { jobId, group: task.sessionId });
  return following ?? (await store.getTask(taskId)) ?? task;
};
