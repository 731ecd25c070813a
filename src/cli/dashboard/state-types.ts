/** What the dashboard's state is made of: its rows, the events it reduces, and the state itself. */
import type { ActivityEvent, Origin } from '../../lib/activity/feed.ts';
import type { TaskStatus } from '../../lib/domain.ts';
import type { QueueCounts } from '../../lib/queue/port.ts';

export type JobStatus = 'queued' | 'running' | 'retrying' | 'done' | 'failed' | 'canceled';

export interface JobRow {
  readonly jobId: string;
  readonly taskId?: string;
  readonly status: JobStatus;
  readonly prompt?: string;
  readonly sender?: string;
  readonly stage?: string;
  /** The current stage's progress; absent for stages that report none. */
  readonly percent?: number;
  readonly message?: string;
  /** When the job was queued: the order of the queued rows. */
  readonly queuedAt: number;
  /** When the current attempt started. */
  readonly startedAt?: number;
  /** The attempt running now, or the next one while waiting to retry. */
  readonly attempt: number;
  /** When a job waiting to retry becomes due. */
  readonly retryAt?: number;
  readonly error?: string;
  readonly finishedAt?: number;
  readonly durationMs?: number;
  /** Still running when the server stopped: it went back to the queue. */
  readonly handedBack?: boolean;
  /** Known only from the task list (run by another process): no event of this one will end it. */
  readonly listedOnly?: boolean;
  /** The provider that made the video (failover may pick another than the first), once made. */
  readonly madeBy?: string;
  /** Its estimated cost, when its model has a price. */
  readonly cost?: number;
  /** The process that runs it (or ran it last), when jobs may run in several. */
  readonly origin?: Origin;
}

/** An open task as the store has it: what the queue's events do not carry (prompt, sender, queued jobs). */
export interface OpenTask {
  readonly jobId: string;
  readonly taskId: string;
  readonly prompt: string;
  readonly sender: string;
  readonly status: TaskStatus;
  readonly stage?: string;
  readonly createdAt: number;
  readonly startedAt?: number;
}

export interface WorkersView {
  readonly running: number;
  readonly concurrency: number;
  /** Every worker process is paused. */
  readonly paused: boolean;
  readonly processes?: number;
  readonly machines?: number;
  readonly pausedProcesses?: number;
}

export interface LogLine {
  readonly ts: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

export type StopState =
  | { readonly phase: 'stopping'; readonly graceSec: number; readonly running: readonly string[] }
  | {
      readonly phase: 'stopped';
      readonly running: readonly string[];
      /** Jobs the workers handed back to the queue; null when this process ran no jobs. */
      readonly handedBack: number | null;
      /** Jobs waiting in the queue as the stop began (the queue's own count), when it could be read. */
      readonly waiting?: number;
    };

/** What the dashboard draws from: the activity feed's events, plus what `vidbot serve` adds. */
export type DashboardEvent =
  | ActivityEvent
  | { readonly type: 'tasks'; readonly tasks: readonly OpenTask[]; readonly runSeconds?: number; readonly ts: number }
  | { readonly type: 'stopping'; readonly graceSec: number; readonly ts: number }
  | { readonly type: 'stopped'; readonly handedBack: number | null; readonly waiting?: number; readonly ts: number };

export interface DashboardState {
  readonly jobs: readonly JobRow[];
  /** Finished rows dropped to bound memory, by status, so the session's counts stay whole. */
  readonly dropped: { readonly done: number; readonly failed: number; readonly canceled: number };
  /** True once open tasks were listed: queued rows are then complete (a remote viewer gets none). */
  readonly listsQueued: boolean;
  /** The queue's own counts, for the queued jobs a viewer without task lists cannot show. */
  readonly queueCounts: QueueCounts;
  /** Summed over every worker process heard from, when the feed hears the others (Redis). */
  readonly workers: WorkersView;
  /** Mean run time of recent tasks, the basis of the ETAs (the bot's acknowledgement uses the same). */
  readonly runSeconds?: number;
  /** Index into the failed rows (newest first) that `r` retries. */
  readonly selected: number;
  readonly log: readonly LogLine[];
  readonly stop?: StopState;
}
