/**
 * The store port: the seed bot's data model (sessions, tasks, videos, cache) plus what vidbot adds
 * (inbound message claims for webhook dedupe, outbound messages with delivery state).
 * Field names are camelCase here; adapters map them to the seed's snake_case where they persist
 * documents that the seed's tools read (MongoDB).
 * Every method is atomic on its own; timestamps are epoch milliseconds.
 */
import type { DeliveryStatus } from '../messenger/port.ts';
import type { Orientation } from '../video-provider/port.ts';

export type TaskStatus = 'queued' | 'processing' | 'done' | 'failed' | 'canceled';
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['done', 'failed', 'canceled'];
export type PipelineStage = 'polish' | 'cache' | 'generate' | 'compress' | 'publish' | 'deliver';

export interface SessionMessage {
  readonly role: 'user' | 'bot' | 'system';
  readonly text: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly ts: number;
}

export interface Session {
  readonly sessionId: string;
  readonly createdAt: number;
  readonly messages: readonly SessionMessage[];
}

export interface TaskOptions {
  readonly provider: string;
  readonly model?: string;
  readonly orientation: Orientation;
  readonly durationSec: number;
  readonly polish: boolean;
  readonly useCache: boolean;
  readonly firstFrameImage?: string;
  readonly inputs?: Readonly<Record<string, string | number | boolean>>;
}

export interface NewTask {
  /** Caller-chosen id (idempotent creation); generated when absent. */
  readonly taskId?: string;
  readonly prompt: string;
  /** Session id: the sender's conversation (`whatsapp:+1555...` for WhatsApp, `cli` for the CLI). */
  readonly sid: string;
  /** The address results go to; empty for CLI runs that deliver nothing. */
  readonly from: string;
  readonly options: TaskOptions;
  /** The inbound message that created the task (Twilio MessageSid), unique across tasks. */
  readonly messageSid?: string;
}

export interface Task extends Required<Omit<NewTask, 'messageSid'>> {
  readonly messageSid?: string;
  readonly status: TaskStatus;
  readonly stage?: PipelineStage;
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly polishedPrompt?: string;
  /** Provider-side job id (Replicate prediction id), stored before waiting on it. */
  readonly remoteJobId?: string;
  /** Path of the compressed file. */
  readonly filePath?: string;
  /** Public URL of the published video (Cloudinary secure_url or our /media URL). */
  readonly cloudUrl?: string;
  readonly mediaId?: string;
  readonly videoId?: string;
  readonly cacheHit?: boolean;
  readonly error?: string;
  readonly errorCode?: string;
  readonly cancelRequested?: boolean;
}

export type TaskPatch = Partial<
  Pick<
    Task,
    | 'status'
    | 'stage'
    | 'attempts'
    | 'startedAt'
    | 'finishedAt'
    | 'polishedPrompt'
    | 'remoteJobId'
    | 'filePath'
    | 'cloudUrl'
    | 'mediaId'
    | 'videoId'
    | 'cacheHit'
    | 'error'
    | 'errorCode'
    | 'cancelRequested'
  >
>;

export interface TaskFilter {
  readonly from?: string;
  readonly sid?: string;
  readonly status?: readonly TaskStatus[];
  readonly limit?: number;
}

export interface NewVideo {
  /** One video per task: adding a second for the same task returns the first. */
  readonly taskId: string;
  readonly filename: string;
  readonly path: string;
  readonly prompt: string;
  readonly sessionId: string;
  readonly from: string;
  readonly cloudUrl?: string;
  readonly mediaId?: string;
  readonly sizeBytes: number;
  readonly durationSec: number;
  readonly width?: number;
  readonly height?: number;
}

export interface Video extends NewVideo {
  readonly videoId: string;
  readonly createdAt: number;
}

export interface VideoFilter {
  readonly from?: string;
  readonly sessionId?: string;
  readonly limit?: number;
  readonly offset?: number;
}

export interface CacheEntry {
  /** Normalized prompt plus provider, model and options; see `cacheKey`. */
  readonly key: string;
  readonly promptNorm: string;
  readonly filePath: string;
  readonly videoId?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly updatedAt: number;
}

export interface InboundClaim {
  readonly messageSid: string;
  readonly from: string;
  readonly receivedAt: number;
  /** The answer sent for this message, so a retry gets the same one. */
  readonly reply?: string;
  readonly taskId?: string;
}

export interface OutboundRecord {
  readonly sid: string;
  readonly to: string;
  readonly body?: string;
  readonly mediaUrl?: string;
  readonly taskId?: string;
  readonly kind: string;
  readonly status: DeliveryStatus;
  readonly errorCode?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Store {
  readonly name: string;
  /** True when processes on other machines can reach the same data (MongoDB); false for a local file. */
  readonly shared?: boolean;

  appendMessage(sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }): Promise<void>;
  getSession(sessionId: string): Promise<Session | null>;

  /** Creates a task; when taskId or messageSid already exists, returns the existing task with created=false. */
  createTask(task: NewTask): Promise<{ task: Task; created: boolean }>;
  getTask(taskId: string): Promise<Task | null>;
  /** Applies the patch and returns the task after it; throws VIDBOT_TASK_NOT_FOUND for unknown ids. */
  updateTask(taskId: string, patch: TaskPatch): Promise<Task>;
  /** Newest first. */
  listTasks(filter?: TaskFilter): Promise<Task[]>;
  countTasks(filter?: Omit<TaskFilter, 'limit'>): Promise<number>;

  addVideo(video: NewVideo): Promise<{ video: Video; created: boolean }>;
  getVideo(videoId: string): Promise<Video | null>;
  /** Newest first. */
  listVideos(filter?: VideoFilter): Promise<Video[]>;

  getCache(key: string): Promise<CacheEntry | null>;
  putCache(entry: Omit<CacheEntry, 'updatedAt'>): Promise<void>;
  deleteCache(key: string): Promise<void>;

  /** Claims an inbound message id atomically: exactly one concurrent caller gets claimed=true. */
  claimInbound(claim: Omit<InboundClaim, 'receivedAt'>): Promise<{ claimed: boolean; claim: InboundClaim }>;
  updateInbound(messageSid: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>): Promise<void>;
  /** Time of the sender's latest inbound message, for WhatsApp's 24-hour window. */
  lastInboundAt(from: string): Promise<number | null>;

  /** Records an outbound message; a second record with the same taskId and kind 'result' returns the first. */
  recordOutbound(
    record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<{ record: OutboundRecord; created: boolean }>;
  findOutbound(filter: { sid?: string; taskId?: string; kind?: string }): Promise<OutboundRecord | null>;
  listOutbound(filter?: { to?: string; taskId?: string; limit?: number }): Promise<OutboundRecord[]>;
  updateOutbound(sid: string, patch: Partial<Pick<OutboundRecord, 'status' | 'errorCode' | 'sid'>>): Promise<void>;

  close(): Promise<void>;
}
