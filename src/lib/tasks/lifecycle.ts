/**
 * The task lifecycle: the one owner of a task's state, from the prompt to the user's phone. Submit,
 * run, deliver, receipts, cancel, retry and "the queue gave up" are each a move of the state
 * machine (machine.ts); the queue only schedules, and every way a job ends lands on the task.
 */
import { randomUUID } from 'node:crypto';
import { timeOrderedId } from '../ids.ts';
import { FINAL_TASK_STATUSES } from '../domain.ts';
import { vidbotError } from '../errors.ts';
import type { Receipt } from '../channel/port.ts';
import type { InboundDecision, InboundUnit, IngestOutcome, NewTask, OutboundRecord, Task } from '../store/port.ts';
import { type LateDelivery, type LifecycleDeps, countAllowanceAgain, giveBackIfUnmade } from './deps.ts';
import { assertTaskId } from './new-task.ts';
import { move, nextJobId } from './machine.ts';
import { OUT_OF_REACH, endOfDeliveryJob } from './delivery-retry.ts';
import { advanceRecord, sendRecorded } from './outbound.ts';
import { type ReceiptOutcome, applyReceipt } from './receipts.ts';
import { type PreparedReply, type ReplyInput, prepareReply } from './replies.ts';
import { type RunTaskOptions, runTask } from './run-task.ts';
import { canceledMessage, resumedMessage } from './messages.ts';
import { prepareNotice, tell } from './settle.ts';
import { type SweepOptions, type SweepResult, abandon, sweep } from './sweep.ts';

export interface CancelTaskOptions {
  /**
   * The user asked for it and is answered by the caller (the bot's /cancel): no notice. Otherwise
   * (an operator's cancel, the API) a queued task's user is told it was canceled, as a running
   * one's is told once it stops, so nobody waits for a video that will not come.
   */
  readonly userTold?: boolean;
}

export interface CancelTaskResult {
  readonly outcome: 'canceled' | 'cancel-requested' | 'already-finished';
  readonly task: Task;
}

export interface SendMessageOptions {
  /** The channel to send on (default: the first configured). */
  readonly channel?: string;
  readonly kind?: string;
  /** Refuse free-form messages outside WhatsApp's 24-hour window (default true). */
  readonly checkWindow?: boolean;
  readonly sessionId?: string;
  readonly signal?: AbortSignal;
}

/** An inbound message to make durable: the store's unit, deciding on a task to submit (the lifecycle gives it its job). */
export interface InboundRequest<T = Omit<NewTask, 'jobId'>> extends Omit<InboundUnit, 'decide' | 'place'> {
  decide(): { readonly task?: T; readonly answer: InboundDecision['answer'] };
}

export interface TaskLifecycle {
  /** Stores a task with its job (one transaction with the embedded queue), to be run by the workers. */
  submit(task: Omit<NewTask, 'jobId'>): Promise<{ task: Task; created: boolean }>;
  /**
   * Makes an inbound message durable in one unit of the store (Store.ingest): a task it decides on is
   * submitted as `submit` does, and placed in line before the answer is written.
   */
  ingest(request: InboundRequest): Promise<IngestOutcome>;
  /** Stores a task its creator runs itself (`run`), outside the queue. */
  create(task: Omit<NewTask, 'jobId'>): Promise<{ task: Task; created: boolean }>;
  /** Runs a task to its end; the workers' job handler and `vidbot generate`. */
  run(taskId: string, options?: RunTaskOptions): Promise<Task>;
  cancel(taskId: string, options?: CancelTaskOptions): Promise<CancelTaskResult>;
  /** Runs a failed or canceled task again under a new job; with its video kept, it is only delivered again. */
  retry(taskId: string): Promise<Task>;
  applyReceipt(receipt: Receipt): Promise<ReceiptOutcome>;
  /** Tells each delivery a receipt decides after its job ended (the queue's events do not); returns the unsubscribe. */
  onLateDelivery(listener: (event: LateDelivery) => void): () => void;
  /** The queue gave up on a job: its task fails and its user is told once. */
  abandonJob(jobId: string, reason: string, errorCode?: string): Promise<Task | null>;
  sweep(options?: SweepOptions): Promise<SweepResult>;
  /** Sends a message outside any task (an operator's `vidbot send`, /test-send), recorded like the bot's. */
  send(message: { to: string; body?: string; mediaUrl?: string; mediaFile?: string }, options?: SendMessageOptions): Promise<OutboundRecord>;
  /** Records the bot's answer to an inbound message, to be sent once the webhook is acknowledged (tasks/replies.ts). */
  prepareReply(input: ReplyInput): Promise<PreparedReply | undefined>;
}

