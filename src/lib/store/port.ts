/**
 * The store port: the seed bot's data model (sessions, tasks, videos, cache) plus what vidbot adds
 * (inbound message claims for webhook dedupe, outbound messages with delivery state).
 * Field names are camelCase here; adapters map them to the seed's snake_case where they persist
 * documents that the seed's tools read (MongoDB).
 * Every method is atomic on its own; timestamps are epoch milliseconds.
 */
import type { DeliveryStatus, Orientation, PipelineStage, TaskDelivery, TaskStatus } from '../domain.ts';
import type { InboundUnit, IngestOutcome } from './inbound-unit.ts';

export { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '../domain.ts';
export type { DeliveryStatus, PipelineStage, TaskDelivery, TaskStatus } from '../domain.ts';
export type { InboundDecision, InboundUnit, IngestOutcome, LogLine } from './inbound-unit.ts';

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
  /** Which take of the same request this is (2, 3...: "another take"); part of the cache key, so a new take is made. */
  readonly take?: number;
}

/**
 * Who made a task's video and what it cost: failover may pick another provider and model than the
 * task asked for. For a video from the cache, who made the cached copy (and a cost of 0).
 */
export interface TaskGeneration {
  readonly provider: string;
  readonly model: string;
  /** Seconds the provider reports the job ran (predict or inference time), when it reports them. */
  readonly runSec?: number;
  /** Estimated from the price table (VIDBOT_PRICES); absent when the model has none. */
  readonly cost?: number;
  /** When the video was made (epoch ms): the day whose budget it counts against. */
  readonly at: number;
}

/** The estimated cost of the videos of one provider and model, summed (see `Store.generationCosts`). */
export interface GenerationCost {
  readonly provider: string;
  readonly model: string;
  /** Videos made, with or without a known cost. */
  readonly videos: number;
  /** Sum of their known costs. */
  readonly cost: number;
}

export interface NewTask {
  /** Caller-chosen id (idempotent creation); generated when absent. */
  readonly taskId?: string;
  readonly prompt: string;
  /** The sender's conversation (`whatsapp:+1555...` for WhatsApp, `cli` for the CLI); stored as the seed's `sid`. */
  readonly sessionId: string;
  /** The address results go to; empty for CLI runs that deliver nothing. */
  readonly from: string;
  readonly options: TaskOptions;
  /** The channel's id of the inbound message that created the task (Twilio's MessageSid), unique across tasks. */
  readonly messageId?: string;
  /** The channel it came through and is answered on (twilio, simulator, local); the default one when absent. */
  readonly channel?: string;
  /**
   * The queue job that runs the task. Without one the task is run by its creator (`vidbot
   * generate`), and the queue's sweep leaves it alone.
   */
  readonly jobId?: string;
}

export interface Task extends Required<Omit<NewTask, 'messageId' | 'jobId' | 'channel'>> {
  readonly messageId?: string;
  readonly channel?: string;
  /** The queue job that runs the task now; a retry gives the task a new one. Absent for tasks run by their creator. */
  readonly jobId?: string;
  readonly status: TaskStatus;
  readonly stage?: PipelineStage;
  /** How far the making of the video has got, 0..100 over all its stages; 100 once it is made. */
  readonly progress?: number;
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly polishedPrompt?: string;
  /** Provider-side job id (Replicate prediction id), stored before waiting on it. */
  readonly remoteJobId?: string;
  /** The provider that holds remoteJobId, or was sent the create at remoteJobRequestedAt (a failover chain resumes there). */
  readonly remoteProvider?: string;
  /**
   * When a create of a remote job was sent whose answer has not been recorded: after a crash or an
   * ambiguous failure the provider looks for that job before creating another.
   */
  readonly remoteJobRequestedAt?: number;
  /** Path of the compressed file. */
  readonly filePath?: string;
  /** Public URL of the published video (Cloudinary's secure_url or our /media URL); stored as the seed's `cloud_url`. */
  readonly videoUrl?: string;
  readonly mediaId?: string;
  readonly videoId?: string;
  readonly cacheHit?: boolean;
  readonly error?: string;
  readonly errorCode?: string;
  readonly cancelRequested?: boolean;
  /** The delivery of the result, from the moment it is sent; kept in step with the channel's receipts. */
  readonly delivery?: TaskDelivery;
  /** Which provider and model made the video, and its cost, once it is made. */
  readonly generation?: TaskGeneration;
}

export type TaskPatch = Partial<
  Pick<
    Task,
    | 'status'
    | 'stage'
    | 'progress'
    | 'attempts'
    | 'startedAt'
    | 'finishedAt'
    | 'polishedPrompt'
    | 'remoteJobId'
    | 'remoteJobRequestedAt'
    | 'remoteProvider'
    | 'generation'
    | 'jobId'
    | 'delivery'
    | 'filePath'
    | 'videoUrl'
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
  readonly sessionId?: string;
  readonly status?: readonly TaskStatus[];
  /** Only tasks last changed before this time (epoch ms). */
  readonly updatedBefore?: number;
  /** Only tasks created at or after this time (epoch ms): a sender's quota window. */
  readonly createdSince?: number;
  /** Least recently changed first, instead of newest first (the sweep's order). */
  readonly oldestFirst?: boolean;
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
  readonly videoUrl?: string;
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
  /** The channel's id of the inbound message. */
  readonly messageId: string;
  readonly from: string;
  readonly receivedAt: number;
  /** The answer sent for this message, so a retry gets the same one. */
  readonly reply?: string;
  readonly taskId?: string;
}

