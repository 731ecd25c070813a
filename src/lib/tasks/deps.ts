import type { Channel, ChannelSet } from '../channel/port.ts';
import type { Pipeline } from '../pipeline/create-pipeline.ts';
import type { SenderLimits } from '../limits/port.ts';
import type { JobQueue } from '../queue/port.ts';
import type { Store, Task } from '../store/port.ts';
import { generationBegan } from '../store/records.ts';
import type { VideoProvider } from '../video-provider/port.ts';
import type { Conversation } from './conversation.ts';
import type { OutboundDeps } from './outbound.ts';

/** What a task's queue job carries. */
export interface TaskJob {
  readonly taskId: string;
}

/** What the task lifecycle works with; createVidbot wires it. */
export interface LifecycleDeps extends OutboundDeps {
  readonly store: Store;
  readonly queue: JobQueue<TaskJob>;
  readonly pipeline: Pipeline;
  readonly channels: ChannelSet;
  readonly conversation: Conversation;
  readonly provider: Pick<VideoProvider, 'name' | 'cancelRemoteJob'>;
  readonly maxBytes?: number;
  /**
   * The senders' allowances: a failed task's video is given back, and counted again when the task is
   * retried; no offer of another version is made to a sender with none left today.
   */
  readonly limits?: Pick<SenderLimits, 'refund' | 'recount' | 'allowance'>;
  /** After a user has waited this long for a video, tell them once how long is left; 0 never (default 60 s). */
  readonly progressAfterMs?: number;
  /** How long a made video keeps being sent again while its channel cannot be reached (default 0: the job's attempts only). */
  readonly deliveryRetryMs?: number;
  /** Told about what went wrong without failing anything (a notice that could not be sent). */
  readonly onWarning?: (message: string) => void;
  /** Told when a receipt decides a delivery after its job ended (set by createTaskLifecycle for its listeners). */
  readonly onLateDelivery?: (event: LateDelivery) => void;
}

/**
 * A delivery decided after its job ended, which the queue's events never tell: a receipt failed a
 * video the job had handed over, or said one given up on arrived after all.
 */
export interface LateDelivery {
  readonly taskId: string;
  readonly jobId: string;
  readonly arrived: boolean;
  /** Why it did not arrive. */
  readonly reason?: string;
}

/**
 * The channel a task came through (the default for tasks from before channels had names). One this
 * process lacks is an error, never another channel: a simulated number must not get a real message.
 */
export const channelFor = (deps: Pick<LifecycleDeps, 'channels'>, name: string | undefined): Channel => deps.channels.get(name);

/** A failed task gives its video back to its sender's daily allowance: a failure should not cost the user a video. */
export const giveBackAllowance = async (deps: Pick<LifecycleDeps, 'limits' | 'onWarning'>, task: Pick<Task, 'from' | 'messageId'>): Promise<void> => {
  if (deps.limits === undefined || !task.from || task.messageId === undefined) return;
  await deps.limits.refund(task.from, task.messageId).catch((error: unknown) => deps.onWarning?.(`Giving back ${task.from}'s video failed: ${(error as Error).message}`));
};

/**
 * A canceled task gives its video back when nothing was paid for (see generationBegan). One canceled
 * once its generation began still counts (the provider may bill for it), or a sender could start and
 * stop videos without end.
 */
export const giveBackIfUnmade = async (deps: Pick<LifecycleDeps, 'limits' | 'onWarning'>, task: Task): Promise<void> => {
  if (!generationBegan(task)) await giveBackAllowance(deps, task);
};

/** A retried task counts its video again: its failure gave it back. Never refuses an operator's retry. */
export const countAllowanceAgain = async (deps: Pick<LifecycleDeps, 'limits' | 'onWarning'>, task: Pick<Task, 'from' | 'messageId'>): Promise<void> => {
  if (deps.limits === undefined || !task.from || task.messageId === undefined) return;
  await deps.limits
    .recount(task.from, task.messageId, Date.now())
    .catch((error: unknown) => deps.onWarning?.(`Counting ${task.from}'s retried video failed: ${(error as Error).message}`));
};