const notFound = (taskId: string) => vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${taskId}.`);

export const createTaskLifecycle = (given: LifecycleDeps): TaskLifecycle => {
  const lateListeners = new Set<(event: LateDelivery) => void>();
  const deps: LifecycleDeps = {
    ...given,
    onLateDelivery(event) {
      given.onLateDelivery?.(event);
      for (const listener of [...lateListeners]) {
        try {
          listener(event);
        } catch {
          // A viewer's mistake must not undo the receipt's work.
        }
      }
    },
  };
  const { store, queue } = deps;
  const read = async (taskId: string): Promise<Task> => {
    assertTaskId(taskId);
    const task = await store.getTask(taskId);
    if (!task) throw notFound(taskId);
    return task;
  };

  return {
    async submit(input) {
      const taskId = input.taskId ?? timeOrderedId();
      const result = await store.createTask({ ...input, taskId, jobId: taskId });
      const { task } = result;
      // Idempotent: the embedded queue added it in createTask's transaction; Redis gets it here, and
      // a crash between the two is mended by the sweep.
      if (task.jobId !== undefined && !FINAL_TASK_STATUSES.includes(task.status)) {
        await queue.add({ taskId: task.taskId }, { jobId: task.jobId, group: task.sessionId });
      }
      return result;
    },

    ingest: (request) =>
      store.ingest({
        ...request,
        decide: () => {
          const { task, answer } = request.decide();
          if (task === undefined) return { answer };
          const taskId = task.taskId ?? timeOrderedId();
          return { task: { ...task, taskId, jobId: taskId }, answer };
        },
        // Stores whose queue shares their transaction add the job themselves; this is for the others.
        place: async (task) => {
          if (task.jobId === undefined || FINAL_TASK_STATUSES.includes(task.status)) return null;
          return (await queue.place({ taskId: task.taskId }, { jobId: task.jobId, group: task.sessionId })).position;
        },
      }),

    create: (input) => store.createTask(input),

    run: (taskId, options) => runTask(deps, taskId, options),

    async cancel(taskId, options = {}) {
      const task = await read(taskId);
      if (FINAL_TASK_STATUSES.includes(task.status) || task.status === 'delivering') return { outcome: 'already-finished', task };
      // The task's flag first: a worker that claims the job from now on sees it and stops.
      await store.updateTask(taskId, { cancelRequested: true });
      const queued = task.jobId === undefined ? 'not-found' : await queue.cancel(task.jobId);
      const latest = await read(taskId);
      // Made meanwhile: its delivery does not stop for a cancel (run-task.ts), so the user hears it is on its way.
      if (FINAL_TASK_STATUSES.includes(latest.status) || latest.status === 'delivering') return { outcome: 'already-finished', task: latest };
      if (queued === 'cancel-requested') return { outcome: 'cancel-requested', task: latest };
      // Running outside the queue (`vidbot generate` in another process): the flag is all we can set.
      if (queued === 'not-found' && latest.status === 'processing') return { outcome: 'cancel-requested', task: latest };
      const notice = options.userTold ? undefined : await prepareNotice(deps, latest, 'canceled', canceledMessage(latest));
      const canceled = await move(store, taskId, 'cancel', { error: options.userTold ? 'Canceled by the user.' : 'Canceled.' });
      if (canceled === null) {
        await notice?.drop();
        return { outcome: 'already-finished', task: await read(taskId) };
      }
      await giveBackIfUnmade(deps, canceled);
      await notice?.send();
      // A released job may have left its prediction running: nobody will resume it now.
      if (canceled.remoteJobId) await deps.provider.cancelRemoteJob?.(canceled.remoteJobId, canceled.remoteProvider);
      return { outcome: 'canceled', task: canceled };
    },

    async retry(taskId) {
      const task = await read(taskId);
      const jobId = nextJobId(task);
      const queued = await move(store, taskId, 'retry', {
        jobId,
        attempts: 0,
        stage: undefined,
        progress: undefined,
        error: undefined,
        errorCode: undefined,
        startedAt: undefined,
        finishedAt: undefined,
        cancelRequested: false,
        // Made again: a new prediction, since resuming the one that failed would only fail again.
        ...(task.videoId ? {} : { remoteJobId: undefined, remoteJobRequestedAt: undefined, remoteProvider: undefined }),
      });
      if (queued === null) {
        // What to do instead, by where it stands: a done one's video went out; an open one is still on its way.
        const hint =
          task.status !== 'done'
            ? 'It is still on its way; it can be retried if it fails.'
            : task.from === ''
              ? 'Its video was made; for another take of it, ask for the prompt again.'
              : 'Its video was sent; for another take of it, ask for the prompt again.';
        throw vidbotError('VIDBOT_CONFLICT', `Task ${taskId} is ${task.status}; only failed or canceled tasks can be retried.`, { hint });
      }
      // Its failure or cancel gave the video back: made again, it counts again.
      await countAllowanceAgain(deps, task);
      // Its user was told it was canceled: a video out of the blue would be a surprise, so they hear
      // first (a failed one's video says "It worked this time" when it comes). Before its job, which
      // a cached video could finish in moments; a job missing after a crash here is the sweep's to add.
      if (task.status === 'canceled') await tell(deps, queued, 'resumed', resumedMessage(queued));
      // A new job, so the old one's history (attempts, failure) cannot hold the retry back.
      await queue.add({ taskId }, { jobId, group: task.sessionId });
      return queued;
    },

    applyReceipt: (receipt) => applyReceipt(deps, receipt),

    onLateDelivery(listener) {
      lateListeners.add(listener);
      return () => void lateListeners.delete(listener);
    },

    async abandonJob(jobId, reason, errorCode) {
      const job = await queue.get(jobId);
      const taskId = job?.data.taskId;
      if (taskId === undefined) return null;
      const task = await store.getTask(taskId);
      if (!task || task.jobId !== jobId || FINAL_TASK_STATUSES.includes(task.status)) return null;
      // A made video its channel could not take: another round later, or undelivered (delivery-retry.ts).
      if (task.status === 'delivering' && errorCode === OUT_OF_REACH) return endOfDeliveryJob(deps, taskId, jobId, reason);
      return abandon(deps, task, reason);
    },

    sweep: (options) => sweep(deps, options),

    async send(message, options = {}) {
      const id = `msg-${randomUUID()}`;
      try {
        return await sendRecorded(deps, {
          id,
          kind: options.kind ?? 'notice',
          channel: deps.channels.get(options.channel),
          message,
          ...(options.checkWindow === undefined ? {} : { checkWindow: options.checkWindow }),
          ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        // Nobody retries an operator's send: its record says it failed rather than stay pending.
        await advanceRecord(store, id, { status: 'failed' }).catch(() => null);
        throw error;
      }
    },

    prepareReply: (input) => prepareReply(deps, input),
  };
};
