import type { Orientation } from '../domain.ts';
import type { RunOptions } from '../progress.ts';

export type { Orientation } from '../domain.ts';

export interface VideoRequest {
  readonly prompt: string;
  readonly orientation: Orientation;
  /** Seconds; providers round to what the model supports. */
  readonly durationSec: number;
  /** Model id for providers that host several models (ignored by `local`). */
  readonly model?: string;
  /** A local image file to animate (image-to-video), when the provider supports it. */
  readonly firstFrameImage?: string;
  /** A local image the video should end on, for models that take a last frame (library use). */
  readonly lastFrameImage?: string;
  /** Raw model inputs that override the catalogue's mapping. */
  readonly inputs?: Readonly<Record<string, string | number | boolean>>;
  /** Another take of the same request (2, 3...): a provider may vary its seed by it; the local preview varies its look. */
  readonly take?: number;
}

export interface GenerateOptions extends RunOptions {
  /** Folder the provider writes its output into; the caller owns and cleans it. */
  readonly workDir: string;
  /**
   * Called with a provider-side job id (e.g. a Replicate prediction id) as soon as it exists,
   * so a restart can resume the same job instead of paying for a new one.
   */
  readonly onRemoteJob?: (remoteJobId: string, provider?: string) => void | Promise<void>;
  /** A remote job id recorded by an earlier attempt; the provider resumes it when it can. */
  readonly resumeRemoteJob?: string;
  /**
   * The provider that holds `resumeRemoteJob`, or was sent the create at `remoteJobRequestedAt`: a
   * failover chain resumes there, whatever its order says now.
   */
  readonly remoteProvider?: string;
  /**
   * A stable key of the task (its id): a provider may put it in the create request, so that after
   * an ambiguous create it can find the job that create made.
   */
  readonly jobKey?: string;
  /**
   * Called just before a create is sent; the time is stored so a crash before its answer is known.
   * Failover chains name the provider it went to (the callbacks of a single provider need not).
   */
  readonly onRemoteJobRequested?: (at: number, provider?: string) => void | Promise<void>;
  /**
   * A create was sent at this time and its answer never recorded (a crash, an ambiguous failure):
   * the provider looks for that job before creating another, so a prompt is not paid for twice.
   */
  readonly remoteJobRequestedAt?: number;
  /**
   * Another provider can take over (failover): send at most one create, and when its answer is lost
   * and the job is surely absent, or an earlier create (`remoteJobRequestedAt`) is surely absent,
   * throw an outage marked NOTHING_STARTED (failure.ts) instead of creating again.
   */
  readonly createOnce?: boolean;
}

export interface GeneratedVideo {
  /** Absolute path of the video the provider wrote inside workDir. */
  readonly file: string;
  readonly provider: string;
  readonly model: string;
  readonly remoteJobId?: string;
  /**
   * Seconds the provider reports the job ran (Replicate's metrics.predict_time, fal's inference
   * time, Cog's predict_time), for its cost; absent when it reports none.
   */
  readonly runSec?: number;
}

export interface ProviderCapabilities {
  readonly imageToVideo: boolean;
  /** True when the output is a real AI generation; false for the local preview renderer. */
  readonly ai: boolean;
}

/** An HTTP delivery from a provider's webhook, as the server received it. */
export interface WebhookDelivery {
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The exact body as text: signatures cover the bytes, not a re-serialized copy. */
  readonly rawBody: string;
  /** The query of the URL it was posted to (a provider that does not sign puts a token there). */
  readonly query?: Readonly<Record<string, string | string[] | undefined>>;
}

export interface VideoProvider {
  readonly name: string;
  readonly defaultModel: string;
  capabilities(model?: string): ProviderCapabilities;
  generate(request: VideoRequest, options: GenerateOptions): Promise<GeneratedVideo>;
  /** Verifies a webhook delivery about a remote job and wakes the run that waits for it. */
  receiveWebhook?(delivery: WebhookDelivery): Promise<{ remoteJobId: string; status: string }>;
  /**
   * Cancels a remote job (best effort), e.g. when its task is canceled while no worker runs it;
   * `provider` names the one that holds it, for failover chains.
   */
  cancelRemoteJob?(remoteJobId: string, provider?: string): Promise<void>;
  /** A failover chain's providers, in order: each takes its own webhooks. */
  readonly members?: readonly VideoProvider[];
  /** How failover sees each provider of its chain now. */
  circuits?(): readonly CircuitReport[];
}

/** One provider of a failover chain, as its circuit breaker sees it. */
export interface CircuitReport {
  readonly provider: string;
  /** closed: used; open: skipped until `retryAt`; half-open: one task is trying it again. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** Outages counted in the current window. */
  readonly outages: number;
  readonly retryAt?: number;
}
