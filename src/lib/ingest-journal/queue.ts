/** What the ingest journal needs of the embedded queue. */
import type { NewJobRow } from '../queue/sqlite/jobs.ts';
import type { SqliteJobQueue } from '../queue/sqlite/queue.ts';
import type { Task } from '../store/port.ts';

/** What the journal needs of the embedded queue (SqliteJobQueue). */
export interface JournalQueue {
  readonly queueName: string;
  /** The job row of a task, as the queue adds it. */
  rowOf(task: Task): NewJobRow;
  lineLengthWithin(): number;
  addedElsewhere(): void;
}

/** The embedded queue as the journal uses it (its jobs carry the task's id, in the sender's group). */
export const journalQueueOf = (queue: SqliteJobQueue<{ taskId: string }>): JournalQueue => ({
  queueName: queue.queueName,
  rowOf: (task) => queue.rowOf({ taskId: task.taskId }, { jobId: task.jobId ?? task.taskId, group: task.sessionId }),
  lineLengthWithin: () => queue.lineLengthWithin(),
  addedElsewhere: () => queue.addedElsewhere(),
});