/**
 * A message vidbot sent or is sending. It is recorded before the send (status `pending`), so a
 * crash mid-send leaves a trace to reconcile, and each receipt the channel posts lands on it.
 */
export interface OutboundRecord {
  /** vidbot's id; deterministic for a task's messages (`<taskId>:result:1`), so recording is idempotent. */
  readonly id: string;
  /** The channel's id (Twilio's SM... sid), once the channel answered. */
  readonly messageId?: string;
  /** The messenger it went through. */
  readonly channel?: string;
  readonly to: string;
  readonly body?: string;
  readonly mediaUrl?: string;
  readonly taskId?: string;
  /** result, link, template, failure, notice, reply... */
  readonly kind: string;
  readonly status: DeliveryStatus;
  readonly errorCode?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface OutboundFilter {
  readonly to?: string;
  readonly taskId?: string;
  readonly status?: DeliveryStatus;
  /** Only records last changed before this time (epoch ms), least recently changed first. */
  readonly updatedBefore?: number;
  readonly limit?: number;
}

export type OutboundPatch = Partial<Pick<OutboundRecord, 'status' | 'errorCode' | 'messageId'>>;

/** A delivery receipt that named a message no record holds yet; applied when the record gets that id. */
export interface KeptReceipt {
  readonly messageId: string;
  readonly status: DeliveryStatus;
  readonly errorCode?: string;
  readonly receivedAt: number;
}

export interface Store {
  readonly name: string;
  /** True when processes on other machines can reach the same data (MongoDB, PostgreSQL); false for a local file. */
  readonly shared?: boolean;

  appendMessage(sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }): Promise<void>;
  getSession(sessionId: string): Promise<Session | null>;

  /** Creates a task; when taskId or messageId already exists, returns the existing task with created=false. */
  createTask(task: NewTask): Promise<{ task: Task; created: boolean }>;
  getTask(taskId: string): Promise<Task | null>;
  /** Applies the patch and returns the task after it; throws VIDBOT_TASK_NOT_FOUND for unknown ids. */
  updateTask(taskId: string, patch: TaskPatch): Promise<Task>;
  /**
   * Applies the patch only while the task's status is one of `from`, atomically: the task's state
   * machine moves through this. Returns the task after it, or null when its status was another
   * (someone else moved it first); throws VIDBOT_TASK_NOT_FOUND for unknown ids.
   */
  transitionTask(taskId: string, from: readonly TaskStatus[], patch: TaskPatch): Promise<Task | null>;
  /** Newest first. */
  listTasks(filter?: TaskFilter): Promise<Task[]>;
  countTasks(filter?: Omit<TaskFilter, 'limit'>): Promise<number>;
  /**
   * Generations by provider and model (tasks with a `generation`), made at or after `since` when
   * given: the daily budget's spend, and the cost metric.
   */
  generationCosts(filter?: { since?: number }): Promise<GenerationCost[]>;

  addVideo(video: NewVideo): Promise<{ video: Video; created: boolean }>;
  getVideo(videoId: string): Promise<Video | null>;
  /** Newest first. */
  listVideos(filter?: VideoFilter): Promise<Video[]>;

  getCache(key: string): Promise<CacheEntry | null>;
  putCache(entry: Omit<CacheEntry, 'updatedAt'>): Promise<void>;
  deleteCache(key: string): Promise<void>;

  /** Claims an inbound message id atomically: exactly one concurrent caller gets claimed=true. */
  claimInbound(claim: Omit<InboundClaim, 'receivedAt'>): Promise<{ claimed: boolean; claim: InboundClaim }>;
  updateInbound(messageId: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>): Promise<void>;
  /**
   * Makes an inbound message durable in one step (see InboundUnit): in one transaction where the
   * queue shares it (SQLite), else claim, words and task in one and the answer in another around
   * the job's placing. A redelivery writes nothing and gets the first claim back.
   */
  ingest(unit: InboundUnit): Promise<IngestOutcome>;
  /** Time of the sender's latest inbound message, for WhatsApp's 24-hour window. */
  lastInboundAt(from: string): Promise<number | null>;

  /** Records an outbound message; recording an id that exists returns the existing record (created=false). */
  recordOutbound(
    record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<{ record: OutboundRecord; created: boolean }>;
  /** The newest record matching every given field. */
  findOutbound(filter: { id?: string; messageId?: string; taskId?: string; kind?: string }): Promise<OutboundRecord | null>;
  /** Newest first; with `updatedBefore`, least recently changed first (the outbox sweep's order). */
  listOutbound(filter?: OutboundFilter): Promise<OutboundRecord[]>;
  /**
   * Patches a record; with `ifStatus`, only while its status is that one (compare-and-set, for
   * receipts racing each other). Returns whether it changed a record; unknown ids change nothing.
   */
  updateOutbound(id: string, patch: OutboundPatch, options?: { ifStatus?: DeliveryStatus }): Promise<boolean>;

  /** Keeps a receipt for a message id no record holds yet. */
  keepReceipt(receipt: KeptReceipt): Promise<void>;
  /** The receipts kept for this message id, oldest first; they are removed. */
  takeReceipts(messageId: string): Promise<KeptReceipt[]>;

  /** Writes and commits something small, so a health check knows the store can still write (a full disk cannot). */
  probeWrite(): Promise<void>;

  close(): Promise<void>;
}
