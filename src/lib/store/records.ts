/**
 * What the store keeps: the seed bot's records (sessions, tasks, videos, cache) and vidbot's own
 * (inbound claims, outbound messages, kept receipts). Field names are camelCase; timestamps are
 * epoch milliseconds.
 */
import type { DeliveryStatus, Orientation, PipelineStage, TaskDelivery, TaskStatus } from '../domain.ts';

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

/**
 * Whether a video was paid for (or may be): one was made, or a provider was asked for it. A task
 * canceled before that costs its sender nothing; one canceled after still counts against the day.
 */
export const generationBegan = (task: Pick<Task, 'videoId' | 'remoteJobId' | 'remoteJobRequestedAt'>): boolean =>
  task.videoId !== undefined || task.remoteJobId !== undefined || task.remoteJobRequestedAt !== undefined;
