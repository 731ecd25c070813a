export { createSqliteQueue, type SqliteJobQueue, type SqliteQueueOptions } from './queue.ts';
