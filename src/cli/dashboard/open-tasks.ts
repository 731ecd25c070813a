/**
 * The open tasks, read from the store for the dashboard: each job's prompt and sender, the jobs still
 * queued (the queue's events only start at `active`), and the ETA basis the bot's acknowledgement uses.
 */
import { recentRunSeconds } from '../../lib/tasks/eta.ts';
import { OPEN_TASK_STATUSES } from '../../lib/domain.ts';
import type { Store, Task } from '../../lib/store/port.ts';
import type { DashboardEvent, OpenTask } from './state.ts';

export interface WatchOpenTasksOptions {
  readonly everyMs?: number;
  /** Open tasks listed at most; beyond that the newest are shown. */
  readonly limit?: number;
  readonly now?: () => number;
}

const toOpenTask = (task: Task & { jobId: string }): OpenTask => ({
  jobId: task.jobId,
  taskId: task.taskId,
  prompt: task.prompt,
  sender: task.from || task.sessionId,
  status: task.status,
  ...(task.stage ? { stage: task.stage } : {}),
  createdAt: task.createdAt,
  ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
});

/** Reads now and then every `everyMs`, sending a 'tasks' event when something changed; returns the stop. */
export const watchOpenTasks = (store: Store, send: (event: DashboardEvent) => void, options: WatchOpenTasksOptions = {}): (() => void) => {
  const now = options.now ?? Date.now;
  let last = '';
  let lastError = '';
  let stopped = false;
  let reading = false;
  const read = async () => {
    if (reading || stopped) return;
    reading = true;
    try {
      const [tasks, runSeconds] = await Promise.all([
        store.listTasks({ status: OPEN_TASK_STATUSES, limit: options.limit ?? 500 }),
        recentRunSeconds(store),
      ]);
      // Tasks without a job are run by their creator (`vidbot generate`), not by these workers.
      const open = tasks.filter((task): task is Task & { jobId: string } => task.jobId !== undefined).map(toOpenTask);
      const key = JSON.stringify([open, runSeconds]);
      if (stopped || key === last) return;
      last = key;
      lastError = '';
      send({ type: 'tasks', tasks: open, ...(runSeconds === undefined ? {} : { runSeconds }), ts: now() });
    } catch (error) {
      // Said once per distinct failure: the next read may well work.
      const message = `Listing open tasks failed: ${(error as Error).message}`;
      if (!stopped && message !== lastError) send({ type: 'log', level: 'warn', message, ts: now() });
      lastError = message;
    } finally {
      reading = false;
    }
  };
  void read();
  const timer = setInterval(() => void read(), options.everyMs ?? 1000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
};
