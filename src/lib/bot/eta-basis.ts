/**
 * What the acknowledgement's "ready in ..." is estimated from: how long recent videos took (read at
 * most every 5 s), and how many jobs run now (every second): not on every prompt.
 */
import type { JobQueue } from '../queue/port.ts';
import type { Store } from '../store/port.ts';
import { recentRunSeconds } from '../tasks/eta.ts';
import type { EtaBasis } from './admission.ts';

/** A value read again once it is older than `ttlMs`; a failed read is not kept. */
const kept = <T>(read: () => Promise<T>, now: () => number, ttlMs: number): (() => Promise<T>) => {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last === undefined || now() - last.at > ttlMs) {
      const value = read();
      last = { at: now(), value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
};

export const createEtaBasis = (options: {
  readonly store: Pick<Store, 'listTasks'>;
  readonly queue: Pick<JobQueue<unknown>, 'counts'>;
  /** Workers taking jobs in parallel. */
  readonly workers: number;
  readonly now: () => number;
}): (() => Promise<EtaBasis>) => {
  const runSeconds = kept(() => recentRunSeconds(options.store), options.now, 5_000);
  // Whether the workers are idle changes with every job: read again after a second.
  const running = kept(async () => (await options.queue.counts()).active, options.now, 1_000);
  return async () => ({ runSeconds: await runSeconds(), workers: options.workers, running: await running() });
};
