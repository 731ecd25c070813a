/**
 * fal.ai through its queue: submit (reconciled after an unclear answer), wait by webhook or poll,
 * download the video. The request id is stored before the wait, so a restart resumes it.
 */
import { abortKindOf, throwIfAborted, vidbotError } from '../../errors.ts';
import type { RetryFetchOptions } from '../../http/retry-fetch.ts';
import { buildModelInput, FAL_DEFAULT_MODEL, falEndpoint, findModel } from '../catalogue/index.ts';
import { readyWorkDir, requestFrames, saveOutput } from '../output.ts';
import type { GeneratedVideo, VideoProvider } from '../port.ts';
import { createJobUpdates } from '../updates.ts';
import { createFalApi, falStatus, toFalError } from './client.ts';
import { submitOrAdopt } from './submit.ts';
import { waitForFalRequest } from './wait.ts';
import { createFalKeySet, type FalWebhookBody, verifyFalWebhook } from './webhook.ts';

export interface FalProviderOptions {
  /** FAL_KEY. */
  readonly key: string;
  /** Default endpoint (FAL_MODEL); a request's `model` wins. */
  readonly model?: string;
  /** FAL_API_BASE_URL: the queue, the platform list and the key set on one other server. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  /** Where fal posts the result; without it requests are polled. */
  readonly webhookUrl?: string;
  /** Longest a request may take, queue included (default 30 min). */
  readonly timeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
  readonly maxDownloadBytes?: number;
  readonly ffprobe?: string;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
  readonly now?: () => number;
  /** Wait before looking again for a request whose submit got no clear answer (default 1.5 s). */
  readonly listSettleMs?: number;
}

/** A remote job id names the endpoint too, so a cancel without the task's request still reaches it. */
const jobId = (requestId: string, endpoint: string) => `${requestId}@${endpoint}`;
const parseJobId = (id: string): { requestId: string; endpoint: string } => {
  const at = id.indexOf('@');
  return at > 0 ? { requestId: id.slice(0, at), endpoint: id.slice(at + 1) } : { requestId: id, endpoint: FAL_DEFAULT_MODEL };
};

const ENDPOINT_ID = /^[\w.-]+\/[\w.-]+(\/[\w.-]+)*$/;

export const createFalProvider = (options: FalProviderOptions): VideoProvider & Required<Pick<VideoProvider, 'receiveWebhook' | 'cancelRemoteJob'>> => {
  if (!options.key) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', 'The fal provider needs FAL_KEY.', { hint: 'Set FAL_KEY (from your fal.ai dashboard), or use the local preview (VIDBOT_PROVIDER=local; --provider local on the command line).' });
  }
  const now = options.now ?? Date.now;
  const api = createFalApi({
    key: options.key,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const defaultModel = options.model ?? FAL_DEFAULT_MODEL;
  const updates = createJobUpdates<FalWebhookBody>();
  const keySet = createFalKeySet(api.jwksUrl, options.fetch ?? globalThis.fetch, now);

  const cancelRemoteJob = async (id: string): Promise<void> => {
    const { requestId, endpoint } = parseJobId(id);
    await api.client.queue.cancel(endpoint, { requestId, abortSignal: AbortSignal.timeout(10_000) }).catch(() => {});
  };

  return {
    name: 'fal',
    defaultModel,
    capabilities: (model) => {
      const spec = findModel(model ?? defaultModel, 'fal');
      return { imageToVideo: spec !== undefined && spec.image !== 'none', ai: true };
    },
    receiveWebhook: async (delivery) => {
      const body = await verifyFalWebhook(delivery, { keySet, now });
      updates.publish(body.request_id, body);
      return { remoteJobId: body.request_id, status: body.status };
    },
    cancelRemoteJob,
    async generate(request, generateOptions): Promise<GeneratedVideo> {
      const model = request.model ?? defaultModel;
      if (!ENDPOINT_ID.test(model)) {
        throw vidbotError('VIDBOT_MODEL_UNKNOWN', `"${model}" is not a fal endpoint id.`, { hint: 'Use owner/app[/path], e.g. fal-ai/veo3.1; `vidbot models` lists known ones.' });
      }
      // Inputs are checked before anything is paid for.
      const placeholders = { ...(request.firstFrameImage ? { first: 'image' } : {}), ...(request.lastFrameImage ? { last: 'image' } : {}) };
      buildModelInput(model, request, placeholders, 'fal');
      await readyWorkDir(generateOptions.workDir);
      throwIfAborted(generateOptions.signal);
      const frames = await requestFrames(request);
      const endpoint = falEndpoint(model, frames);
      const input = buildModelInput(model, request, frames, 'fal');

      let requestId: string | undefined;
      let exclude: string | undefined;
      let since = now();
      if (generateOptions.resumeRemoteJob) {
        const earlier = parseJobId(generateOptions.resumeRemoteJob);
        const known = await api.client.queue.status(earlier.endpoint, { requestId: earlier.requestId, ...(generateOptions.signal ? { abortSignal: generateOptions.signal } : {}) }).then(
          () => true,
          (error: unknown) => {
            // A request fal no longer knows is submitted again; anything else is a real failure.
            if (falStatus(error) === 404) return false;
            throw toFalError(error, `resuming request ${earlier.requestId}`, endpoint);
          },
        );
        if (known) requestId = earlier.requestId;
        else exclude = earlier.requestId;
        since = generateOptions.remoteJobRequestedAt ?? since;
      }
      if (!requestId) {
        requestId = await submitOrAdopt(
          { api, now, settleMs: options.listSettleMs ?? 1_500 },
          { endpoint, input, options: generateOptions, ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}), ...(exclude ? { exclude } : {}) },
        );
        since = now();
        try {
          await generateOptions.onRemoteJob?.(jobId(requestId, endpoint));
        } catch (error) {
          // Not recorded means not resumable: stop it rather than pay for a video nobody will collect.
          await cancelRemoteJob(jobId(requestId, endpoint));
          throw error;
        }
      }
      const id = requestId;
      const outcome = await waitForFalRequest({
        api,
        endpoint,
        requestId: id,
        updates,
        since,
        now,
        timeoutMs: options.timeoutMs ?? 30 * 60_000,
        pollIntervalMs: options.pollIntervalMs ?? 1_000,
        maxPollIntervalMs: options.maxPollIntervalMs ?? (options.webhookUrl ? 30_000 : 10_000),
        ...(generateOptions.signal ? { signal: generateOptions.signal } : {}),
        ...(generateOptions.onProgress ? { onProgress: generateOptions.onProgress } : {}),
        cancel: async (reason) => {
          const kind = abortKindOf(generateOptions.signal);
          // A released or taken-over job resumes this request later: cancelling it would pay twice.
          if (reason === 'timeout' || (kind !== 'lease-lost' && kind !== 'release')) await cancelRemoteJob(jobId(id, endpoint));
        },
      });
      const file = await saveOutput({
        url: outcome.url,
        workDir: generateOptions.workDir,
        name: `fal-${id}`,
        maxBytes: options.maxDownloadBytes ?? 500_000_000,
        label: "fal's output",
        ...(options.ffprobe ? { ffprobe: options.ffprobe } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(generateOptions.signal ? { signal: generateOptions.signal } : {}),
        ...(generateOptions.onProgress ? { onProgress: generateOptions.onProgress } : {}),
      });
      return { file, provider: 'fal', model, remoteJobId: jobId(id, endpoint), ...(outcome.inferenceSec === undefined ? {} : { runSec: outcome.inferenceSec }) };
    },
  };
};
