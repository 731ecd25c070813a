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
  // Jobs queued here since the line was read, at most a line's worth; `taken` counts every note.
  let notes: { seq: number; at: number; taskId: string; sender: string }[] = [];
  let taken = 0;
  const line = readAtMostEvery(1_000, now, async (): Promise<{ open: OpenLine | undefined; noted: number }> => {
    // Notes taken before the read began are of jobs already stored: the read shows each where it is now.
    const noted = taken;
    // The queue's counts are kept as it goes; listing a long line would read all of it.
    const { waiting, delayed, active } = await counts();
    if (waiting + delayed + active > OPEN_LINE_LIMIT) return { open: undefined, noted };
    const open = await options.store.listTasks({ status: ['queued', 'processing', 'delivering'], limit: OPEN_LINE_LIMIT + 1 });
    if (open.length > OPEN_LINE_LIMIT) return { open: undefined, noted };
    // Newest first as listed; tasks without a job are run by whoever made them (`vidbot generate`).
    const jobs = open.filter((task) => task.jobId !== undefined).reverse();
    const wallClock = Date.now();
    return {
      noted,
      open: {
        waiting: jobs.filter((task) => task.status === 'queued').map((task) => ({ taskId: task.taskId, sender: senderOf(task) })),
        running: jobs
          .filter((task) => task.status !== 'queued')
          .map((task) => ({ sender: senderOf(task), elapsedSeconds: Math.max(0, (wallClock - (task.startedAt ?? wallClock)) / 1000) })),
      },
    };
  });
  let pruned: { open: OpenLine | undefined; noted: number } | undefined;
  return {
    async read() {
      const [seconds, { active }, read] = await Promise.all([runSeconds(), counts(), line()]);
      const { open } = read;
      const live = options.liveWorkers?.();
      const workersRun = live === undefined || (live.concurrency > 0 && !live.paused);
      if (read !== pruned) {
        pruned = read;
        // Kept only while the line misses the job: a note of a job since started (or ended) would
        // sit behind those listed waiting, and standingInLine would take it for one still waiting
        // and the first one waiting for started, putting the new job ahead of it.
        const listed = new Set(open?.waiting.map((job) => job.taskId));
        notes = notes.filter((note) => note.seq > read.noted && !listed.has(note.taskId) && Date.now() - note.at < 10_000);
      }
      return {
        runSeconds: seconds,
        workers: live !== undefined && live.concurrency > 0 ? live.concurrency : options.workers,
        running: active,
        workersRun,
        ...(live?.paused === true ? { paused: true } : {}),
        ...(open === undefined || !workersRun ? {} : { line: open, since: notes.map(({ taskId, sender }) => ({ taskId, sender })) }),
      };
    },
    queued(task) {
      if (pruned?.open !== undefined && notes.length < OPEN_LINE_LIMIT) notes.push({ seq: (taken += 1), at: Date.now(), ...task });
    },
  };
};
