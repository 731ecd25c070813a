/**
 * What the acknowledgement's "ready in ..." is estimated from: how long recent videos took, and how
 * many of the workers are busy. Both change only as jobs start and finish, so they are read at most
 * once every few seconds, not on every prompt.
 */
import type { JobQueue } from '../queue/port.ts';
import type { Store } from '../store/port.ts';
import { recentRunSeconds } from '../tasks/eta.ts';
import type { EtaBasis } from './admission.ts';

const TTL_MS = 5_000;

/** A value read again once it is older than the TTL; a failed read is not kept. */
const kept = <T>(read: () => Promise<T>, now: () => number): (() => Promise<T>) => {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last === undefined || now() - last.at > TTL_MS) {
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
  const runSeconds = kept(() => recentRunSeconds(options.store), options.now);
  const running = kept(async () => (await options.queue.counts()).active, options.now);
  return async () => ({ runSeconds: await runSeconds(), workers: options.workers, running: await running() });
};
