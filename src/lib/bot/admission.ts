/**
 * The gate every request for a new video passes, and the answer once it is queued. The sender's
 * limits give a verdict per message (a redelivery gets the same one and takes nothing more), taken
 * before a message is made durable; here it becomes the reply.
 */
import type { BudgetState } from '../cost/index.ts';
import type { Quota, Verdict } from '../limits/port.ts';
import { OPEN_LINE_LIMIT, type OpenLine, estimateReadySeconds, standingInLine } from '../tasks/eta.ts';
import { ackText, budgetSpentText, quotaUsedUpText, rateLimitedText } from './replies.ts';
import type { BotReply } from './types.ts';

/** Whether a sender may queue a video now: the reply when not, else what is left of their allowance. */
export interface Admission {
  readonly denied?: BotReply;
  readonly quota?: Quota;
}

/** The limits' verdict as the bot answers it. */
export const admissionOf = (verdict: Verdict, perMinute: number): Admission => {
  if (verdict.allowed) return verdict.quota === undefined ? {} : { quota: verdict.quota };
  if (verdict.reason === 'rate') return { denied: { text: rateLimitedText(perMinute, verdict.retryAfterMs), kind: 'rate-limited', duplicate: false } };
  return { denied: { text: quotaUsedUpText(verdict.quota), kind: 'quota', duplicate: false } };
};

/** The reply to a request for a new video while today's budget is spent: nothing is queued. */
export const budgetSpentReply = (state: BudgetState, now: number): BotReply => ({
  text: budgetSpentText(Math.max(0, state.resetsAt - now)),
  kind: 'quota',
  duplicate: false,
});

export interface EtaBasis {
  /** Mean run time of recent jobs; undefined until there is one. */
  readonly runSeconds: number | undefined;
  /** Workers taking jobs in parallel. */
  readonly workers: number;
  /** Jobs running now (a few seconds ago); unknown means every worker is busy. */
  readonly running?: number;
  /** Whether workers take jobs now (running here or live elsewhere, or given outright): else nothing starts at once. */
  readonly workersRun?: boolean;
  /** The workers are paused (the operator's `p`): nothing starts until they resume, so no time can be promised. */
  readonly paused?: boolean;
  /** Whose jobs wait and run (a second ago at most); undefined when too many to list. */
  readonly line?: OpenLine;
  /** The jobs this process queued since the line was read, oldest first. */
  readonly since?: OpenLine['waiting'];
}

/**
 * Where a queued task stands: its place in line and when it should be ready. `position` is the
 * queue's count (1 = next); with the line's senders known, the place is where the job stands as the
 * workers take jobs, one at a time for each sender. The ack and /status tell the same.
 */
export const standingOf = (
  task: { taskId: string; sender?: string },
  position: number | null,
  basis: EtaBasis,
): { place: number | null; etaSec?: number; startsNow?: boolean } => {
  if (position !== null && position >= 1 && position <= OPEN_LINE_LIMIT && task.sender !== undefined && basis.line !== undefined) {
    const { place, startsNow, readySeconds } = standingInLine({
      taskId: task.taskId,
      sender: task.sender,
      ahead: position - 1,
      line: basis.line,
      workers: basis.workers,
      ...(basis.since === undefined ? {} : { since: basis.since }),
      ...(basis.runSeconds === undefined ? {} : { runSeconds: basis.runSeconds }),
    });
    return { place, startsNow, ...(readySeconds === undefined ? {} : { etaSec: readySeconds }) };
  }
  // Counts alone: next in line with every worker idle, it starts at once. Otherwise every worker
  // counts as busy: a sender's own running job holds their next one back, and whose jobs run is not known.
  const startsNow = position === 1 && basis.running === 0 && basis.workers > 0 && basis.workersRun === true;
  if (basis.runSeconds === undefined || position === null || basis.paused === true) return { place: position, startsNow };
  const running = startsNow ? 0 : basis.workers;
  return { place: position, startsNow, etaSec: estimateReadySeconds(position, basis.workers, basis.runSeconds, running) };
};

/** The answer for a task just queued: its place in line, when it should be ready, what is left for today. */
export const ackReply = (
  taskId: string,
  position: number | null,
  basis: EtaBasis,
  { quota }: Admission,
  { headline, sender, resend = false }: { headline?: string; sender?: string; resend?: boolean } = {},
): BotReply => {
  // A video sent again has no place in line to tell nor a making to wait for: "being made right now" would be untrue.
  const { place, etaSec, startsNow } = resend ? { place: null, etaSec: undefined, startsNow: false } : standingOf({ taskId, ...(sender === undefined ? {} : { sender }) }, position, basis);
  return {
    text: ackText(place, etaSec, quota && { ...quota, used: quota.used + 1, left: quota.left - 1 }, headline, { starting: startsNow === true }),
    kind: 'ack',
    taskId,
    duplicate: false,
    ...(place === null ? {} : { position: place }),
    ...(etaSec === undefined ? {} : { etaSec }),
  };
};
