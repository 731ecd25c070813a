/** What the screen shows, derived from the state alone: counts, the ordered rows with their ETAs, the stop summary. */
import { readySecondsInLine, secondsLeft } from '../../lib/tasks/eta.ts';
import { plural } from './format.ts';
import { type DashboardState, type JobRow, isFinished } from './state.ts';

export interface SessionCounts {
  readonly queued: number;
  readonly retrying: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
  readonly canceled: number;
  /** Queued jobs the queue counts but no row shows (a viewer without task lists). */
  readonly unlisted: number;
}

const count = (state: DashboardState, status: JobRow['status']): number => state.jobs.filter((job) => job.status === status).length;

/** The counts line: from the same rows as the table, so the two always agree. */
export const sessionCounts = (state: DashboardState): SessionCounts => {
  const queued = count(state, 'queued');
  const retrying = count(state, 'retrying');
  const waiting = state.queueCounts.waiting + state.queueCounts.delayed;
  const unlisted = state.listsQueued ? 0 : Math.max(0, waiting - queued - retrying);
  return {
    queued: queued + unlisted,
    retrying,
    running: count(state, 'running'),
    done: count(state, 'done') + state.dropped.done,
    failed: count(state, 'failed') + state.dropped.failed,
    canceled: count(state, 'canceled') + state.dropped.canceled,
    unlisted,
  };
};

export interface ShownRow {
  readonly row: JobRow;
  /**
   * Seconds until its video should be ready: recent run times (the acknowledgement's basis), a queued
   * job starting when a worker's running job should end, a sender's jobs one at a time.
   */
  readonly etaSeconds?: number;
  /** For a job waiting to retry: seconds until it is due. */
  readonly retryInSeconds?: number;
}

const RANK: Readonly<Record<JobRow['status'], number>> = { running: 0, retrying: 1, queued: 2, done: 3, failed: 3, canceled: 3 };

/** A running job's time left, as its progress message tells it: the generation's percent once past the usual. */
const runningLeft = (row: JobRow, run: number, now: number): number | undefined =>
  secondsLeft(Math.max(0, (now - (row.startedAt ?? now)) / 1000), run, row.stage === 'generate' ? row.percent : undefined);

/** Running jobs first, then those waiting to retry, then the queue in order, then the finished, newest first. */
export const orderedRows = (state: DashboardState, now: number): ShownRow[] => {
  const rows = [...state.jobs].sort((a, b) => {
    const rank = RANK[a.status] - RANK[b.status];
    if (rank !== 0) return rank;
    if (isFinished(a)) return (b.finishedAt ?? 0) - (a.finishedAt ?? 0);
    if (a.status === 'running') return (a.startedAt ?? 0) - (b.startedAt ?? 0);
    return a.queuedAt - b.queuedAt;
  });
  // The store's basis, as the bot's acknowledgement has it; a viewer without the store (status
  // --watch) goes by the jobs it saw end.
  const run = state.runSeconds ?? medianSeconds(state);
  const workers = state.workers.concurrency;
  let position = 0;
  const stopped = state.stop?.phase === 'stopped';
  const inLine = run === undefined || workers === 0 ? [] : readySecondsInLine(
    rows.filter((row) => row.status === 'queued').map((row) => row.sender),
    workers,
    run,
    // A job past its estimate with nothing to go by may end any moment.
    rows.filter((row) => row.status === 'running').map((row) => ({ sender: row.sender, remainingSeconds: runningLeft(row, run, now) ?? 0 })),
  );
  return rows.map((row): ShownRow => {
    if (row.status === 'queued') position += 1;
    // After a stop nothing here will run: no time ahead to show.
    if (stopped) return { row };
    if (row.status === 'retrying') {
      const retryIn = row.retryAt === undefined ? undefined : Math.max(0, (row.retryAt - now) / 1000);
      return { row, ...(retryIn === undefined ? {} : { retryInSeconds: retryIn }), ...(run === undefined ? {} : { etaSeconds: (retryIn ?? 0) + run }) };
    }
    if (run === undefined || isFinished(row)) return { row };
    if (row.status === 'running') {
      const left = runningLeft(row, run, now);
      return left === undefined ? { row } : { row, etaSeconds: left };
    }
    // Nothing starts while the workers are paused or stopping: no time to promise a waiting job.
    if (state.workers.paused || state.stop !== undefined) return { row };
    // Jobs run elsewhere (serve --no-workers): no basis for when they start.
    const ready = inLine[position - 1];
    return ready === undefined ? { row } : { row, etaSeconds: ready };
  });
};

const originKey = (row: JobRow): string | undefined => (row.origin ? `${row.origin.host}:${row.origin.pid}` : undefined);

/**
 * Each job's machine, when the jobs shown ran in more than one process: the host, or host:pid for
 * processes that share a host. Undefined when there is nothing to tell apart (no column then).
 */
