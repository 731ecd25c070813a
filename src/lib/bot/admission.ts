/**
 * The gate every request for a new video passes, and the answer once it is queued. The gate comes in
 * two halves so that a message made durable in one unit can use it: the allowance is read before
 * (a read, harmless for a redelivery), and the rate limit is taken synchronously once the message
 * is known to be new.
 */
import { estimateReadySeconds } from '../tasks/eta.ts';
import type { Quota } from './quota.ts';
import type { RateLimiter } from './rate-limit.ts';
import { ackText, quotaUsedUpText, rateLimitedText } from './replies.ts';
import type { BotReply } from './types.ts';

/** Whether a sender may queue a video now: the reply when not, else what is left of their allowance. */
export interface Admission {
  readonly denied?: BotReply;
  readonly quota?: Quota;
}

/** Takes a turn of the sender's rate limit, then checks the allowance read before (undefined: no daily limit). */
export const takeTurn = (limiter: RateLimiter, perMinute: number, from: string, quota: Quota | undefined): Admission => {
  const allowance = limiter.take(from);
  if (!allowance.allowed) return { denied: { text: rateLimitedText(perMinute, allowance.retryAfterMs), kind: 'rate-limited', duplicate: false } };
  if (quota !== undefined && quota.left === 0) return { denied: { text: quotaUsedUpText(quota), kind: 'quota', duplicate: false } };
  return quota === undefined ? {} : { quota };
};

export interface EtaBasis {
  /** Mean run time of recent jobs; undefined until there is one. */
  readonly runSeconds: number | undefined;
  /** Workers taking jobs in parallel. */
  readonly workers: number;
}

/** The answer for a task just queued: its place in line, when it should be ready, what is left for today. */
export const ackReply = (taskId: string, position: number | null, basis: EtaBasis, { quota }: Admission, headline?: string): BotReply => {
  const etaSec =
    basis.runSeconds === undefined || position === null ? undefined : estimateReadySeconds(position, basis.workers, basis.runSeconds);
  return {
    text: ackText(position, etaSec, quota && { ...quota, used: quota.used + 1, left: quota.left - 1 }, headline),
    kind: 'ack',
    taskId,
    duplicate: false,
    ...(position === null ? {} : { position }),
    ...(etaSec === undefined ? {} : { etaSec }),
  };
};
