/**
 * A self-hosted Cog model server (VIDBOT_COG_URL), e.g. an open video model on the team's own GPU.
 * The prediction id is derived from the task's key, so a rerun of the task (a retry, a restart)
 * joins the prediction still running instead of starting another. Completion comes from a PUT of
 * the same id that waits for the end (Cog keeps no finished predictions to ask about later), and
 * sooner from the webhook when the server can reach vidbot's public URL.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { abortKindOf, throwIfAborted, vidbotError, abortedError } from '../../errors.ts';
import type { RetryFetchOptions } from '../../http/retry-fetch.ts';
import { NOTHING_STARTED, UNSENT_CODES, generationFailed } from '../failure.ts';
import { readyWorkDir, requestFrames, saveOutput } from '../output.ts';
import type { GeneratedVideo, VideoProvider, WebhookDelivery } from '../port.ts';
import { createJobUpdates, pause } from '../updates.ts';
import { CogHttpError, type CogPrediction, createCogClient, toCogError } from './client.ts';
import { buildCogInput, type CogInputs, readCogInputs } from './schema.ts';

export interface CogProviderOptions {
  /** VIDBOT_COG_URL. */
  readonly url: string;
  readonly fetch?: typeof fetch;
  /** Where the server posts prediction updates; without it the waiting PUT alone tells the end. */
  readonly webhookUrl?: string;
  /** Signs webhook URLs (Cog does not sign deliveries); a random one per process by default. */
  readonly webhookSecret?: string;
  /** Longest a prediction may run (default 30 min). */
  readonly timeoutMs?: number;
  readonly maxDownloadBytes?: number;
  readonly ffprobe?: string;
  readonly retry?: Omit<RetryFetchOptions, 'fetch'>;
}

const FINAL = new Set(['succeeded', 'failed', 'canceled']);

/** A stable prediction id for a task: Cog ids are the client's to choose. */
export const cogPredictionId = (jobKey: string | undefined): string =>
  jobKey ? `vidbot${createHash('sha256').update(jobKey).digest('hex').slice(0, 26)}` : randomUUID().replaceAll('-', '');

