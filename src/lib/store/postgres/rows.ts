/**
 * Mapping between PostgreSQL rows (snake_case columns; json already parsed, booleans and BIGINTs as
 * the pool returns them) and the port's objects (camelCase; absent optional fields, never null).
 */
import type { DeliveryStatus, PipelineStage, TaskDelivery, TaskStatus } from '../../domain.ts';
import { vidbotError } from '../../errors.ts';
import { compact } from '../../objects.ts';
import type { CacheEntry, InboundClaim, KeptReceipt, OutboundRecord, SessionMessage, Task, TaskGeneration, TaskOptions, Video } from '../port.ts';
import type { Param, Row } from './pool.ts';

const corrupt = (column: string, value: unknown): Error =>
  vidbotError('VIDBOT_STORE_FAILED', `Unexpected value in column ${column}: ${String(value)}.`, { retryable: false });

const isNull = (value: unknown): value is null | undefined => value === null || value === undefined;

const str = (row: Row, column: string): string => {
  const value = row[column];
  if (typeof value === 'string') return value;
  throw corrupt(column, value);
};

const optStr = (row: Row, column: string): string | undefined => (isNull(row[column]) ? undefined : str(row, column));

const optNum = (row: Row, column: string): number | undefined => {
  const value = row[column];
  if (isNull(value)) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw corrupt(column, value);
};

const num = (row: Row, column: string): number => {
  const value = optNum(row, column);
  if (value === undefined) throw corrupt(column, value);
  return value;
};

const optBool = (row: Row, column: string): boolean | undefined => {
  const value = row[column];
  if (isNull(value)) return undefined;
  if (typeof value === 'boolean') return value;
  throw corrupt(column, value);
};

const optRecord = <T>(row: Row, column: string): T | undefined => {
  const value = row[column];
  if (isNull(value)) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as T;
  throw corrupt(column, JSON.stringify(value));
};

const record = <T>(row: Row, column: string): T => {
  const value = optRecord<T>(row, column);
  if (value === undefined) throw corrupt(column, value);
  return value;
};

/** NULL for absent values. */
export const toParam = (value: string | number | boolean | undefined | null): Param => value ?? null;

/** JSON text for a json column (the driver would turn an array into a PostgreSQL array). */
export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export const taskFromRow = (row: Row): Task =>
  compact({
    taskId: str(row, 'task_id'),
    prompt: str(row, 'prompt'),
    sessionId: str(row, 'sid'),
    from: str(row, 'from_addr'),
    options: record<TaskOptions>(row, 'options'),
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
    delivery: optRecord<TaskDelivery>(row, 'delivery'),
    generation: optRecord<TaskGeneration>(row, 'generation'),
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
    meta: optRecord<Record<string, unknown>>(row, 'meta'),
    updatedAt: num(row, 'updated_at'),
  });

export const messageFromRow = (row: Row): SessionMessage =>
  compact({
    role: str(row, 'role') as SessionMessage['role'],
    text: str(row, 'text'),
    meta: optRecord<Record<string, unknown>>(row, 'meta'),
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
