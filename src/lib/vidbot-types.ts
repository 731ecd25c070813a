/**
 * The vidbot facade's types: what createVidbot returns (every adapter it picked, and the task
 * lifecycle's calls) and the options it takes. Kept apart from the factory that wires them.
 */
import type { ActivityBus } from './activity/bus/port.ts';
import type { Channel, ChannelSet, Receipt } from './channel/port.ts';
import type { Compressor } from './compressor/port.ts';
import type { Config } from './config/settings.ts';
import type { DailyBudget, PriceTable } from './cost/index.ts';
import type { FfmpegBinaries } from './ffmpeg/locate.ts';
import type { SenderLimits } from './limits/index.ts';
import type { MediaHost } from './media-host/port.ts';
import type { InboundOptions, RedisWait, TaskJob } from './pick-adapters.ts';
import type { RepeatGuard } from './limits/repeats.ts';
import type { Pipeline } from './pipeline/create-pipeline.ts';
import type { PromptPolisher } from './polisher/port.ts';
import type { JobQueue, QueueWorker } from './queue/port.ts';
import type { StartWorkersOptions } from './start-workers.ts';
import type { IngestOutcome, OutboundRecord, Store, Task } from './store/port.ts';
import type { Conversation } from './tasks/conversation.ts';
import type { CreateTaskInput } from './tasks/new-task.ts';
import type { CancelTaskOptions, CancelTaskResult, InboundRequest, SendMessageOptions, TaskLifecycle } from './tasks/lifecycle.ts';
import type { ReceiptOutcome } from './tasks/receipts.ts';
import type { RunTaskOptions } from './tasks/run-task.ts';
import type { ModelOption } from './video-provider/allowed.ts';
import type { VideoProvider } from './video-provider/port.ts';

export type { CancelTaskOptions, CancelTaskResult, CreateTaskInput, StartWorkersOptions, TaskJob };

export interface VidbotPaths {
  readonly dataDir: string;
  readonly database: string;
  readonly media: string;
  readonly work: string;
}

export interface Vidbot {
  readonly config: Config;
  readonly paths: VidbotPaths;
  readonly ffmpeg: { readonly ffmpeg: string; readonly ffprobe: string };
  readonly store: Store;
  readonly queue: JobQueue<TaskJob>;
  /**
   * With REDIS_URL: how the processes sharing the queue tell each other what their workers do. Workers
   * started here publish on it; any process's activity feed merges what the others published.
   */
  readonly activityBus?: ActivityBus;
  readonly provider: VideoProvider;
  /** The models users may pick with /model (VIDBOT_ALLOWED_MODELS); the configured one by default. */
  readonly models: readonly ModelOption[];
  readonly polisher: PromptPolisher;
  readonly compressor: Compressor;
  readonly mediaHost: MediaHost;
  /** The messaging services this vidbot answers on; the first is the default. */
  readonly channels: ChannelSet;
  readonly pipeline: Pipeline;
  /** Prices by model (VIDBOT_PRICES), for each video's estimated cost. */
  readonly prices: PriceTable;
  /** The daily budget, when VIDBOT_DAILY_BUDGET is set. */
  readonly budget?: DailyBudget;
  /** Each sender's rate limit and daily allowance: in Redis when REDIS_URL is set, so every web process shares them. */
  readonly limits: SenderLimits;
  /** What each sender asked for lately, so a request repeated while its video is on its way makes one video (in Redis with REDIS_URL). */
  readonly repeats: RepeatGuard;
  /** The one owner of every task's state: submit, run, deliver, receipts, cancel, retry. */
  readonly tasks: TaskLifecycle;
  /** The session log's writer. */
  readonly conversation: Conversation;
  /** Validates the prompt and stores a task that its creator runs (`runTask`), outside the queue. */
  createTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /** Validates the prompt and stores a task with its queue job (idempotent on taskId and messageId). */
  submitTask(input: CreateTaskInput): Promise<{ task: Task; created: boolean }>;
  /** Whether this task would be answered from the prompt cache, paying for nothing (asked once today's budget is spent). */
  isCached(input: CreateTaskInput): Promise<boolean>;
  /**
   * Makes an inbound message durable in one unit: its claim, the user's words, the task it asks for
   * (as submitTask stores it) and the answer (see Store.ingest). The webhook answers after this.
   */
  ingestInbound(request: InboundRequest<CreateTaskInput>): Promise<IngestOutcome>;
  /**
   * Cancels a task: a queued one at once, a running one through its job's signal (it ends
   * canceled when its handler stops). Finished tasks, and tasks whose video is being sent, are left as they are.
   */
  cancelTask(taskId: string, options?: CancelTaskOptions): Promise<CancelTaskResult>;
  /** Runs a failed or canceled task again (the dashboard's `r`, POST /api/tasks/:id/retry); a made video is only re-sent. */
  retryTask(taskId: string): Promise<Task>;
  /** Runs a stored task in this process, outside the queue (what `vidbot generate` does). */
  runTask(taskId: string, options?: RunTaskOptions): Promise<Task>;
  /** Applies a channel's delivery receipt to its message and task. */
  applyReceipt(receipt: Receipt): Promise<ReceiptOutcome>;
  /** Sends a message outside any task, recorded like the bot's (`vidbot send`, /test-send). */
  sendMessage(message: { to: string; body?: string; mediaUrl?: string; mediaFile?: string }, options?: SendMessageOptions): Promise<OutboundRecord>;
  /** Starts workers that take tasks from the queue, and the sweep that keeps tasks and jobs in step. */
  startWorkers(options?: StartWorkersOptions): QueueWorker;
  close(): Promise<void>;
}

export interface CreateVidbotOptions {
  /** Environment whose PATH is searched for ffmpeg; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * ffmpeg and ffprobe already found (locateFfmpeg's answer), used as they are instead of a lookup
   * of its own (which runs each binary, a few tenths of a second): for a process that makes several vidbots.
   */
  readonly ffmpeg?: FfmpegBinaries;
  /**
   * Ask providers to report by webhook to PUBLIC_BASE_URL (default off): only a process that
   * serves the webhook routes (`vidbot serve`) should, so others poll.
   */
  readonly providerWebhooks?: boolean;
  /**
   * Serving webhooks: the token Twilio-format requests are checked with. Without it the local
   * channel takes no webhooks (commands such as `vidbot send` need none).
   */
  readonly inbound?: InboundOptions;
  /** Channels to answer on besides the configured one (the browser simulator's). */
  readonly extraChannels?: readonly Channel[];
  /** Told about degraded service: a polish or an upload that fell back, a notice that could not be sent. */
  readonly onWarning?: (message: string) => void;
  /**
   * Wait this long for Redis (REDIS_URL) to answer at start instead of failing at once: a service
   * started beside its Redis (`serve`, `worker`) should ride out Redis coming up a moment later.
   */
  readonly waitForRedis?: RedisWait;
  /** Replace any adapter, e.g. in tests or to plug in your own provider. */
  readonly overrides?: Partial<Pick<Vidbot, 'store' | 'provider' | 'polisher' | 'compressor' | 'mediaHost' | 'limits' | 'repeats'>> & {
    readonly queue?: JobQueue<TaskJob>;
    /** Replaces the configured channel (the default one). */
    readonly channel?: Channel;
  };
}

