/**
 * The dashboard's view of the activity feed and of the open tasks: a pure reducer, so every screen
 * state is testable. One list of job rows feeds both the table and the counts, so they always agree.
 */
import type { ActivityEvent, Origin } from '../../lib/activity/feed.ts';
import { madeByText } from '../format.ts';
import { inSeconds, oneLine, plural, shortId } from './format.ts';
import type { DashboardEvent, DashboardState, JobRow, JobStatus, LogLine, OpenTask } from './state-types.ts';

export type { DashboardEvent, DashboardState, JobRow, JobStatus, LogLine, OpenTask, StopState, WorkersView } from './state-types.ts';

const MAX_LOG = 200;
const MAX_FINISHED = 200;
const FINISHED: readonly JobStatus[] = ['done', 'failed', 'canceled'];

export const initialState: DashboardState = {
  jobs: [],
  dropped: { done: 0, failed: 0, canceled: 0 },
  listsQueued: false,
  queueCounts: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 },
  workers: { running: 0, concurrency: 0, paused: false },
  selected: 0,
  log: [],
};

export const isFinished = (row: JobRow): boolean => FINISHED.includes(row.status);

const addLog = (state: DashboardState, ts: number, level: LogLine['level'], text: string): DashboardState => ({
  ...state,
  log: [...state.log, { ts, level, text }].slice(-MAX_LOG),
});

/** What a new attempt or a finished job no longer shows: nothing stale from an earlier attempt. */
const CLEARED = { stage: undefined, percent: undefined, message: undefined, retryAt: undefined } as const;

const newRow = (jobId: string, ts: number): JobRow => ({ jobId, status: 'queued', queuedAt: ts, attempt: 1 });

/** Replaces (or adds) one job's row; keeps finished rows bounded. */
const putRow = (state: DashboardState, row: JobRow): DashboardState => {
  const jobs = [...state.jobs.filter((job) => job.jobId !== row.jobId), row];
  const finished = jobs.filter(isFinished);
  if (finished.length <= MAX_FINISHED) return { ...state, jobs };
  const oldest = finished.sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0))[0];
  if (!oldest) return { ...state, jobs };
  const key = oldest.status as keyof DashboardState['dropped'];
  return { ...state, jobs: jobs.filter((job) => job !== oldest), dropped: { ...state.dropped, [key]: state.dropped[key] + 1 } };
};

const rowOf = (state: DashboardState, jobId: string): JobRow | undefined => state.jobs.find((job) => job.jobId === jobId);

/** How a job is named in the log: its short id, and its prompt when known. */
const named = (row: JobRow | undefined, jobId: string): string => (row?.prompt ? `${shortId(jobId)} "${oneLine(row.prompt)}"` : shortId(jobId));

/** What a job's event adds to its row whatever it says: where it runs, and who it is for (the task list's full prompt wins). */
const stamped = (row: JobRow, event: { origin?: Origin; prompt?: string; sender?: string }): Partial<JobRow> => ({
  ...(event.origin ? { origin: event.origin } : {}),
  ...(event.prompt && !row.prompt ? { prompt: event.prompt } : {}),
  ...(event.sender && !row.sender ? { sender: event.sender } : {}),
});

/** A job's machine in the log: its host, or host:pid when some host runs more than one worker process (as the table names it). */
const placeOf = (state: DashboardState, origin: Origin): string =>
  (state.workers.processes ?? 1) > (state.workers.machines ?? 1) ? `${origin.host}:${origin.pid}` : origin.host;

