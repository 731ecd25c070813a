/**
 * Adding jobs on BullMQ in as few round trips as the webhook can afford: one to learn whether the id
 * is new (its tombstone, its job hash, the fairness gate's next turn), one to add it (the gate's
 * backlog entry sent ahead of it on the same connection), and, to place it, one for its index in the
 * wait list. The id stays the idempotency key: an id BullMQ holds, or once held and canceled, is
 * not added again.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkAddOptions } from '../options.ts';
import type { AddJobOptions } from '../port.ts';
import type { Envelope } from './info.ts';
import { type QueueKeys, toBullId } from './keys.ts';
import { RETAIN_COMPLETED_MS, RETAIN_FAILED_MS } from '../retention.ts';

const RETAIN_COMPLETED_SEC = RETAIN_COMPLETED_MS / 1000;
export const RETAIN_FAILED_SEC = RETAIN_FAILED_MS / 1000;

export interface AdderOptions<T> {
  readonly redis: Redis;
  readonly queue: Queue<Envelope<T>>;
  readonly keys: QueueKeys;
  readonly defaultAttempts: number;
  readonly maxActivePerGroup?: number;
}

export interface JobAdder<T> {
  add(data: T, options: AddJobOptions): Promise<{ id: string; created: boolean }>;
  /**
   * A waiting job's place from its index in BullMQ's wait list (new jobs go on the left, workers
   * take from the right); undefined when the job is not in it.
   */
  waitingPlace(id: string): Promise<number | undefined>;
}

/** A pipeline's replies, failing with the first command that failed. */
const replies = (results: Array<[Error | null, unknown]> | null): unknown[] =>
  (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });

export const createJobAdder = <T>(options: AdderOptions<T>): JobAdder<T> => {
  const { redis, queue, keys } = options;
  const waitKey = `${keys.base}:wait`;

  return {
    async add(data, addOptions) {
      const { jobId, attempts, delayMs } = checkAddOptions(addOptions, options.defaultAttempts);
      const bullId = toBullId(jobId);
      const { group } = addOptions;
      const gated = group !== undefined && options.maxActivePerGroup !== undefined;
      const check = redis.pipeline().hexists(keys.meta(jobId), 'tomb').exists(`${keys.base}:${bullId}`);
      if (gated) check.incr(keys.seq);
      const [tomb, exists, turn] = replies(await check.exec());
      // BullMQ would ignore a second add of an id it holds; a canceled job's tombstone counts too.
      if (tomb === 1 || exists === 1) return { id: jobId, created: false };
      await Promise.all([
        // In the backlog before BullMQ can hand the job out, so the gate always knows its turn.
        gated ? redis.zadd(keys.groupPending(group), Number(turn), bullId) : undefined,
        queue.add('job', group === undefined ? { data } : { data, group }, {
          jobId: bullId,
          attempts,
          delay: delayMs,
          backoff: { type: 'vidbot' },
          // Kept long enough for status, dedupe of late retries and retry by hand; then Redis forgets them.
          removeOnComplete: { age: RETAIN_COMPLETED_SEC },
          removeOnFail: { age: RETAIN_FAILED_SEC },
        }),
      ]);
      return { id: jobId, created: true };
    },

    async waitingPlace(id) {
      // LPOS scans from the left, where new jobs are: a job just added is found at once.
      const [length, index] = replies(await redis.pipeline().llen(waitKey).lpos(waitKey, toBullId(id)).exec());
      return typeof index === 'number' && typeof length === 'number' ? length - index : undefined;
    },
  };
};
