/**
 * Mapping between SQLite rows (snake_case columns, JSON text, 0/1 booleans, NULL) and the port's
 * objects (camelCase, absent optional fields rather than undefined or null values).
 */
import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import { vidbotError } from '../../errors.ts';
import { compact } from '../../objects.ts';
import type { DeliveryStatus, PipelineStage, TaskDelivery, TaskStatus } from '../../domain.ts';
import type { CacheEntry, InboundClaim, KeptReceipt, NewTask, OutboundRecord, SessionMessage, Task, TaskGeneration, TaskOptions, Video } from '../port.ts';

export type Row = Record<string, SQLOutputValue>;

const corrupt = (column: string, value: unknown): Error =>
  vidbotError('VIDBOT_STORE_FAILED', `Unexpected value in column ${column}: ${String(value)}.`, { retryable: false });

const str = (row: Row, column: string): string => {
  const value = row[column];
  if (typeof value === 'string') return value;
  throw corrupt(column, value);
};

const optStr = (row: Row, column: string): string | undefined => {
  const value = row[column];
  return value === null || value === undefined ? undefined : str(row, column);
};

const optNum = (row: Row, column: string): number | undefined => {
  const value = row[column];
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw corrupt(column, value);
};

const num = (row: Row, column: string): number => {
  const value = optNum(row, column);
  if (value === undefined) throw corrupt(column, value);
  return value;
};

const optBool = (row: Row, column: string): boolean | undefined => {
  const value = optNum(row, column);
  return value === undefined ? undefined : value !== 0;
};

const optJson = <T>(row: Row, column: string): T | undefined => {
  const text = optStr(row, column);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw vidbotError('VIDBOT_STORE_FAILED', `Invalid JSON in column ${column}.`, { cause: error, retryable: false });
  }
};

const json = <T>(row: Row, column: string): T => {
  const value = optJson<T>(row, column);
  if (value === undefined) throw corrupt(column, value);
  return value;
};

export { compact };

/** NULL for absent values; SQLite has no booleans, so 0/1. */
export const toSql = (value: string | number | boolean | undefined | null): SQLInputValue => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
};

export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export const taskFromRow = (row: Row): Task =>
  compact({
    taskId: str(row, 'task_id'),
    prompt: str(row, 'prompt'),
    sessionId: str(row, 'sid'),
    from: str(row, 'from_addr'),
    options: json<TaskOptions>(row, 'options'),
    messageId: optStr(row, 'message_sid'),
    jobId: optStr(row, 'job_id'),
    channel: optStr(row, 'channel'),
    status: str(row, 'status') as TaskStatus,
    stage: optStr(row, 'stage') as PipelineStage | undefined,
    progress: optNum(row, 'progress'),
    attempts: num(row, 'attempts'),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
    startedAt: optNum(row, 'started_at'),
    finishedAt: optNum(row, 'finished_at'),
    polishedPrompt: optStr(row, 'polished_prompt'),
    remoteJobId: optStr(row, 'remote_job_id'),
    remoteJobRequestedAt: optNum(row, 'remote_job_requested_at'),
    remoteProvider: optStr(row, 'remote_provider'),
    filePath: optStr(row, 'file_path'),
    videoUrl: optStr(row, 'cloud_url'),
    mediaId: optStr(row, 'media_id'),
    videoId: optStr(row, 'video_id'),
    cacheHit: optBool(row, 'cache_hit'),
    error: optStr(row, 'error'),
    errorCode: optStr(row, 'error_code'),
    cancelRequested: optBool(row, 'cancel_requested'),
    delivery: optJson<TaskDelivery>(row, 'delivery'),
    generation: optJson<TaskGeneration>(row, 'generation'),
  });


/** A task just inserted, as taskFromRow would read its row back: the insert need not return the row. */
export const insertedTask = (input: NewTask, taskId: string, optionsJson: string, now: number): Task => ({
  taskId,
  prompt: input.prompt,
  sessionId: input.sessionId,
  from: input.from,
  options: JSON.parse(optionsJson) as TaskOptions,
  ...(input.messageId === undefined ? {} : { messageId: input.messageId }),
  ...(input.jobId === undefined ? {} : { jobId: input.jobId }),
  ...(input.channel === undefined ? {} : { channel: input.channel }),
  status: 'queued',
  attempts: 0,
  createdAt: now,
  updatedAt: now,
});

export const videoFromRow = (row: Row): Video =>
  compact({
    videoId: str(row, 'video_id'),
    taskId: str(row, 'task_id'),
    filename: str(row, 'filename'),
    path: str(row, 'path'),
    prompt: str(row, 'prompt'),
    sessionId: str(row, 'session_id'),
    from: str(row, 'from_addr'),
    videoUrl: optStr(row, 'cloud_url'),
    mediaId: optStr(row, 'media_id'),
    sizeBytes: num(row, 'size_bytes'),
    durationSec: num(row, 'duration_sec'),
    width: optNum(row, 'width'),
    height: optNum(row, 'height'),
    createdAt: num(row, 'created_at'),
  });

export const cacheFromRow = (row: Row): CacheEntry =>
  compact({
    key: str(row, 'key'),
    promptNorm: str(row, 'prompt_norm'),
    filePath: str(row, 'file_path'),
    videoId: optStr(row, 'video_id'),
    meta: optJson<Record<string, unknown>>(row, 'meta'),
    updatedAt: num(row, 'updated_at'),
  });

export const messageFromRow = (row: Row): SessionMessage =>
  compact({
    role: str(row, 'role') as SessionMessage['role'],
    text: str(row, 'text'),
    meta: optJson<Record<string, unknown>>(row, 'meta'),
    ts: num(row, 'ts'),
  });

export const inboundFromRow = (row: Row): InboundClaim =>
  compact({
    messageId: str(row, 'message_sid'),
    from: str(row, 'from_addr'),
    receivedAt: num(row, 'received_at'),
    reply: optStr(row, 'reply'),
    taskId: optStr(row, 'task_id'),
  });

export const outboundFromRow = (row: Row): OutboundRecord =>
  compact({
    id: str(row, 'out_id'),
    messageId: optStr(row, 'message_id'),
    channel: optStr(row, 'channel'),
    to: str(row, 'to_addr'),
    body: optStr(row, 'body'),
    mediaUrl: optStr(row, 'media_url'),
    taskId: optStr(row, 'task_id'),
    kind: str(row, 'kind'),
    status: str(row, 'status') as DeliveryStatus,
    errorCode: optStr(row, 'error_code'),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
  });

export const receiptFromRow = (row: Row): KeptReceipt =>
  compact({
    messageId: str(row, 'message_id'),
    status: str(row, 'status') as DeliveryStatus,
    errorCode: optStr(row, 'error_code'),
    receivedAt: num(row, 'received_at'),
  });