const reduceJob = (state: DashboardState, event: Extract<ActivityEvent, { type: 'job' }>): DashboardState => {
  const current = rowOf(state, event.jobId);
  const { listedOnly: _listed, ...known } = current ?? newRow(event.jobId, event.ts);
  const row: JobRow = { ...known, ...stamped(known, event) };
  switch (event.kind) {
    case 'active': {
      const attempt = event.attempt ?? 1;
      const next = { ...row, ...CLEARED, status: 'running' as const, attempt, startedAt: event.ts, error: undefined, handedBack: undefined };
      const where = event.origin ? ` on ${placeOf(state, event.origin)}` : '';
      return addLog(putRow(withoutRetried(state, event.jobId), next), event.ts, 'info', `${named(row, event.jobId)} started${where}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    }
    case 'completed': {
      const next = { ...row, ...CLEARED, status: 'done' as const, finishedAt: event.ts, durationMs: event.durationMs ?? 0 };
      return addLog(putRow(state, next), event.ts, 'info', `${shortId(event.jobId)} done in ${((event.durationMs ?? 0) / 1000).toFixed(1)} s`);
    }
    case 'failed': {
      const next = { ...row, ...CLEARED, status: 'failed' as const, finishedAt: event.ts, error: event.error ?? 'failed' };
      return addLog(putRow(state, next), event.ts, 'error', `${shortId(event.jobId)} failed: ${oneLine(event.error ?? '')}`);
    }
    case 'retrying': {
      const failedAttempt = event.attempt ?? row.attempt;
      const retryAt = event.delayMs === undefined ? undefined : event.ts + event.delayMs;
      const next: JobRow = { ...row, ...CLEARED, status: 'retrying', attempt: failedAttempt + 1, error: event.error ?? '', ...(retryAt === undefined ? {} : { retryAt }) };
      const when = event.delayMs === undefined ? 'it will be retried' : `retry in ${inSeconds(event.delayMs / 1000)}`;
      return addLog(putRow(state, next), event.ts, 'warn', `${shortId(event.jobId)} attempt ${failedAttempt} failed: ${oneLine(event.error ?? '')}; ${when}`);
    }
    case 'canceled':
      return addLog(putRow(state, { ...row, ...CLEARED, status: 'canceled', finishedAt: event.ts }), event.ts, 'info', `${shortId(event.jobId)} canceled`);
    case 'stalled':
      return addLog(putRow(state, { ...row, ...CLEARED, status: 'queued' }), event.ts, 'warn', `${shortId(event.jobId)} taken back from a worker that stopped`);
    // A receipt's verdict after the job ended: its video did not reach the user after all (so `r` can send it again), or did.
    case 'undelivered': {
      const next = { ...row, ...CLEARED, status: 'failed' as const, finishedAt: event.ts, error: event.error ?? 'not delivered' };
      return addLog(putRow(state, next), event.ts, 'error', `${named(row, event.jobId)} not delivered: ${oneLine(event.error ?? '')}`);
    }
    case 'delivered': {
      const next = { ...row, ...CLEARED, status: 'done' as const, finishedAt: row.finishedAt ?? event.ts, error: undefined, durationMs: row.durationMs ?? 0 };
      return addLog(putRow(state, next), event.ts, 'info', `${named(row, event.jobId)} delivered after all`);
    }
  }
};

const reduceStage = (state: DashboardState, event: Extract<ActivityEvent, { type: 'stage' }>): DashboardState => {
  const current = rowOf(state, event.jobId);
  // A late event of an attempt that already ended must not bring its stage or percent back.
  if (current && current.status !== 'running') return state;
  const row = current ?? { ...newRow(event.jobId, event.ts), status: 'running' as const, startedAt: event.ts };
  const next: JobRow = {
    ...row,
    ...stamped(row, event),
    listedOnly: undefined,
    stage: event.stage,
    ...(event.state === 'start' || event.stage !== row.stage ? { percent: undefined, message: undefined } : {}),
    ...(event.percent === undefined ? {} : { percent: event.percent }),
    ...(event.message === undefined || event.state === 'skip' ? {} : { message: event.message }),
  };
  return putRow(state, next);
};

/** The task behind a job: a retried task runs under `<taskId>#2`, `#3`, ... */
const taskOfJob = (jobId: string): string => jobId.replace(/#\d+$/, '');
const taskOf = (row: JobRow): string => row.taskId ?? taskOfJob(row.jobId);

/**
 * A task's failed or canceled rows, once a job of it starts again (a retry, `r`): counted once,
 * under its new job, and no longer offered to `r`. (A resend is done before any task list shows it.)
 */
const withoutRetried = (state: DashboardState, jobId: string): DashboardState => {
  const task = taskOfJob(jobId);
  const jobs = state.jobs.filter((row) => row.jobId === jobId || !(row.status === 'failed' || row.status === 'canceled') || taskOf(row) !== task);
  return jobs.length === state.jobs.length ? state : { ...state, jobs };
};

const reduceTasks = (state: DashboardState, tasks: readonly OpenTask[], runSeconds: number | undefined): DashboardState => {
  const open = new Map(tasks.map((task) => [task.jobId, task]));
  const retried = new Set(tasks.map((task) => task.taskId));
  const jobs: JobRow[] = [];
  for (const row of state.jobs) {
    const task = open.get(row.jobId);
    // A queued row whose task is no longer open was taken care of elsewhere (canceled, or another process
    // ran it); so was a row only the list ever showed.
    if (!task && ((row.status === 'queued' && !row.handedBack) || (row.listedOnly && !isFinished(row)))) continue;
    // A failed job that was retried is counted once, under its new job.
    if ((row.status === 'failed' || row.status === 'canceled') && !task && retried.has(taskOf(row))) continue;
    // Events own the status of a known row: a list read before an event must not undo it.
    jobs.push(task ? { ...row, taskId: task.taskId, prompt: task.prompt, sender: task.sender, ...(row.stage === undefined && task.stage ? { stage: task.stage } : {}) } : row);
    open.delete(row.jobId);
  }
  for (const task of open.values()) {
    const running = task.status !== 'queued';
    jobs.push({
      ...newRow(task.jobId, task.createdAt),
      taskId: task.taskId,
      prompt: task.prompt,
      sender: task.sender,
      status: running ? 'running' : 'queued',
      listedOnly: true,
      ...(running ? { startedAt: task.startedAt ?? task.createdAt, ...(task.stage ? { stage: task.stage } : {}) } : {}),
    });
  }
  return { ...state, jobs, listsQueued: true, ...(runSeconds === undefined ? {} : { runSeconds }) };
};

const reduceWorkers = (state: DashboardState, event: Extract<ActivityEvent, { type: 'workers' }>): DashboardState => {
  const { type: _type, ts: _ts, ...workers } = event;
  const next = { ...state, workers };
  // Stopping pauses the workers too; that is said by the stop notice, not as a pause.
  if (event.paused === state.workers.paused || state.stop) return next;
  return event.paused
    ? addLog(next, event.ts, 'warn', 'Workers paused: running jobs go on, no new job starts.')
    : addLog(next, event.ts, 'info', 'Workers resumed.');
};

const runningIds = (state: DashboardState): string[] => state.jobs.filter((job) => job.status === 'running').map((job) => job.jobId);

export const reduce = (state: DashboardState, event: DashboardEvent): DashboardState => {
  switch (event.type) {
    case 'counts':
      return { ...state, queueCounts: event.counts };
    case 'workers':
      return reduceWorkers(state, event);
    case 'log':
      return addLog(state, event.ts, event.level, event.message);
    case 'stage':
      return reduceStage(state, event);
    case 'made': {
      const row = rowOf(state, event.jobId);
      const base = row ?? { ...newRow(event.jobId, event.ts), status: 'running' as const, startedAt: event.ts };
      const made = { ...base, ...stamped(base, event), madeBy: event.provider, ...(event.cost === undefined ? {} : { cost: event.cost }) };
      return addLog(putRow(state, made), event.ts, 'info', `${named(row, event.jobId)} made by ${madeByText(event)}`);
    }
    case 'job':
      return reduceJob(state, event);
    case 'tasks':
      return reduceTasks(state, event.tasks, event.runSeconds);
    case 'stopping': {
      const running = runningIds(state);
      const text = running.length > 0 ? `Stopping: ${plural(running.length, 'running job')} ${running.length === 1 ? 'gets' : 'get'} up to ${event.graceSec} s to finish.` : 'Stopping.';
      return addLog({ ...state, stop: { phase: 'stopping', graceSec: event.graceSec, running } }, event.ts, 'info', text);
    }
    case 'stopped': {
      const running = state.stop?.running ?? runningIds(state);
      // Jobs still running when the workers closed went back to the queue; other processes' jobs are not ours to mark.
      const jobs = event.handedBack === null ? state.jobs : state.jobs.map((job) => (job.status === 'running' ? { ...job, ...CLEARED, status: 'queued' as const, handedBack: true } : job));
      return { ...state, jobs, stop: { phase: 'stopped', running, handedBack: event.handedBack, ...(event.waiting === undefined ? {} : { waiting: event.waiting }) } };
    }
  }
};

/** Moves the retry selection among failed jobs. */
export const moveSelection = (state: DashboardState, delta: number, failedCount: number): DashboardState =>
  failedCount === 0 ? state : { ...state, selected: (((state.selected + delta) % failedCount) + failedCount) % failedCount };
