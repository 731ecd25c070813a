/**
 * How long a queue keeps finished jobs: long enough for status, for the dedupe of a late retry and
 * for a retry by hand; then it forgets them (Redis through BullMQ's own removal, SQLite by its
 * workers, hourly), so a long-running bot's queue does not grow with every video it ever made.
 */
export const RETAIN_COMPLETED_MS = 7 * 24 * 3600 * 1000;
/** Failed and canceled jobs are kept longer: they are the ones an operator comes back to. */
export const RETAIN_FAILED_MS = 30 * 24 * 3600 * 1000;
