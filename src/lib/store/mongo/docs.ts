/**
 * Mapping between MongoDB documents and the port's objects. Field names follow the seed bot's data
 * model (sessions, tasks, videos, cache: snake_case, `from`, epoch-ms numbers) so its tools keep
 * reading them; what vidbot adds uses the same style. Unset optional fields are left out of the
 * documents and absent from the objects. `_id` is the driver's and never reaches the port.
 */
import type { CacheEntry, DeliveryStatus, InboundClaim, KeptReceipt, NewTask, NewVideo, OutboundRecord } from '../port.ts';
import type { PipelineStage, Session, SessionMessage, Task, TaskDelivery, TaskGeneration, TaskOptions, TaskStatus, Video } from '../port.ts';
import { compact, type Doc, millis, num, optBool, optMillis, optNum, optRecord, optStr } from './fields.ts';
import { plain, record, records, str } from './fields.ts';

export const INBOUND_FIELDS: Readonly<Record<'reply' | 'taskId', string>> = { reply: 'reply', taskId: 'task_id' };

export const OUTBOUND_FIELDS: Readonly<Record<'status' | 'errorCode' | 'messageId', string>> = {
  status: 'status',
  errorCode: 'error_code',
  messageId: 'message_id',
};
export const OUTBOUND_REQUIRED: ReadonlySet<string> = new Set(['status']);

export const newTaskDoc = (input: NewTask, taskId: string, now: number): Doc =>
  compact({
    task_id: taskId,
    message_sid: input.messageId,
    job_id: input.jobId,
    channel: input.channel,
    prompt: input.prompt,
    sid: input.sessionId,
    from: input.from,
    options: plain(input.options),
    status: 'queued' satisfies TaskStatus,
    attempts: 0,
    created_at: now,
    updated_at: now,
  });

export const taskFromDoc = (doc: Doc): Task =>
  compact({
    taskId: str(doc, 'task_id'),
    messageId: optStr(doc, 'message_sid'),
    jobId: optStr(doc, 'job_id'),
    channel: optStr(doc, 'channel'),
    prompt: str(doc, 'prompt'),
    sessionId: str(doc, 'sid'),
    from: str(doc, 'from'),
    options: record(doc, 'options') as unknown as TaskOptions,
    status: str(doc, 'status') as TaskStatus,
    stage: optStr(doc, 'stage') as PipelineStage | undefined,
    progress: optNum(doc, 'progress'),
    attempts: num(doc, 'attempts'),
    createdAt: millis(doc, 'created_at'),
    updatedAt: millis(doc, 'updated_at'),
    startedAt: optMillis(doc, 'started_at'),
    finishedAt: optMillis(doc, 'finished_at'),
    polishedPrompt: optStr(doc, 'polished_prompt'),
    remoteJobId: optStr(doc, 'remote_job_id'),
    remoteJobRequestedAt: optMillis(doc, 'remote_job_requested_at'),
    remoteProvider: optStr(doc, 'remote_provider'),
    filePath: optStr(doc, 'file_path'),
    videoUrl: optStr(doc, 'cloud_url'),
    mediaId: optStr(doc, 'media_id'),
    videoId: optStr(doc, 'video_id'),
    cacheHit: optBool(doc, 'cache_hit'),
    error: optStr(doc, 'error'),
    errorCode: optStr(doc, 'error_code'),
    cancelRequested: optBool(doc, 'cancel_requested'),
    delivery: optRecord(doc, 'delivery') as unknown as TaskDelivery | undefined,
    generation: optRecord(doc, 'generation') as unknown as TaskGeneration | undefined,
  });

export const newVideoDoc = (video: NewVideo, videoId: string, now: number): Doc =>
  compact({
    video_id: videoId,
    task_id: video.taskId,
    filename: video.filename,
    path: video.path,
    prompt: video.prompt,
    session_id: video.sessionId,
    from: video.from,
    cloud_url: video.videoUrl,
    media_id: video.mediaId,
    size_bytes: video.sizeBytes,
    duration_sec: video.durationSec,
    width: video.width,
    height: video.height,
    created_at: now,
  });

export const videoFromDoc = (doc: Doc): Video =>
  compact({
    videoId: str(doc, 'video_id'),
    taskId: str(doc, 'task_id'),
    filename: str(doc, 'filename'),
    path: str(doc, 'path'),
    prompt: str(doc, 'prompt'),
    sessionId: str(doc, 'session_id'),
    from: str(doc, 'from'),
    videoUrl: optStr(doc, 'cloud_url'),
    mediaId: optStr(doc, 'media_id'),
    sizeBytes: num(doc, 'size_bytes'),
    durationSec: num(doc, 'duration_sec'),
    width: optNum(doc, 'width'),
    height: optNum(doc, 'height'),
    createdAt: millis(doc, 'created_at'),
  });

