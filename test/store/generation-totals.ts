/**
 * One scenario for both SQL stores' all-time generation totals (kept by triggers from their
 * migration on): a file or database written before them holds three tasks (TOTALS_SEED_ROWS), and the
 * totals must read as a sum over every task does through replaced, cleared and inexact costs.
 */
import { expect } from 'vitest';
import type { Store } from '../../src/lib/store/port.ts';

/** The rows to insert into `tasks` (columns as both SQL stores name them) before the store opens. */
export const TOTALS_SEED_ROWS = `(task_id, prompt, sid, from_addr, options, status, attempts, created_at, updated_at, generation) VALUES
  ('A', 'a', 's', 'f', '{}', 'done', 1, 1, 1, '{"provider":"replicate","model":"m1","cost":0.5,"at":10}'),
  ('B', 'b', 's', 'f', '{}', 'done', 1, 1, 1, '{"provider":"replicate","model":"m1","at":20}'),
  ('C', 'c', 's', 'f', '{}', 'queued', 0, 1, 1, NULL)`;

export const expectTotalsInStep = async (store: Pick<Store, 'generationCosts' | 'updateTask'>): Promise<void> => {
  // What a sum over every task says, since the first generation: the totals must say the same.
  const summed = () => store.generationCosts({ since: 0 });
  expect(await store.generationCosts()).toEqual([{ provider: 'replicate', model: 'm1', videos: 2, cost: 0.5 }]);
  await store.updateTask('C', { generation: { provider: 'fal', model: 'f1', cost: 1.25, at: 30 } });
  await store.updateTask('B', { generation: { provider: 'fal', model: 'f1', cost: 0.75, at: 40 } });
  await store.updateTask('A', { status: 'done' });
  expect(await store.generationCosts()).toEqual(await summed());
  expect(await store.generationCosts()).toEqual([
    { provider: 'fal', model: 'f1', videos: 2, cost: 2 },
    { provider: 'replicate', model: 'm1', videos: 1, cost: 0.5 },
  ]);
  await store.updateTask('A', { generation: undefined });
  expect(await store.generationCosts()).toEqual([{ provider: 'fal', model: 'f1', videos: 2, cost: 2 }]);
  expect(await store.generationCosts()).toEqual(await summed());
  // Costs with no exact binary form: added, replaced and taken back, the totals still read as the sums do.
  await store.updateTask('A', { generation: { provider: 'fal', model: 'f1', cost: 0.1, at: 50 } });
  await store.updateTask('C', { generation: { provider: 'fal', model: 'f1', cost: 0.2, at: 60 } });
  await store.updateTask('B', { generation: { provider: 'fal', model: 'f1', cost: 0.7, at: 70 } });
  await store.updateTask('B', { generation: undefined });
  expect(await store.generationCosts()).toEqual([{ provider: 'fal', model: 'f1', videos: 2, cost: 0.3 }]);
  expect(await store.generationCosts()).toEqual(await summed());
};
