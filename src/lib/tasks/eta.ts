/**
 * How long a video takes, from the tasks recently done: the basis of the ack's "ready in ..." and of
 * the one progress message a long job sends. Here, below the bot, so the tasks may use it too.
 */
import type { Store } from '../store/port.ts';

/** Mean run time of recently finished tasks, in seconds; undefined until there is a basis. */
export const recentRunSeconds = async (store: Pick<Store, 'listTasks'>, sample = 20): Promise<number | undefined> => {
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
 * take jobs in parallel and `running` of them are busy (all, when not known): a task a free worker
 * takes at once needs only its own run; others wait for the rounds of work ahead of them.
 */
export const estimateReadySeconds = (position: number, workers: number, runSeconds: number, running = workers): number => {
  const free = Math.max(0, workers - running);
  if (position <= free) return runSeconds;
  return (Math.ceil((position - free) / Math.max(1, workers)) + 1) * runSeconds;
};

/** "under a minute", "about 3 min", "about 1 h 20 min": estimates should not look precise. */
export const formatEta = (seconds: number): string => {
  if (seconds < 45) return 'under a minute';
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = Math.round((minutes % 60) / 10) * 10;
  if (rest === 60) return `about ${hours + 1} h`;
  return rest === 0 ? `about ${hours} h` : `about ${hours} h ${rest} min`;
};
