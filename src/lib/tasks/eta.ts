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

/**
 * Seconds a running job should still take: what recent jobs took minus what it has run, or, once it
 * has run past that, what its own percent says (from 10 % on: early percents, a model's queue and
 * start-up, say little). Undefined when neither can tell.
 */
export const secondsLeft = (elapsedSeconds: number, runSeconds: number | undefined, percent?: number): number | undefined => {
  if (runSeconds !== undefined && runSeconds - elapsedSeconds > 0) return runSeconds - elapsedSeconds;
  if (percent !== undefined && percent >= 10 && percent < 100 && elapsedSeconds > 0) return (elapsedSeconds * (100 - percent)) / percent;
  return undefined;
};

/** A job running now: whose it is, and how many seconds it should still take. */
export interface RunningJob {
  readonly sender?: string;
  readonly remainingSeconds: number;
}

/**
 * Seconds until each job waiting in line (its sender, in line order) should be ready, when `workers`
 * take the line in order, each as soon as its job ends (`running`: the jobs they run now), and a
 * sender's jobs run one at a time, as the queue runs them: a worker skips a job whose sender is busy
 * for the next one that can start. Where the acknowledgement counts every worker busy (it knows
 * only counts), a view that lists the jobs can say when each should start.
 */
export const readySecondsInLine = (line: readonly (string | undefined)[], workers: number, runSeconds: number, running: readonly RunningJob[]): number[] => {
  if (workers <= 0) return [];
  const byEnd = running.map((job) => ({ sender: job.sender, end: Math.max(0, job.remainingSeconds) })).sort((a, b) => a.end - b.end);
  // Jobs beyond the workers run elsewhere: they hold their senders, not a worker here.
  const freeAt = Array.from({ length: workers }, (_, slot) => byEnd[slot]?.end ?? 0);
  const senderFreeAt = new Map<string, number>();
  for (const job of byEnd) if (job.sender !== undefined) senderFreeAt.set(job.sender, Math.max(senderFreeAt.get(job.sender) ?? 0, job.end));
  const freeBy = (sender: string | undefined): number => (sender === undefined ? 0 : (senderFreeAt.get(sender) ?? 0));

  const ready: number[] = new Array<number>(line.length).fill(0);
  const waiting = line.map((sender, index) => ({ sender, index }));
  while (waiting.length > 0) {
    let slot = 0;
    for (let other = 1; other < workers; other += 1) if ((freeAt[other] ?? 0) < (freeAt[slot] ?? 0)) slot = other;
    // The first in line whose sender is free when the worker is (most often the first of all); if
    // none is, the worker waits for whoever's sender is free soonest.
    let startAt = freeAt[slot] ?? 0;
    let next = waiting.findIndex((job) => freeBy(job.sender) <= startAt);
    if (next === -1) {
      next = 0;
      for (let at = 1; at < waiting.length; at += 1) if (freeBy(waiting[at]?.sender) < freeBy(waiting[next]?.sender)) next = at;
      startAt = freeBy(waiting[next]?.sender);
    }
    const [job] = waiting.splice(next, 1);
    if (job === undefined) break;
    const end = startAt + runSeconds;
    freeAt[slot] = end;
    if (job.sender !== undefined) senderFreeAt.set(job.sender, end);
    ready[job.index] = end;
  }
  return ready;
};

/** Open jobs past this many are not listed for every prompt: the ack counts them instead. */
export const OPEN_LINE_LIMIT = 200;

/** The open jobs as last read: the senders waiting, first in line first, and the jobs running. */
export interface OpenLine {
  readonly waiting: readonly { readonly taskId: string; readonly sender?: string }[];
  /** Each running job's sender and how long it had run when read. */
  readonly running: readonly { readonly sender?: string; readonly elapsedSeconds: number }[];
}

/**
 * Where a queued job stands, `ahead` jobs waiting before it by the queue's count, with the line's
 * senders as last read: the jobs ahead of it that start no later than it, plus one, and when it
 * should be ready (with `runSeconds`). The count alone misleads both ways: a job behind another
 * sender's backlog starts as soon as a worker is free, one behind its sender's own jobs waits for
 * each of them. The line read may be a moment old: `since` lists the jobs this process queued after
 * it; where more are listed before the job than the count says, the oldest have started since and
 * hold a worker and their sender; where fewer, the others are of senders not known here.
 */
export const standingInLine = (options: {
  /** The job's task: where it is listed, the jobs listed after it do not count. */
  readonly taskId: string;
  readonly sender: string;
  readonly ahead: number;
  readonly line: OpenLine;
  readonly since?: OpenLine['waiting'];
  readonly workers: number;
  readonly runSeconds?: number;
}): { place: number; startsNow: boolean; readySeconds?: number } => {
  const { runSeconds, ahead } = options;
  // Without a basis for time, any unit orders the jobs the same way.
  const run = runSeconds ?? 60;
  const listed = new Set<string>();
  const known = [...options.line.waiting, ...(options.since ?? [])].filter((job) => !listed.has(job.taskId) && listed.add(job.taskId));
  const at = known.findIndex((job) => job.taskId === options.taskId);
  const before = (at === -1 ? known : known.slice(0, at)).map((job) => job.sender);
  const started = before.slice(0, Math.max(0, before.length - ahead));
  const waiting = [...Array.from({ length: Math.max(0, ahead - before.length) }, () => undefined), ...before.slice(started.length)];
  const running = [
    ...options.line.running.map((job) => ({ sender: job.sender, remainingSeconds: runSeconds === undefined ? run : run - job.elapsedSeconds })),
    ...started.map((sender) => ({ sender, remainingSeconds: run })),
  ];
  const ready = readySecondsInLine([...waiting, options.sender], Math.max(1, options.workers), run, running);
  const mine = ready[ready.length - 1] ?? run;
  // A run each: a job ahead ending no later started no later (at the same moment, on another worker, it still goes first).
  const first = ready.slice(0, -1).filter((end) => end <= mine).length;
  // Starting now: ready one run from now, on a worker idle now. A job that overran its estimate may
  // end any moment (ready counts it so), but holds its worker until it does; the jobs ahead starting
  // now take the idle workers first.
  const idle = options.workers - options.line.running.length - started.length;
  const startingAhead = ready.slice(0, -1).filter((end) => end <= run).length;
  return { place: first + 1, startsNow: mine <= run && startingAhead < idle, ...(runSeconds === undefined ? {} : { readySeconds: mine }) };
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
