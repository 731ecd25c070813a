/**
 * Keeping the task and its job in step, whatever happened between them: a task whose job was never
 * added (a crash between the two writes on Redis) gets it; a job the queue gave up on (its worker
 * died on every attempt) ends its task and tells the user once. The queue's own 'failed' events
 * catch most of these at once; the sweep catches what a crash kept from those events.
 */
import { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '../domain.ts';
import type { Task } from '../store/port.ts';
import { choicesFor } from './choices.ts';
import { OUT_OF_REACH, endOfDeliveryJob } from './delivery-retry.ts';
import { type LifecycleDeps, giveBackAllowance } from './deps.ts';
import { move, nextJobId } from './machine.ts';
import { failureMessage, userReason } from './messages.ts';
import { FAILURE_NOTICE_KINDS, NOTICE_KINDS, prepareNotice } from './settle.ts';
import { advanceRecord, sendRecorded } from './outbound.ts';
import { REPLY_KIND } from './replies.ts';
import { toVidbotError, vidbotError } from '../errors.ts';
import { RETAIN_COMPLETED_MS } from '../queue/retention.ts';

export interface SweepOptions {
  /** Only tasks unchanged for this long (default 60 s): younger ones may still be between two writes. */
  readonly olderThanMs?: number;
  /** Tasks looked at per sweep, least recently changed first (default 100). */
  readonly limit?: number;
  /** Receipts kept this long for a message no record came to hold are forgotten (default a day). */
  readonly keptReceiptsMs?: number;
}

export interface SweepResult {
  /** Tasks whose job was missing and was added. */
  readonly requeued: number;
  /** Tasks ended because the queue gave up on their job. */
  readonly abandoned: number;
  /** Notices a crash kept from being sent, sent now (or found sent). */
  readonly noticesSent: number;
  /** Receipts forgotten: a record takes its early receipts within seconds, so these were for messages not ours. */
  readonly receiptsForgotten: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RECEIPTS_A_BATCH = 1000;

/**
 * The queue gave up on a job (its worker died on every attempt, or it failed outside the handler):
 * its task fails, keeping a made video for a retry, and the user is told once.
 */
export const abandon = async (deps: LifecycleDeps, task: Task, reason: string): Promise<Task | null> => {
  const error = vidbotError('VIDBOT_JOB_ABANDONED', reason);
  const told = userReason(error);
  const notice = await prepareNotice(deps, task, 'failure', failureMessage(told), told);
  const failed = await move(deps.store, task.taskId, 'fail', { error: reason, errorCode: error.code });
  await (failed === null ? notice?.drop() : notice?.send());
  if (failed !== null) await giveBackAllowance(deps, failed);
  return failed;
};

/** Runs an open task again under a new job; false when it moved on meanwhile. */
const rerun = async (deps: LifecycleDeps, task: Task): Promise<boolean> => {
  const jobId = nextJobId(task);
  if ((await deps.store.transitionTask(task.taskId, [task.status], { jobId })) === null) return false;
  await deps.queue.add({ taskId: task.taskId }, { jobId, group: task.sessionId });
  return true;
};

export const sweep = async (deps: LifecycleDeps, options: SweepOptions = {}): Promise<SweepResult> => {
  const tasks = await deps.store.listTasks({
    status: OPEN_TASK_STATUSES,
    updatedBefore: Date.now() - (options.olderThanMs ?? 60_000),
    oldestFirst: true,
    limit: options.limit ?? 100,
  });
  let requeued = 0;
  let abandoned = 0;
  const count = (outcome: { readonly requeued?: boolean; readonly abandoned?: boolean } | undefined): void => {
    if (outcome?.requeued) requeued += 1;
    if (outcome?.abandoned) abandoned += 1;
  };
  for (const task of tasks) {
    // Tasks without a job are run by their creator (`vidbot generate`), not by the queue.
    if (task.jobId === undefined) continue;
    // One task that cannot be mended (a store error, a broken channel) must not keep the sweep
    // from the others, nor from the notices after them: it is tried again at the next sweep.
    try {
      count(await sweepTask(deps, task, task.jobId));
    } catch (error) {
      deps.onWarning?.(`The sweep could not settle task ${task.taskId}: ${toVidbotError(error).message}`);
    }
  }
  const noticesSent = await finishNotices(deps, options);
  const receiptsForgotten = await forgetOldReceipts(deps, Date.now() - (options.keptReceiptsMs ?? DAY_MS));
  return { requeued, abandoned, noticesSent, receiptsForgotten };
};

/** What the sweep does for one open task, by its job's state. */
const sweepTask = async (deps: LifecycleDeps, task: Task, jobId: string): Promise<{ requeued?: boolean; abandoned?: boolean } | undefined> => {
  const job = await deps.queue.get(jobId);
  if (job === null && task.updatedAt < Date.now() - RETAIN_COMPLETED_MS) {
    // Missing for longer than a finished job is kept: most likely it ran and was forgotten (a job lost
    // before it ran is added back by the first sweep, a minute on). Running it again could charge for
    // a second video; the user is told instead.
    return { abandoned: (await abandon(deps, task, 'Its job ended long ago and the queue no longer knows how.')) !== null };
  }
  if (job === null) return { requeued: (await deps.queue.add({ taskId: task.taskId }, { jobId, group: task.sessionId })).created };
  if (job.state === 'failed' && task.status === 'delivering' && job.errorCode === OUT_OF_REACH) {
    // A made video its channel could not take: another round later, or undelivered (delivery-retry.ts).
    const ended = await endOfDeliveryJob(deps, task.taskId, job.id, job.error ?? 'The channel could not be reached.');
    return ended === null ? undefined : ended.status === 'delivering' ? { requeued: true } : { abandoned: true };
  }
  if (job.state === 'canceled' && task.status === 'delivering') {
    // A cancel that came once the video was made (the delivery does not stop for it), and the
    // delivery then failed where the job would have tried again: it goes on under a new job.
    return { requeued: await rerun(deps, task) };
  }
  if (job.state === 'failed' || job.state === 'canceled') {
    const reason = job.state === 'canceled' ? 'Its job was canceled while the task was still open.' : (job.error ?? 'The queue gave up on its job.');
    return { abandoned: (await abandon(deps, task, reason)) !== null };
  }
  // The job ended but left the task open (a crash between the two): run it again under a new job.
  if (job.state === 'completed') return { requeued: await rerun(deps, task) };
  return undefined;
};

/** In batches, each its own short write, until none are left (a store that kept them for months before). */
const forgetOldReceipts = async (deps: LifecycleDeps, before: number): Promise<number> => {
  let forgotten = 0;
  for (;;) {
    const gone = await deps.store.forgetKeptReceipts(before, RECEIPTS_A_BATCH);
    forgotten += gone;
    if (gone < RECEIPTS_A_BATCH) return forgotten;
  }
};

/** Notices and replies recorded but never answered by the channel: the process died between the two, or the channel was down. */
const finishNotices = async (deps: LifecycleDeps, options: SweepOptions): Promise<number> => {
  const pending = await deps.store.listOutbound({
    status: 'pending',
    updatedBefore: Date.now() - (options.olderThanMs ?? 60_000),
    limit: options.limit ?? 100,
  });
  let sent = 0;
  for (const record of pending) {
    if (!(NOTICE_KINDS.includes(record.kind) || record.kind === REPLY_KIND) || record.body === undefined) continue;
    const task = record.taskId === undefined ? null : await deps.store.getTask(record.taskId);
    // An answer from before its task ended ("generating your video...") is news no more: the task's
    // own notice (its video, or why not) says what happened.
    // So is anything a day old (the channel was out of reach all that time): WhatsApp's window has closed on it.
    // So is word of a failure once the task got its video after all (a retry): "Sorry, I couldn't" would follow "It worked".
    // And word of a cancel once the task runs again, or of its running again once its video is made.
    const stale =
      (record.kind === REPLY_KIND && task?.finishedAt !== undefined && record.createdAt <= task.finishedAt) ||
      (FAILURE_NOTICE_KINDS.includes(record.kind) && task?.status === 'done') ||
      (record.kind === 'canceled' && task !== null && task.status !== 'canceled') ||
      (record.kind === 'resumed' && task !== null && (FINAL_TASK_STATUSES.includes(task.status) || task.status === 'delivering' || task.videoId !== undefined));
    if (stale || record.createdAt < Date.now() - DAY_MS) {
      await advanceRecord(deps.store, record.id, { status: 'failed', errorCode: 'not-sent' });
      continue;
    }
    // Left for the sweep of a process that has its channel (a split deployment's other side).
    const channel = deps.channels.find(record.channel);
    if (channel === undefined) continue;
    const choices = task === null ? [] : choicesFor(record.kind, task);
    try {
      await sendRecorded(deps, {
        id: record.id,
        kind: record.kind,
        channel,
        message: { to: record.to, body: record.body, ...(choices.length > 0 ? { choices } : {}) },
        ...(record.taskId === undefined ? {} : { taskId: record.taskId }),
        sessionId: task?.sessionId ?? record.to,
      });
      sent += 1;
    } catch (error) {
      // Still pending (unless refused): the next sweep tries again; the others are not held back by this one.
      deps.onWarning?.(`Could not send the ${record.kind} ${record.id} to ${record.to}: ${toVidbotError(error).message}`);
    }
  }
  return sent;
};
