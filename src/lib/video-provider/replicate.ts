import type { Prediction } from 'replicate';
import { abortKindOf, throwIfAborted, type VidbotError, vidbotError } from '../errors.ts';
import type { RetryFetchOptions } from '../http/retry-fetch.ts';
import { readyWorkDir, requestFrames, saveOutput } from './output.ts';
import type { GeneratedVideo, GenerateOptions, VideoProvider, VideoRequest, WebhookDelivery } from './port.ts';
import { createReplicateClient, replicateStatus, toReplicateError } from './replicate-client.ts';
import { assertModelId, buildModelInput, findModel } from './replicate-models.ts';
import { createOrAdopt } from './replicate-reconcile.ts';
import { createPredictionUpdates, precheckReplicateWebhook, verifyReplicateWebhook } from './replicate-webhook.ts';
import { waitForPrediction } from './replicate-wait.ts';

export interface ReplicateProviderOptions {
  readonly apiToken: string;
  /** Default model (REPLICATE_MODEL); a request's `model` wins. */
  readonly model?: string;
  /** The API root (REPLICATE_API_BASE_URL), e.g. an emulator's http://127.0.0.1:8080/v1. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  /** Where Replicate posts prediction updates; without it predictions are polled. */
  readonly webhookUrl?: string;
  /** The account's signing secret (whsec_...); fetched from Replicate when absent. */
  readonly webhookSecret?: string;
  /** Longest a prediction may run, counted from its creation (default 30 min). */
  readonly timeoutMs?: number;
  /** First and longest poll interval (default 1 s and 10 s; 30 s between webhook-driven checks). */
  readonly pollIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
  /** Largest output downloaded (default 500 MB). */
  readonly maxDownloadBytes?: number;
  /** ffprobe to check that the output is a video; without it the file's magic bytes are checked. */
  readonly ffprobe?: string;
  /** Cancel running predictions when vidbot shuts down, instead of resuming them after a restart. */
  readonly cancelOnShutdown?: boolean;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
  readonly now?: () => number;
  /** Wait before looking again for a prediction whose create got no clear answer (default 1.5 s). */
  readonly listSettleMs?: number;
}

export interface ReplicateProvider extends VideoProvider {
  /** Verifies a webhook delivery and wakes the run waiting for that prediction. */
  receiveWebhook(delivery: WebhookDelivery): Promise<{ remoteJobId: string; status: string }>;
  /** Cancels a prediction (best effort). */
  cancelRemoteJob(remoteJobId: string): Promise<void>;
}

export const REPLICATE_DEFAULT_MODEL = 'minimax/video-01';

