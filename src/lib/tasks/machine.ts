/**
 * The task's state machine, written down once: every change of a task's status is one of these
 * moves, applied with a compare-and-set on the status it leaves, so two actors (a worker and a
 * cancel, a worker and a receipt) can never both move the same task.
 */
import type { TaskStatus } from '../domain.ts';
import { vidbotError } from '../errors.ts';
import type { Store, Task, TaskPatch } from '../store/port.ts';

interface Move {
  readonly from: readonly TaskStatus[];
  readonly to: TaskStatus;
}

export const MOVES = {
  /** A worker begins making the video (again, from processing, after the last worker died mid-run). */
  start: { from: ['queued', 'processing'], to: 'processing' },
  /** Handed back: released at shutdown, or a retryable failure waits for the next attempt. */
  requeue: { from: ['processing'], to: 'queued' },
  /** The video is made and kept; its delivery begins (from queued when a rerun finds the video already made). */
  made: { from: ['queued', 'processing'], to: 'delivering' },
  /** Made for nobody to deliver to (`vidbot generate`, an API task without a sender). */
  kept: { from: ['processing'], to: 'done' },
  /** The channel accepted the message carrying the result. */
  accepted: { from: ['delivering'], to: 'done' },
  /** Nothing more can be done: a final error, a refusal, or the queue gave up on the job. */
  fail: { from: ['queued', 'processing', 'delivering'], to: 'failed' },
  /** A receipt says the result never arrived and no fallback is left. */
  undelivered: { from: ['done'], to: 'failed' },
  /** A receipt says the result the task gave up on arrived after all (the send's answer was lost). */
  arrived: { from: ['failed'], to: 'done' },
  /** A receipt says the media failed, or the 24-hour window closed: a fallback message is sent. */
  follow: { from: ['done'], to: 'delivering' },
  cancel: { from: ['queued', 'processing'], to: 'canceled' },
  /** Run again: with its video kept, a failed task is only delivered again. */
  retry: { from: ['failed', 'canceled'], to: 'queued' },
} as const satisfies Record<string, Move>;

export type MoveName = keyof typeof MOVES;

/** Whether a task in this status may make this move. */
export const canMove = (name: MoveName, status: TaskStatus): boolean => (MOVES[name].from as readonly TaskStatus[]).includes(status);

/**
 * Applies a move with its patch; null when the task was no longer in a status the move leaves
 * (another actor moved it first). `finishedAt` is stamped on moves into a final status.
 */
export const move = async (store: Store, taskId: string, name: MoveName, patch: TaskPatch = {}): Promise<Task | null> => {
  const { from, to } = MOVES[name];
  const final = to === 'done' || to === 'failed' || to === 'canceled';
  return store.transitionTask(taskId, from, { ...(final ? { finishedAt: Date.now() } : {}), ...patch, status: to });
};

/** A move that must happen: throws when another actor got there first (a bug, or a race worth seeing). */
export const mustMove = async (store: Store, taskId: string, name: MoveName, patch: TaskPatch = {}): Promise<Task> => {
  const moved = await move(store, taskId, name, patch);
  if (moved !== null) return moved;
  const task = await store.getTask(taskId);
  throw vidbotError('VIDBOT_INTERNAL', `Task ${taskId} could not ${name}: it is ${task?.status ?? 'gone'}.`);
};

/** The job id a task gets when it is run again: `<taskId>#2`, `#3`, ... */
export const nextJobId = (task: Task): string => {
  const match = /#(\d+)$/.exec(task.jobId ?? '');
  return `${task.taskId}#${match ? Number(match[1]) + 1 : 2}`;
};
