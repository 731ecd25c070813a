import type { Store } from '../store/port.ts';

/** Mean run time of recently finished tasks, in seconds; undefined until there is a basis. */
export const recentRunSeconds = async (store: Store, sample = 20): Promise<number | undefined> => {
  const done = await store.listTasks({ status: ['done'], limit: sample });
  const durations = done
    .filter((task) => task.startedAt !== undefined && task.finishedAt !== undefined && !task.cacheHit)
    .map((task) => ((task.finishedAt ?? 0) - (task.startedAt ?? 0)) / 1000)
    .filter((seconds) => seconds >= 0);
  if (durations.length === 0) return undefined;
  return durations.reduce((sum, s) => sum + s, 0) / durations.length;
};

/**
 * Seconds until a task at `position` (0 = running, 1 = next, ...) should be ready, when `workers`
 * take jobs in parallel: the rounds of work ahead of it, then its own run.
 */
export const estimateReadySeconds = (position: number, workers: number, runSeconds: number): number => {
  if (position <= 0) return runSeconds;
  return (Math.ceil(position / Math.max(1, workers)) + 1) * runSeconds;
};
