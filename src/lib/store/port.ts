/**
 * The store port: the seed bot's data model (sessions, tasks, videos, cache) plus what vidbot adds
 * (inbound message claims for webhook dedupe, outbound messages with delivery state); the records
 * themselves are in records.ts. Adapters map field names to the seed's snake_case where they
 * persist documents that the seed's tools read (MongoDB). Every method is atomic on its own.
 */
import type { DeliveryStatus, TaskStatus } from '../domain.ts';
import type { InboundUnit, IngestOutcome } from './inbound-unit.ts';
import type {
  CacheEntry,
  GenerationCost,
  InboundClaim,
  KeptReceipt,
  NewTask,
  NewVideo,
  OutboundFilter,
  OutboundPatch,
  OutboundRecord,
  Session,
  SessionMessage,
  Task,
  TaskFilter,
  TaskPatch,
  Video,
  VideoFilter,
} from './records.ts';

export { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '../domain.ts';
export type { DeliveryStatus, PipelineStage, TaskDelivery, TaskStatus } from '../domain.ts';
export type { InboundDecision, InboundUnit, IngestOutcome, LogLine } from './inbound-unit.ts';
export type * from './records.ts';

export interface Store {
  readonly name: string;
  /** True when processes on other machines can reach the same data (MongoDB, PostgreSQL); false for a local file. */
  readonly shared?: boolean;

  appendMessage(sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }): Promise<void>;
  /** The session and its messages in order; with `last`, only its newest that many (read without the rest). */
  getSession(sessionId: string, options?: { readonly last?: number }): Promise<Session | null>;
  /**
   * The newest note (a `system` message) of a session whose meta has `key` (the model a user picked),
   * read without the conversation around it: it is asked for each prompt, however long the session.
   */
  latestNote(sessionId: string, key: string): Promise<SessionMessage | null>;

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
  /**
   * Deletes up to `limit` receipts kept since before `receivedBefore`, oldest first: those of messages
   * no record came to hold (the statuses Meta sends of another app's messages on the same number).
   * Returns how many went; fewer than `limit` means none are left.
   */
  forgetKeptReceipts(receivedBefore: number, limit: number): Promise<number>;

  /** Writes and commits something small, so a health check knows the store can still write (a full disk cannot). */
  probeWrite(): Promise<void>;

  close(): Promise<void>;
}
