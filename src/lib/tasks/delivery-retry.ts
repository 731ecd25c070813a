/**
 * A made video whose channel cannot be reached (Twilio or Meta down, the network gone) is sent again
 * in rounds, each a new job with the queue's own attempts, waiting longer before each: 15 s, 30 s,
 * 1 min... up to 5 min, for as long as VIDBOT_DELIVERY_RETRY_SEC allows. A blip no longer fails
 * the task; when the time is up, the task fails as undelivered and the user is told (that notice
 * waits for the channel too, in the sweep). Only failures that surely sent nothing, or on a channel
 * that can look up what it took: a message that may have gone through is not sent again and again.
 */
import { isVidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';
import { nextJobId } from './machine.ts';
import { giveUp } from './settle.ts';

const FIRST_WAIT_MS = 15_000;
const LONGEST_WAIT_MS = 5 * 60_000;
/** The code of a failure rounds are for: the channel could not be reached, or could not take the message for now. */
export const OUT_OF_REACH = 'VIDBOT_MESSENGER_FAILED';

/** How long to wait before round `round` (1-based), given the time allowed in all; undefined when it is used up. */
export const waitBeforeRound = (round: number, allowedMs: number): number | undefined => {
  let waited = 0;
  for (let before = 1; before <= round; before += 1) {
    const wait = Math.min(FIRST_WAIT_MS * 2 ** (before - 1), LONGEST_WAIT_MS, allowedMs - waited);
    if (wait <= 0) return undefined;
    if (before === round) return wait;
    waited += wait;
  }
  return undefined;
};

/**
 * Whether a delivery that failed so on its job's last attempt is left to the rounds, rather than
 * ended there: a channel out of reach, a message that surely did not go (or a channel that can tell
 * before a round sends it again: asked what it took, or heard in a receipt naming vidbot's reference,
 * outbound.ts), a task run by the queue, and time allowed. Without rounds, a message that may have
 * arrived was given up untold.
 */
export const roundsMayFollow = (deps: Pick<LifecycleDeps, 'channels' | 'deliveryRetryMs'>, task: Task, error: unknown): boolean => {
  if (task.jobId === undefined || (deps.deliveryRetryMs ?? 0) <= 0 || !isVidbotError(error, OUT_OF_REACH)) return false;
  if (error.details.ambiguous !== true) return true;
  const channel = channelFor(deps, task.channel);
  return channel.findSent !== undefined || channel.receiptsCarryReference === true;
};

/**
 * A delivering task whose job `failedJobId` the queue gave up on: another round later (said as a
 * warning, so the operator sees the outage), or, its time up, the task fails as undelivered and
 * its user is told. Null when the task moved meanwhile (another caller took this job's end).
 */
export const endOfDeliveryJob = async (deps: LifecycleDeps, taskId: string, failedJobId: string, why: string): Promise<Task | null> => {
  // Read again: the caller's copy may be a sweep's, older than another caller's round.
  const task = await deps.store.getTask(taskId);
  if (task === null || task.status !== 'delivering' || task.jobId !== failedJobId) return null;
  const round = (task.delivery?.rounds ?? 0) + 1;
  const delayMs = waitBeforeRound(round, deps.deliveryRetryMs ?? 0);
  if (delayMs === undefined) return giveUp(deps, task, why, OUT_OF_REACH, undefined, true);
  const jobId = nextJobId(task);
  const moved = await deps.store.transitionTask(task.taskId, ['delivering'], {
    jobId,
    ...(task.delivery ? { delivery: { ...task.delivery, rounds: round, updatedAt: Date.now() } } : {}),
  });
  if (moved === null) return null;
  // Outside the sender's group: a round waiting minutes must not hold back their new prompts.
  const { created } = await deps.queue.add({ taskId: task.taskId }, { jobId, delayMs });
  if (created) deps.onWarning?.(`The video of task ${task.taskId} could not be sent (${why}); it is sent again in ${Math.round(delayMs / 1000)} s.`);
  return moved;
};
