/** The dashboard's view of the activity feed: a pure reducer, so every screen state is testable. */
import type { ActivityEvent } from '../../lib/activity/feed.ts';
import type { QueueCounts } from '../../lib/queue/port.ts';

export interface RunningJob {
  readonly jobId: string;
  readonly workerId?: string;
  readonly stage?: string;
  readonly percent?: number;
  readonly message?: string;
  readonly since: number;
}

export interface LogLine {
  readonly ts: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

export interface DashboardState {
  readonly counts: QueueCounts;
  readonly workers: { readonly running: number; readonly concurrency: number; readonly paused: boolean };
  readonly running: readonly RunningJob[];
  /** Completion times, for throughput over the last minute. */
  readonly completedAt: readonly number[];
  /** Durations of the latest completed jobs, newest last. */
  readonly durations: readonly number[];
  /** Failed jobs that `r` can retry, newest first. */
  readonly failed: readonly { readonly jobId: string; readonly error: string }[];
  readonly selected: number;
  readonly log: readonly LogLine[];
}

const MAX_LOG = 50;
const MAX_FAILED = 10;

export const initialState: DashboardState = {
  counts: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 },
  workers: { running: 0, concurrency: 0, paused: false },
  running: [],
  completedAt: [],
  durations: [],
  failed: [],
  selected: 0,
  log: [],
};

const short = (id: string): string => (id.length > 12 ? id.slice(0, 8) : id);

const addLog = (state: DashboardState, line: LogLine): DashboardState => ({ ...state, log: [...state.log, line].slice(-MAX_LOG) });

const withoutJob = (state: DashboardState, jobId: string) => state.running.filter((job) => job.jobId !== jobId);

export const reduce = (state: DashboardState, event: ActivityEvent): DashboardState => {
  switch (event.type) {
    case 'counts':
      return { ...state, counts: event.counts };
    case 'workers':
      return { ...state, workers: { running: event.running, concurrency: event.concurrency, paused: event.paused } };
    case 'log':
      return addLog(state, { ts: event.ts, level: event.level, text: event.message });
    case 'stage': {
      const current = state.running.find((job) => job.jobId === event.jobId);
      const base: RunningJob = current ?? { jobId: event.jobId, since: event.ts };
      const next: RunningJob = {
        ...base,
        stage: event.stage,
        ...(event.state === 'start' ? { percent: 0, message: '' } : {}),
        ...(event.percent === undefined ? {} : { percent: event.percent }),
        ...(event.message === undefined || event.state === 'skip' ? {} : { message: event.message }),
      };
      return { ...state, running: [...withoutJob(state, event.jobId), next] };
    }
    case 'job': {
      const id = short(event.jobId);
      switch (event.kind) {
        case 'active':
          return addLog(
            { ...state, running: [...withoutJob(state, event.jobId), { jobId: event.jobId, ...(event.workerId ? { workerId: event.workerId } : {}), since: event.ts }] },
            { ts: event.ts, level: 'info', text: `${id} started${event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}` },
          );
        case 'completed':
          return addLog(
            {
              ...state,
              running: withoutJob(state, event.jobId),
              completedAt: [...state.completedAt, event.ts].filter((ts) => event.ts - ts <= 60_000),
              durations: [...state.durations, event.durationMs ?? 0].slice(-20),
              failed: state.failed.filter((job) => job.jobId !== event.jobId),
            },
            { ts: event.ts, level: 'info', text: `${id} done in ${((event.durationMs ?? 0) / 1000).toFixed(1)} s` },
          );
        case 'failed': {
          const failed = [{ jobId: event.jobId, error: event.error ?? 'failed' }, ...state.failed.filter((job) => job.jobId !== event.jobId)].slice(0, MAX_FAILED);
          return addLog(
            { ...state, running: withoutJob(state, event.jobId), failed, selected: Math.min(state.selected, failed.length - 1) },
            { ts: event.ts, level: 'error', text: `${id} failed: ${event.error ?? ''}` },
          );
        }
        case 'retrying':
          return addLog({ ...state, running: withoutJob(state, event.jobId) }, { ts: event.ts, level: 'warn', text: `${id} will retry: ${event.error ?? ''}` });
        case 'canceled':
          return addLog({ ...state, running: withoutJob(state, event.jobId) }, { ts: event.ts, level: 'info', text: `${id} canceled` });
        case 'stalled':
          return addLog(state, { ts: event.ts, level: 'warn', text: `${id} taken back from a worker that stopped` });
      }
    }
  }
  return state;
};

/** Moves the retry selection among failed jobs. */
export const select = (state: DashboardState, delta: number): DashboardState =>
  state.failed.length === 0 ? state : { ...state, selected: (state.selected + delta + state.failed.length) % state.failed.length };

/** Jobs finished in the last minute, as of `now`. */
export const perMinute = (state: DashboardState, now: number): number => state.completedAt.filter((ts) => now - ts <= 60_000).length;

export const medianSeconds = (durations: readonly number[]): number | undefined => {
  if (durations.length === 0) return undefined;
  const sorted = [...durations].sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? 0) / 1000;
};
