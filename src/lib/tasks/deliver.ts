/**
 * Delivering a task's result: the message that carries the video, and when the channel refuses it
 * (now, or later in a receipt) the one fallback that can still reach the user: a text with the link
 * for a media refusal, the approved template outside the 24-hour window. Refusals no text can fix
 * (a bad recipient or sender) fail the task at once; its video is kept for a retry.
 */
import { isDeliveryFailure, type RefusalKind } from '../domain.ts';
import { isVidbotError, toVidbotError } from '../errors.ts';
import type { Channel } from '../channel/port.ts';
import type { OutboundRecord, Task } from '../store/port.ts';
import { fallbackFor, withFallback } from './delivery.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';
import { move, mustMove } from './machine.ts';
import { linkMessage, resultMessage } from './messages.ts';
import { sendRecorded } from './outbound.ts';
import { syncDelivery } from './receipts.ts';
import { FAILURE_NOTICE_KINDS, giveUp } from './settle.ts';

type Plan = { kind: string; message: { body: string; mediaUrl?: string; mediaFile?: string }; template: boolean };

const planOf = (task: Task, afterAll: boolean): Plan => {
  switch (task.delivery?.fallback) {
    case 'link':
      return { kind: 'link', message: linkMessage(task, { afterAll }), template: false };
    case 'template':
      return { kind: 'template', message: resultMessage(task, { afterAll }), template: true };
    default:
      return { kind: 'result', message: resultMessage(task, { afterAll }), template: false };
  }
};

/** Whether the user was told this task failed (an earlier run's notice): the video then says it worked this time. */
const toldItFailed = async (deps: LifecycleDeps, taskId: string): Promise<boolean> => {
  // Not the offer of another version that followed the video the first time (it may have failed later, untold).
  for (const kind of FAILURE_NOTICE_KINDS) {
    const notice = await deps.store.findOutbound({ taskId, kind });
    if (notice !== null && !isDeliveryFailure(notice.status)) return true;
  }
  return false;
};

export const kindOf = (channel: Channel, code: string | undefined): RefusalKind =>
  code === undefined ? 'other' : (channel.refusalKind?.(code) ?? 'other');

/**
 * Sends the task's current delivery message and moves the task on: done once the channel took it,
 * a fallback after a refusal that one can fix, failed otherwise. Throws the channel's retryable
 * errors (the task stays `delivering`, and the job's next attempt reconciles before sending again).
 */
export const deliverResult = async (deps: LifecycleDeps, task: Task, signal?: AbortSignal): Promise<Task> => {
  const delivery = task.delivery;
  if (delivery === undefined) return mustMove(deps.store, task.taskId, 'accepted');
  const channel = channelFor(deps, delivery.channel);
  if (task.videoUrl === undefined && channel.mediaByPublicUrl) {
    const reason = `The video has no public URL, so ${channel.name} cannot fetch it: set PUBLIC_BASE_URL (or CLOUDINARY_URL), then retry the task.`;
    deps.onWarning?.(`Task ${task.taskId}: ${reason}`);
    return giveUp(deps, task, reason, 'VIDBOT_CONFIG_INVALID', undefined, true);
  }
  const plan = planOf(task, await toldItFailed(deps, task.taskId));
  let record: OutboundRecord;
  try {
    record = await sendRecorded(deps, {
      id: delivery.outboundId,
      kind: plan.kind,
      channel,
      message: { to: task.from, ...plan.message },
      taskId: task.taskId,
      sessionId: task.sessionId,
      template: plan.template,
      mayWaitForReceipt: true,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (isVidbotError(error, 'VIDBOT_DELIVERY_REFUSED')) {
      const code = typeof error.details.channelCode === 'string' ? error.details.channelCode : undefined;
      const kind = (error.details.refusal as RefusalKind | undefined) ?? kindOf(channel, code);
      return refused(deps, task, kind, code, error.message, signal);
    }
    if (isVidbotError(error, 'VIDBOT_MESSENGER_AUTH')) return giveUp(deps, task, toVidbotError(error).message, error.code, undefined, false);
    throw error;
  }
  if (isDeliveryFailure(record.status)) {
    // Refused before (a rerun), or a receipt came in before the send's own answer.
    return refused(deps, task, kindOf(channel, record.errorCode), record.errorCode, `The channel reported the message ${record.status}.`, signal);
  }
  await move(deps.store, task.taskId, 'accepted', {
    delivery: { ...delivery, status: record.status, ...(record.messageId ? { messageId: record.messageId } : {}), updatedAt: Date.now() },
  });
  // A receipt that landed while this worker was still moving the task is acted on now.
  return (await syncDelivery(deps, task.taskId)) ?? task;
};

const refused = async (
  deps: LifecycleDeps,
  task: Task,
  kind: RefusalKind,
  code: string | undefined,
  reason: string,
  signal: AbortSignal | undefined,
): Promise<Task> => {
  const fallback = fallbackFor(task, kind, channelFor(deps, task.delivery?.channel));
  if (fallback !== undefined) {
    const switched = await deps.store.transitionTask(task.taskId, ['delivering'], { delivery: withFallback(task, fallback) });
    if (switched !== null) return deliverResult(deps, switched, signal);
  }
  // A text can still reach a user whose video could not (media, unknown); not a blocked one.
  return giveUp(deps, task, reason, 'VIDBOT_DELIVERY_REFUSED', code, kind === 'media' || kind === 'other');
};

