export { createSqliteQueue, type SqliteQueueOptions } from './queue.ts';