/** The whole cache document: putCache replaces it, so fields left out of `entry` are cleared. */
export const cacheDoc = (entry: Omit<CacheEntry, 'updatedAt'>, now: number): Doc =>
  compact({
    key: entry.key,
    prompt_norm: entry.promptNorm,
    file_path: entry.filePath,
    video_id: entry.videoId,
    meta: plain(entry.meta),
    updated_at: now,
  });

export const cacheFromDoc = (doc: Doc): CacheEntry =>
  compact({
    key: str(doc, 'key'),
    promptNorm: str(doc, 'prompt_norm'),
    filePath: str(doc, 'file_path'),
    videoId: optStr(doc, 'video_id'),
    meta: optRecord(doc, 'meta'),
    updatedAt: millis(doc, 'updated_at'),
  });

export const messageDoc = (message: Omit<SessionMessage, 'ts'>, ts: number): Doc =>
  compact({ role: message.role, text: message.text, meta: plain(message.meta), ts });

export const messageFromDoc = (doc: Doc): SessionMessage =>
  compact({
    role: str(doc, 'role') as SessionMessage['role'],
    text: str(doc, 'text'),
    meta: optRecord(doc, 'meta'),
    ts: millis(doc, 'ts'),
  });

export const sessionFromDoc = (doc: Doc): Session => ({
  sessionId: str(doc, 'session_id'),
  createdAt: millis(doc, 'created_at'),
  messages: records(doc, 'messages').map(messageFromDoc),
});

export const inboundDoc = (claim: Omit<InboundClaim, 'receivedAt'>, now: number): Doc =>
  compact({ message_sid: claim.messageId, from: claim.from, received_at: now, reply: claim.reply, task_id: claim.taskId });

export const inboundFromDoc = (doc: Doc): InboundClaim =>
  compact({
    messageId: str(doc, 'message_sid'),
    from: str(doc, 'from'),
    receivedAt: millis(doc, 'received_at'),
    reply: optStr(doc, 'reply'),
    taskId: optStr(doc, 'task_id'),
  });

export const outboundDoc = (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>, now: number): Doc =>
  compact({
    out_id: record.id,
    message_id: record.messageId,
    channel: record.channel,
    to: record.to,
    body: record.body,
    media_url: record.mediaUrl,
    task_id: record.taskId,
    kind: record.kind,
    status: record.status,
    error_code: record.errorCode,
    created_at: now,
    updated_at: now,
  });

/** How earlier versions named a message that failed before the channel gave it an id. */
const LEGACY_PLACEHOLDER = 'VF';

/**
 * Records written before vidbot had its own ids have no `out_id`, only `sid`: their key, and the
 * channel's id unless it was a local placeholder.
 */
export const outboundFromDoc = (doc: Doc): OutboundRecord => {
  const legacySid = optStr(doc, 'out_id') === undefined ? str(doc, 'sid') : undefined;
  const legacyMessageId = legacySid === undefined || legacySid.startsWith(LEGACY_PLACEHOLDER) ? undefined : legacySid;
  return compact({
    id: legacySid ?? str(doc, 'out_id'),
    messageId: optStr(doc, 'message_id') ?? legacyMessageId,
    channel: optStr(doc, 'channel'),
    to: str(doc, 'to'),
    body: optStr(doc, 'body'),
    mediaUrl: optStr(doc, 'media_url'),
    taskId: optStr(doc, 'task_id'),
    kind: str(doc, 'kind'),
    status: str(doc, 'status') as DeliveryStatus,
    errorCode: optStr(doc, 'error_code'),
    createdAt: millis(doc, 'created_at'),
    updatedAt: millis(doc, 'updated_at'),
  });
};

export const receiptDoc = (receipt: KeptReceipt): Doc =>
  compact({
    message_id: receipt.messageId,
    status: receipt.status,
    error_code: receipt.errorCode,
    received_at: receipt.receivedAt,
  });

export const receiptFromDoc = (doc: Doc): KeptReceipt =>
  compact({
    messageId: str(doc, 'message_id'),
    status: str(doc, 'status') as DeliveryStatus,
    errorCode: optStr(doc, 'error_code'),
    receivedAt: millis(doc, 'received_at'),
  });
