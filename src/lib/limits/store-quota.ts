/**
 * The daily allowance counted from the store: tasks created in the last 24 hours count, except
 * failed ones and those canceled before their generation began (a video that never came, and cost
 * nothing, should not cost the user one). The window slides, so the next video frees up 24 hours
 * after the oldest one counted.
 */
import type { TaskStatus } from '../domain.ts';
import type { Store } from '../store/port.ts';
import { generationBegan } from '../store/records.ts';
import { QUOTA_WINDOW_MS, type Quota } from './port.ts';

const COUNTED: readonly TaskStatus[] = ['queued', 'processing', 'delivering', 'done', 'canceled'];

/** The sender's allowance now; undefined when there is no limit. */
export const readStoreQuota = async (store: Pick<Store, 'listTasks'>, from: string, limit: number, now: number): Promise<Quota | undefined> => {
  if (limit <= 0) return undefined;
  const listed = await store.listTasks({ from, createdSince: now - QUOTA_WINDOW_MS, status: COUNTED, limit: limit + 100 });
  const counted = listed.filter((task) => task.status !== 'canceled' || generationBegan(task));
  const used = counted.length;
  const left = Math.max(0, limit - used);
  if (left > 0) return { limit, used, left };
  // Newest first: the slot frees when the limit-th newest leaves the window.
  const freeing = counted[limit - 1];
  return { limit, used, left, freesInMs: freeing === undefined ? 0 : Math.max(0, freeing.createdAt + QUOTA_WINDOW_MS - now) };
};
