/**
 * What the acknowledgement's "ready in ..." is estimated from: how long recent videos took (read at
 * most every 5 s), and how many jobs run now (every second): not on every prompt.
 */
import type { JobQueue } from '../queue/port.ts';
import type { Store } from '../store/port.ts';
import { recentRunSeconds } from '../tasks/eta.ts';
import type { EtaBasis } from './admission.ts';
import { readAtMostEvery } from './read-every.ts';

export const createEtaBasis = (options: {
  readonly store: Pick<Store, 'listTasks'>;
  readonly queue: Pick<JobQueue<unknown>, 'counts'>;
  /** Workers taking jobs in parallel. */
  readonly workers: number;
  readonly now: () => number;
}): (() => Promise<EtaBasis>) => {
  const runSeconds = readAtMostEvery(5_000, options.now, () => recentRunSeconds(options.store));
  // Whether the workers are idle changes with every job: read again after a second.
  const running = readAtMostEvery(1_000, options.now, async () => (await options.queue.counts()).active);
  return async () => ({ runSeconds: await runSeconds(), workers: options.workers, running: await running() });
};
