/** What every store adapter maps and checks the same way: the task patch's fields, limits. */
import { vidbotError } from '../errors.ts';
import type { TaskPatch } from './port.ts';

/**
 * Every patchable task field and its stored name (an SQLite column, a MongoDB field: the seed's
 * snake_case). A Record, so a new TaskPatch field fails to compile until it is mapped here.
 */
export const TASK_PATCH_FIELDS: Readonly<Record<keyof TaskPatch, string>> = {
  status: 'status',
  stage: 'stage',
  progress: 'progress',
  attempts: 'attempts',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  polishedPrompt: 'polished_prompt',
  remoteJobId: 'remote_job_id',
  remoteJobRequestedAt: 'remote_job_requested_at',
  remoteProvider: 'remote_provider',
  generation: 'generation',
  jobId: 'job_id',
  delivery: 'delivery',
  filePath: 'file_path',
  videoUrl: 'cloud_url',
  mediaId: 'media_id',
  videoId: 'video_id',
  cacheHit: 'cache_hit',
  error: 'error',
  errorCode: 'error_code',
  cancelRequested: 'cancel_requested',
};

/** Patching these with undefined leaves them as they are; other fields are cleared by undefined. */
export const TASK_REQUIRED_FIELDS: ReadonlySet<string> = new Set(['status', 'attempts']);

/** Fields stored as a structure (an SQLite JSON column, a MongoDB subdocument). */
export const TASK_STRUCTURED_FIELDS: ReadonlySet<string> = new Set(['delivery', 'generation']);

export const DEFAULT_LIMIT = 20;

/**
 * Limits and offsets are non-negative integers; 0 is a valid limit that returns nothing. Only code
 * passes them here (the API checks its query parameters into a 400 first), so a bad one is a bug.
 */
export const count = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${value}.`);
  }
  return value;
};
