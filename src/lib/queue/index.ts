export type {
  AddJobOptions,
  CancelResult,
  JobContext,
  JobHandler,
  JobInfo,
  JobProgress,
  JobQueue,
  JobState,
  QueueCounts,
  QueueEventMap,
  QueueEventName,
  QueueListener,
  QueueWorker,
  RetryResult,
  WorkerOptions,
} from './port.ts';
export { createSqliteQueue, type SqliteJobQueue, type SqliteQueueOptions } from './sqlite/index.ts';
