/**
 * A daily allowance per sender (VIDBOT_DAILY_LIMIT), because paid models cost real money: tasks
 * created in the last 24 hours count, except failed ones (a failure should not cost the user a
 * video). The window slides, so the next video frees up 24 hours after the oldest one counted.
 */
import type { TaskStatus } from '../domain.ts';
import type { Store } from '../store/port.ts';

export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

const COUNTED: readonly TaskStatus[] = ['queued', 'processing', 'delivering', 'done', 'canceled'];

export interface Quota {
  readonly limit: number;
  readonly used: number;
  readonly left: number;
  /** When no video is left: how long until the next one frees up. */
  readonly freesInMs?: number;
}

/** The sender's allowance now; undefined when there is no limit. */
export const readQuota = async (store: Pick<Store, 'listTasks'>, from: string, limit: number, now: number): Promise<Quota | undefined> => {
  if (limit <= 0) return undefined;
  const counted = await store.listTasks({ from, createdSince: now - QUOTA_WINDOW_MS, status: COUNTED, limit: limit + 100 });
  const used = counted.length;
  const left = Math.max(0, limit - used);
  if (left > 0) return { limit, used, left };
  // Newest first: the slot frees when the (used - limit + 1)-th oldest leaves the window.
  const freeing = counted[limit - 1];
  return { limit, used, left, freesInMs: freeing === undefined ? 0 : Math.max(0, freeing.createdAt + QUOTA_WINDOW_MS - now) };
};
