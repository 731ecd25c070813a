/**
 * A made video whose channel cannot be reached (Twilio or Meta down, the network gone) is sent again
 * in rounds, each a new job with the queue's own attempts, waiting longer before each: 15 s, 30 s,
 * 1 min... up to 5 min, for as long as VIDBOT_DELIVERY_RETRY_SEC allows. A blip of a few seconds
 * no longer fails the task; when the time is up, the task fails and the user is told (that notice
 * waits for the channel too, in the sweep).
 */
import type { Task } from '../store/port.ts';
import type { LifecycleDeps } from './deps.ts';
import { nextJobId } from './machine.ts';

const FIRST_WAIT_MS = 15_000;
const LONGEST_WAIT_MS = 5 * 60_000;

/** Which round of jobs a task is on: 1 for its first job, n for its `#n`. */
const roundOf = (task: Pick<Task, 'jobId'>): number => Number(/#(\d+)$/.exec(task.jobId ?? '')?.[1] ?? 1);

/** How long to wait before round `round + 1`, given the time allowed in all; undefined when it is used up. */
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
 * Puts a delivering task whose job the queue gave up on back in line for another round, later (said
 * as a warning: the operator sees the outage); null when its time is up (or it moved meanwhile):
 * the caller ends it.
 */
export const retryDelivery = async (deps: Pick<LifecycleDeps, 'store' | 'queue' | 'deliveryRetryMs' | 'onWarning'>, task: Task, why?: string): Promise<Task | null> => {
  if (task.status !== 'delivering' || task.jobId === undefined) return null;
  const delayMs = waitBeforeRound(roundOf(task), deps.deliveryRetryMs ?? 0);
  if (delayMs === undefined) return null;
  const jobId = nextJobId(task);
  const moved = await deps.store.transitionTask(task.taskId, ['delivering'], { jobId });
  if (moved === null) return null;
  await deps.queue.add({ taskId: task.taskId }, { jobId, group: task.sessionId, delayMs });
  deps.onWarning?.(`The video of task ${task.taskId} could not be sent${why ? ` (${why})` : ''}; it is sent again in ${Math.round(delayMs / 1000)} s.`);
  return moved;
};