export const createReplicateProvider = (options: ReplicateProviderOptions): ReplicateProvider => {
  if (!options.apiToken) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', 'The replicate provider needs REPLICATE_API_TOKEN.', {
      hint: 'Set REPLICATE_API_TOKEN (from your Replicate account settings), or use the local preview (VIDBOT_PROVIDER=local; --provider local on the command line).',
    });
  }
  const client = createReplicateClient({
    apiToken: options.apiToken,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const defaultModel = options.model ?? REPLICATE_DEFAULT_MODEL;
  const updates = createPredictionUpdates();
  let secret: Promise<string> | undefined;
  let secretFailedAt = 0;
  let secretFailure: VidbotError | undefined;
  const signingSecret = (): Promise<string> => {
    if (options.webhookSecret) return Promise.resolve(options.webhookSecret);
    // A failing fetch is not repeated for a minute, so junk deliveries cannot hammer Replicate's API.
    if (secretFailure && Date.now() - secretFailedAt < 60_000) return Promise.reject(secretFailure);
    secret ??= client.webhooks.default.secret.get().then(
      (answer) => answer.key,
      (error: unknown) => {
        secret = undefined;
        secretFailedAt = Date.now();
        secretFailure = toReplicateError(error, 'fetching the webhook signing secret');
        throw secretFailure;
      },
    );
    return secret;
  };

  const cancelRemoteJob = async (id: string): Promise<void> => {
    await client.predictions.cancel(id, { signal: AbortSignal.timeout(10_000) }).catch(() => {});
  };

  const startOrResume = async (model: string, request: VideoRequest, options_: GenerateOptions): Promise<Prediction> => {
    let exclude: string | undefined;
    if (options_.resumeRemoteJob) {
      const earlier = await client.predictions.get(options_.resumeRemoteJob, withSignal(options_.signal)).catch((error: unknown) => {
        // A prediction Replicate no longer knows is started again; anything else is a real failure.
        if (replicateStatus(error) === 404) return undefined;
        throw toReplicateError(error, `resuming prediction ${options_.resumeRemoteJob}`);
      });
      // A prediction canceled at shutdown is started afresh; failed or running ones are kept.
      if (earlier && earlier.status !== 'canceled' && earlier.status !== 'aborted') return earlier;
      exclude = options_.resumeRemoteJob;
    }
    const frames = await requestFrames(request);
    const started = await createOrAdopt(
      { client, now: options.now ?? Date.now, settleMs: options.listSettleMs ?? 1_500 },
      {
        model,
        input: buildModelInput(model, request, frames.first, frames.last),
        options: options_,
        ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
        ...(exclude ? { exclude } : {}),
      },
    );
    try {
      await options_.onRemoteJob?.(started.id);
    } catch (error) {
      // Not recorded means not resumable: stop it rather than pay for a video nobody will collect.
      await cancelRemoteJob(started.id);
      throw error;
    }
    return started;
  };

  return {
    name: 'replicate',
    defaultModel,
    capabilities: (model) => {
      // Only mapped models say which input takes an image; others cannot be given a photo.
      const spec = findModel(model ?? defaultModel);
      return { imageToVideo: spec !== undefined && spec.image !== 'none', ai: true };
    },
    receiveWebhook: async (delivery) => {
      precheckReplicateWebhook(delivery, options.now ? { now: options.now } : {});
      const prediction = await verifyReplicateWebhook(delivery, {
        secret: await signingSecret(),
        ...(options.now ? { now: options.now } : {}),
      });
      updates.publish(prediction);
      return { remoteJobId: prediction.id, status: prediction.status };
    },
    cancelRemoteJob,
    async generate(request, generateOptions): Promise<GeneratedVideo> {
      const model = request.model ?? defaultModel;
      assertModelId(model);
      // Inputs are checked before anything is paid for.
      buildModelInput(model, request, request.firstFrameImage ? 'image' : undefined, request.lastFrameImage ? 'image' : undefined);
      await readyWorkDir(generateOptions.workDir);
      throwIfAborted(generateOptions.signal);
      const started = await startOrResume(model, request, generateOptions);
      const finished = await waitForPrediction(started, {
        get: (id, signal) => client.predictions.get(id, { signal }),
        updates,
        webhooks: Boolean(options.webhookUrl),
        timeoutMs: options.timeoutMs ?? 30 * 60_000,
        pollIntervalMs: options.pollIntervalMs ?? 1_000,
        maxPollIntervalMs: options.maxPollIntervalMs ?? (options.webhookUrl ? 30_000 : 10_000),
        ...(generateOptions.signal ? { signal: generateOptions.signal } : {}),
        ...(generateOptions.onProgress ? { onProgress: generateOptions.onProgress } : {}),
        ...(options.now ? { now: options.now } : {}),
        cancel: async (reason) => {
          const kind = abortKindOf(generateOptions.signal);
          // A released or taken-over job resumes this prediction later: cancelling it would pay twice.
          const resumable = kind === 'lease-lost' || (kind === 'release' && !options.cancelOnShutdown);
          if (reason === 'timeout' || !resumable) await cancelRemoteJob(started.id);
        },
      });
      const url = outputUrl(finished.output);
      if (!url) throw vidbotError('VIDBOT_GENERATION_FAILED', `Replicate prediction ${finished.id} succeeded without a video URL.`);
      const file = await saveOutput({
        url,
        workDir: generateOptions.workDir,
        name: `replicate-${finished.id}`,
        maxBytes: options.maxDownloadBytes ?? 500_000_000,
        label: "Replicate's output",
        ...(options.ffprobe ? { ffprobe: options.ffprobe } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(generateOptions.signal ? { signal: generateOptions.signal } : {}),
        ...(generateOptions.onProgress ? { onProgress: generateOptions.onProgress } : {}),
      });
      const runSec = finished.metrics?.predict_time;
      return { file, provider: 'replicate', model, remoteJobId: finished.id, ...(typeof runSec === 'number' ? { runSec } : {}) };
    },
  };
};

const withSignal = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

/** The first URL in an output: models answer a URL, a list of URLs, or (rarely) an object with `url`. */
export const outputUrl = (output: unknown): string | undefined => {
  const first = Array.isArray(output) ? output.find((item) => typeof item === 'string') : output;
  if (typeof first === 'string' && /^https?:\/\//.test(first)) return first;
  if (first && typeof first === 'object' && typeof (first as { url?: unknown }).url === 'string') return (first as { url: string }).url;
  return undefined;
};