export const machineLabels = (state: DashboardState): ((row: JobRow) => string) | undefined => {
  const origins = new Map(state.jobs.flatMap((row) => (row.origin ? [[originKey(row), row.origin] as const] : [])));
  if (origins.size < 2) return undefined;
  const perHost = new Map<string, number>();
  for (const origin of origins.values()) perHost.set(origin.host, (perHost.get(origin.host) ?? 0) + 1);
  return (row) => {
    if (!row.origin) return '';
    return (perHost.get(row.origin.host) ?? 0) > 1 ? `${row.origin.host}:${row.origin.pid}` : row.origin.host;
  };
};

/** The workers line: how many run of how many, and across how many processes and machines. */
export const workersText = (workers: DashboardState['workers']): string => {
  const { processes, machines = 1 } = workers;
  if (workers.concurrency === 0) return processes === undefined ? 'no workers in this process' : 'no worker process heard from';
  const where = processes === undefined || processes < 2 ? '' : machines > 1 ? ` on ${machines} machines` : ` in ${processes} processes`;
  const paused = workers.pausedProcesses ? ` (${workers.pausedProcesses} of ${processes} paused)` : '';
  return `workers ${workers.running}/${workers.concurrency}${where}${paused}`;
};

/** Failed rows, newest first: what ↑/↓ select and `r` retries. */
export const failedRows = (state: DashboardState): JobRow[] =>
  state.jobs.filter((job) => job.status === 'failed').sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));

export const selectedFailed = (state: DashboardState): JobRow | undefined => {
  const failed = failedRows(state);
  return failed[Math.min(state.selected, failed.length - 1)];
};

/** Jobs finished in the last minute, as of `now`. */
export const perMinute = (state: DashboardState, now: number): number =>
  state.jobs.filter((job) => job.status === 'done' && now - (job.finishedAt ?? 0) <= 60_000).length;

/** Median run time of the latest 20 jobs done this session. */
export const medianSeconds = (state: DashboardState): number | undefined => {
  const durations = state.jobs
    .filter((job) => job.status === 'done' && job.durationMs !== undefined)
    .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0))
    .slice(-20)
    .map((job) => job.durationMs ?? 0)
    .sort((a, b) => a - b);
  if (durations.length === 0) return undefined;
  return (durations[Math.floor(durations.length / 2)] ?? 0) / 1000;
};

/** What the last frame says happened to the jobs that were running when the server was asked to stop. */
export const stopSummary = (state: DashboardState): string | undefined => {
  const stop = state.stop;
  if (!stop) return undefined;
  if (stop.phase === 'stopping') {
    return stop.running.length > 0
      ? `Stopping: ${plural(stop.running.length, 'running job')} ${stop.running.length === 1 ? 'gets' : 'get'} up to ${stop.graceSec} s to finish; no new job starts.`
      : 'Stopping…';
  }
  if (stop.handedBack === null) return 'Stopped. This server ran no jobs; its queue is worked elsewhere.';
  // The jobs that were waiting all along (not those just handed back): they stay in the queue, as plain output says.
  const counts = sessionCounts(state);
  const handedBackRows = state.jobs.filter((job) => job.status === 'queued' && job.handedBack).length;
  const waiting = stop.waiting ?? Math.max(0, counts.queued + counts.retrying - handedBackRows);
  const stillWaiting = waiting > 0 ? ` ${plural(waiting, 'job')} ${waiting === 1 ? 'waits' : 'wait'} in the queue.` : '';
  if (stop.running.length === 0 && stop.handedBack === 0) return `Stopped. No job was running.${stillWaiting}`;
  const ended = stop.running.map((id) => state.jobs.find((job) => job.jobId === id)?.status);
  const parts: string[] = [];
  const finished = ended.filter((status) => status === 'done').length;
  const failed = ended.filter((status) => status === 'failed').length;
  const retrying = ended.filter((status) => status === 'retrying').length;
  const canceled = ended.filter((status) => status === 'canceled').length;
  if (finished > 0) parts.push(stop.handedBack === 0 && failed + retrying === 0 ? `${finished === 1 ? 'The running job' : `All ${finished} running jobs`} finished first` : `${plural(finished, 'job')} finished`);
  if (failed > 0) parts.push(`${plural(failed, 'job')} failed`);
  if (retrying > 0) parts.push(`${plural(retrying, 'job')} will be retried on the next start`);
  if (canceled > 0) parts.push(`${plural(canceled, 'job')} canceled`);
  if (stop.handedBack > 0) {
    parts.push(`${stop.handedBack === 1 ? '1 job was' : `${stop.handedBack} jobs were`} stopped and went back to the queue; ${stop.handedBack === 1 ? 'it resumes' : 'they resume'} on the next start`);
  }
  return `${parts.length > 0 ? `Stopped. ${parts.join('; ')}.` : 'Stopped.'}${stillWaiting}`;
};
