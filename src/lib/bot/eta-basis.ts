/**
 * What the acknowledgement's place in line and "ready in ..." are estimated from: how long recent
 * videos took (read at most every 5 s), how many jobs run now and whose jobs wait and run (every
 * second): not on every prompt.
 */
import type { JobQueue } from '../queue/port.ts';
import type { Store, Task } from '../store/port.ts';
import { type OpenLine, recentRunSeconds } from '../tasks/eta.ts';
import type { EtaBasis } from './admission.ts';
import { readAtMostEvery } from './read-every.ts';

/** Open jobs past this many are not listed on every prompt: the ack counts them instead. */
export const OPEN_LINE_LIMIT = 200;

export interface EtaBasisSource {
  read(): Promise<EtaBasis>;
  /** A job this process just queued: known before the line is read again. */
  queued(task: { taskId: string; sender: string }): void;
}

const senderOf = (task: Task): string => task.from || task.sessionId;

export const createEtaBasis = (options: {
  readonly store: Pick<Store, 'listTasks'>;
  readonly queue: Pick<JobQueue<unknown>, 'counts'>;
  /** Workers taking jobs in parallel. */
  readonly workers: number;
  readonly now: () => number;
}): EtaBasisSource => {
  const { now } = options;
  const runSeconds = readAtMostEvery(5_000, now, () => recentRunSeconds(options.store));
  // Whether the workers are idle changes with every job: read again after a second.
  const counts = readAtMostEvery(1_000, now, () => options.queue.counts());
  const line = readAtMostEvery(1_000, now, async (): Promise<{ at: number; line?: OpenLine }> => {
    const at = now();
    // The queue's counts are kept as it goes; listing a long line would read all of it.
    const { waiting, delayed, active } = await counts();
    if (waiting + delayed + active > OPEN_LINE_LIMIT) return { at };
    const open = await options.store.listTasks({ status: ['queued', 'processing'], limit: OPEN_LINE_LIMIT + 1 });
    if (open.length > OPEN_LINE_LIMIT) return { at };
    // Tasks without a job are run by whoever made them (`vidbot generate`), not by the workers.
    const jobs = open.filter((task) => task.jobId !== undefined).sort((a, b) => a.createdAt - b.createdAt);
    return {
      at,
      line: {
        waiting: jobs.filter((task) => task.status === 'queued').map((task) => ({ taskId: task.taskId, sender: senderOf(task) })),
        running: jobs
          .filter((task) => task.status === 'processing')
          .map((task) => ({ sender: senderOf(task), elapsedSeconds: Math.max(0, (at - (task.startedAt ?? at)) / 1000) })),
      },
    };
  });
  let notes: { at: number; taskId: string; sender: string }[] = [];
  return {
    async read() {
      const [seconds, { active }, open] = await Promise.all([runSeconds(), counts(), line()]);
      // What this process queued since the line was read; older jobs are in it.
      notes = notes.filter((note) => note.at >= open.at);
      return {
        runSeconds: seconds,
        workers: options.workers,
        running: active,
        ...(open.line === undefined ? {} : { line: open.line, since: notes.map(({ taskId, sender }) => ({ taskId, sender })) }),
      };
    },
    queued(task) {
      notes.push({ at: now(), ...task });
    },
  };
};