const outputOf = (output: unknown): string | undefined => {
  const item = Array.isArray(output) ? output.find((value) => typeof value === 'string') : output;
  if (typeof item === 'string' && /^(https?:|data:)/.test(item)) return item;
  const url = (item as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url : undefined;
};

/** A PUT that surely started nothing: the server was not reached, or refused it (busy, rate limited, not ready, bad input). */
const startedNothing = (error: unknown): boolean => {
  if (error instanceof CogHttpError) return error.status < 500 || error.status === 503;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' && UNSENT_CODES.has(code);
};

const lastLine = (text: string | null | undefined): string | undefined =>
  text?.split('\n').map((line) => line.trim()).filter(Boolean).at(-1)?.slice(0, 160);

const queryValue = (query: WebhookDelivery['query'], name: string): string | undefined => {
  const value = query?.[name];
  return Array.isArray(value) ? value[0] : value;
};

export const createCogProvider = (options: CogProviderOptions): VideoProvider & Required<Pick<VideoProvider, 'receiveWebhook' | 'cancelRemoteJob'>> => {
  if (!options.url) throw vidbotError('VIDBOT_CONFIG_INVALID', 'The cog provider needs VIDBOT_COG_URL.', { hint: 'Set VIDBOT_COG_URL to the model server, e.g. http://gpu-box:5000.' });
  const client = createCogClient({ url: options.url, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.retry ? { retry: options.retry } : {}) });
  const secret = options.webhookSecret ?? randomBytes(32).toString('hex');
  const tokenFor = (id: string) => createHmac('sha256', secret).update(id).digest('hex');
  const updates = createJobUpdates<CogPrediction>();
  let schema: Promise<CogInputs> | undefined;
  let known: CogInputs | undefined;
  const inputs = (): Promise<CogInputs> => {
    schema ??= client.openapi().then(
      (openapi) => (known = readCogInputs(openapi)),
      (error: unknown) => {
        schema = undefined;
        throw toCogError(error, "reading the model's inputs (/openapi.json)");
      },
    );
    return schema;
  };
  // Read early, so capabilities() knows whether the model takes a photo.
  void inputs().catch(() => {});

  const cancelRemoteJob = async (id: string): Promise<void> => {
    await client.cancel(id, AbortSignal.timeout(10_000)).catch(() => {});
  };

  const webhookFor = (id: string) => {
    if (!options.webhookUrl) return undefined;
    const url = new URL(options.webhookUrl);
    url.searchParams.set('prediction', id);
    url.searchParams.set('token', tokenFor(id));
    return url.toString();
  };

  return {
    name: 'cog',
    defaultModel: 'cog',
    capabilities: () => ({ imageToVideo: known ? known.image !== undefined : true, ai: true }),
    receiveWebhook: async (delivery) => {
      const id = queryValue(delivery.query, 'prediction') ?? '';
      const token = Buffer.from(queryValue(delivery.query, 'token') ?? '');
      const expected = Buffer.from(tokenFor(id));
      if (!id || token.length !== expected.length || !timingSafeEqual(token, expected)) {
        throw vidbotError('VIDBOT_SIGNATURE_INVALID', "The Cog webhook's token does not match its prediction.", {
          hint: 'vidbot signs each prediction\'s webhook URL; after a restart without VIDBOT_API_KEY older URLs no longer match (the run still ends by its waiting request).',
        });
      }
      let prediction: CogPrediction;
      try {
        prediction = JSON.parse(delivery.rawBody) as CogPrediction;
      } catch {
        throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not JSON.');
      }
      if (typeof prediction?.status !== 'string') throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not a prediction.');
      updates.publish(id, prediction);
      return { remoteJobId: id, status: prediction.status };
    },
    cancelRemoteJob,
    async generate(request, generateOptions): Promise<GeneratedVideo> {
      const signal = generateOptions.signal;
      const model = await inputs();
      const placeholders = { ...(request.firstFrameImage ? { first: 'image' } : {}), ...(request.lastFrameImage ? { last: 'image' } : {}) };
      buildCogInput(model, request, placeholders);
      await readyWorkDir(generateOptions.workDir);
      throwIfAborted(signal);
      const input = buildCogInput(model, request, await requestFrames(request));
      const id = generateOptions.resumeRemoteJob ?? cogPredictionId(generateOptions.jobKey);
      const webhook = webhookFor(id);
      const report = (prediction: CogPrediction) => {
        const line = lastLine(prediction.logs);
        generateOptions.onProgress?.({ message: `${prediction.status}${line ? `: ${line}` : ''}` });
      };
      // The id is the task's, so a rerun joins whatever this PUT started; the time says one was sent.
      if (!generateOptions.resumeRemoteJob) await generateOptions.onRemoteJobRequested?.(Date.now());
      // Started (or joined, with the same id) and answered at once, so it can be canceled.
      const started = await client.put(id, input, { async: true, ...(webhook ? { webhook } : {}) }).catch((error: unknown) => {
        const mapped = toCogError(error, `starting prediction ${id}`);
        throw startedNothing(error) ? mapped.withDetails(NOTHING_STARTED) : mapped;
      });
      report(started);
      if (!generateOptions.resumeRemoteJob) {
        try {
          await generateOptions.onRemoteJob?.(id);
        } catch (error) {
          await cancelRemoteJob(id);
          throw error;
        }
      }

      const stop = new AbortController();
      const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      const timeoutMs = options.timeoutMs ?? 30 * 60_000;
      const timer = setTimeout(() => stop.abort('timeout'), timeoutMs);
      const join = async (): Promise<CogPrediction> => {
        for (let tries = 0; ; tries += 1) {
          try {
            const prediction = await client.put(id, input, { async: false, ...(webhook ? { webhook } : {}), signal: both });
            if (FINAL.has(prediction.status)) return prediction;
          } catch (error) {
            if (both.aborted) throw error;
            const mapped = toCogError(error, `waiting for prediction ${id}`);
            if (!mapped.retryable) throw mapped;
          }
          await pause(Math.min(30_000, 1_000 * 2 ** tries), both);
        }
      };
      const watch = async (): Promise<CogPrediction> => {
        for (;;) {
          const update = await updates.next(id, both);
          if (!update) return new Promise<never>(() => {});
          report(update);
          if (FINAL.has(update.status)) return update;
        }
      };
      let finished: CogPrediction;
      try {
        finished = await Promise.race([join(), ...(webhook ? [watch()] : [])]);
      } catch (error) {
        const kind = abortKindOf(signal);
        if (signal?.aborted) {
          // A released or taken-over job joins this prediction again later: keep it running.
          if (kind !== 'release' && kind !== 'lease-lost') await cancelRemoteJob(id);
          throw abortedError(signal);
        }
        if (stop.signal.reason === 'timeout') {
          await cancelRemoteJob(id);
          throw vidbotError('VIDBOT_TIMEOUT', `Cog prediction ${id} did not finish within ${Math.round(timeoutMs / 60_000)} min; it was canceled.`, { retryable: false });
        }
        throw error;
      } finally {
        clearTimeout(timer);
        stop.abort();
      }
      report(finished);
      if (finished.status !== 'succeeded') {
        const why = lastLine(finished.error) ?? 'no reason given';
        throw generationFailed(`Cog prediction ${id} ${finished.status === 'failed' ? 'failed' : 'was canceled'}: ${why}`, finished.status, why);
      }
      const url = outputOf(finished.output);
      if (!url) throw vidbotError('VIDBOT_GENERATION_FAILED', `Cog prediction ${id} succeeded without a video.`);
      const file = await saveOutput({
        url,
        workDir: generateOptions.workDir,
        name: `cog-${id}`,
        maxBytes: options.maxDownloadBytes ?? 500_000_000,
        label: "the Cog model's output",
        ...(options.ffprobe ? { ffprobe: options.ffprobe } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(signal ? { signal } : {}),
        ...(generateOptions.onProgress ? { onProgress: generateOptions.onProgress } : {}),
      });
      const runSec = finished.metrics?.predict_time;
      return { file, provider: 'cog', model: 'cog', remoteJobId: id, ...(typeof runSec === 'number' ? { runSec } : {}) };
    },
  };
};
