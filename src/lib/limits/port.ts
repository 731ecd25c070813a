/**
 * A sender's limits: at most so many new requests a minute (VIDBOT_RATE_LIMIT_PER_MIN) and so many
 * videos a day (VIDBOT_DAILY_LIMIT). One port so that every web process behind a balancer gives a
 * sender the same allowance: in Redis when REDIS_URL is set, else in this process and the store.
 */

/** What is left of a sender's daily allowance. */
export interface Quota {
  readonly limit: number;
  /** Videos counted in the last 24 hours, this request not included. */
  readonly used: number;
  readonly left: number;
  /** When none is left: how long until the next one frees up. */
  readonly freesInMs?: number;
}

export type Verdict =
  /** The request may make a video; `quota` is the allowance before it (absent with no daily limit). */
  | { readonly allowed: true; readonly quota?: Quota }
  | { readonly allowed: false; readonly reason: 'rate'; readonly retryAfterMs: number }
  | { readonly allowed: false; readonly reason: 'quota'; readonly quota: Quota };

export interface LimitRequest {
  readonly from: string;
  /**
   * The inbound message asking: a redelivery of it (even a concurrent one, or one that reaches
   * another web process) gets the first delivery's verdict and takes nothing more.
   */
  readonly messageId: string;
  readonly now: number;
}

export interface SenderLimits {
  readonly name: 'memory' | 'redis';
  /** Takes a turn of the rate limit and, when that is allowed, one video of the daily allowance. */
  take(request: LimitRequest): Promise<Verdict>;
  /** The sender's daily allowance now, taking nothing (undefined: no daily limit). */
  allowance(from: string, now: number): Promise<Quota | undefined>;
  /** Gives the video back: the task of that message failed, and a failure should not cost the user a video. */
  refund(from: string, messageId: string): Promise<void>;
  /**
   * Forgets the message's verdict and gives back what it took (its turn and its video): the message
   * was not stored, so its redelivery is judged afresh and a delivery that never lands costs nothing.
   */
  release(from: string, messageId: string): Promise<void>;
  /** Counts the video of a failed task made again (an operator's retry), which its failure had given back; never refuses. */
  recount(from: string, messageId: string, now: number): Promise<void>;
}

export interface LimitSettings {
  /** Requests a minute per sender. */
  readonly perMinute: number;
  /** Videos a day per sender; 0 for no daily limit. */
  readonly perDay: number;
}

export const RATE_WINDOW_MS = 60_000;
export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;
