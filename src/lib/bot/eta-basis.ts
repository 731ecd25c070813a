/**
 * What the acknowledgement's place in line and "ready in ..." are estimated from: how long recent
 * videos took (read at most every 5 s), the queue's counts and whose jobs wait and run (every
 * second): not on every prompt.
 */
import type { JobQueue } from '../queue/port.ts';
import type { Store, Task } from '../store/port.ts';
import { OPEN_LINE_LIMIT, type OpenLine, recentRunSeconds } from '../tasks/eta.ts';
import type { EtaBasis } from './admission.ts';
import { readAtMostEvery } from './read-every.ts';

/** The workers taking this queue's jobs now, wherever they run. */
export interface LiveWorkers {
  readonly concurrency: number;
  readonly paused: boolean;
}

export interface EtaBasisSource {
  read(): Promise<EtaBasis>;
  /** A job this process just queued: known before the line is read again. */
  queued(task: { taskId: string; sender: string }): void;
}

const senderOf = (task: Task): string => task.from || task.sessionId;

export const createEtaBasis = (options: {
  readonly store: Pick<Store, 'listTasks'>;
  readonly queue: Pick<JobQueue<unknown>, 'counts'>;
  /** Workers assumed to take jobs in parallel (WORKER_COUNT). */
  readonly workers: number;
  /**
   * The workers running now; without them, or while none runs or they are paused, the place in
   * line is the queue's count (who takes which job first is not known).
   */
  readonly liveWorkers?: () => LiveWorkers;
  readonly now: () => number;
}): EtaBasisSource => {
  const { now } = options;
  const runSeconds = readAtMostEvery(5_000, now, () => recentRunSeconds(options.store));
  const counts = readAtMostEvery(1_000, now, () => options.queue.counts());
  const line = readAtMostEvery(1_000, now, async (): Promise<OpenLine | undefined> => {
    // The queue's counts are kept as it goes; listing a long line would read all of it.
    const { waiting, delayed, active } = await counts();
    if (waiting + delayed + active > OPEN_LINE_LIMIT) return undefined;
    const open = await options.store.listTasks({ status: ['queued', 'processing', 'delivering'], limit: OPEN_LINE_LIMIT + 1 });
    if (open.length > OPEN_LINE_LIMIT) return undefined;
    // Newest first as listed; tasks without a job are run by whoever made them (`vidbot generate`).
    const jobs = open.filter((task) => task.jobId !== undefined).reverse();
    const wallClock = Date.now();
    return {
      waiting: jobs.filter((task) => task.status === 'queued').map((task) => ({ taskId: task.taskId, sender: senderOf(task) })),
      running: jobs
        .filter((task) => task.status !== 'queued')
        .map((task) => ({ sender: senderOf(task), elapsedSeconds: Math.max(0, (wallClock - (task.startedAt ?? wallClock)) / 1000) })),
    };
  });
  // Jobs queued here since the line was read: dropped once a read lists them (or after 10 s), at most a line's worth.
  let notes: { at: number; taskId: string; sender: string }[] = [];
  let pruned: OpenLine | undefined;
  return {
    async read() {
      const [seconds, { active }, open] = await Promise.all([runSeconds(), counts(), line()]);
      const live = options.liveWorkers?.();
      const workersRun = live === undefined || (live.concurrency > 0 && !live.paused);
      if (open !== pruned) {
        pruned = open;
        const listed = new Set(open?.waiting.map((job) => job.taskId));
        notes = notes.filter((note) => !listed.has(note.taskId) && Date.now() - note.at < 10_000);
      }
      return {
        runSeconds: seconds,
        workers: live !== undefined && live.concurrency > 0 ? live.concurrency : options.workers,
        running: active,
        ...(open === undefined || !workersRun ? {} : { line: open, since: notes.map(({ taskId, sender }) => ({ taskId, sender })) }),
      };
    },
    queued(task) {
      if (pruned !== undefined && notes.length < OPEN_LINE_LIMIT) notes.push({ at: Date.now(), ...task });
    },
  };
};
