import { constants } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { CompressResult, Compressor } from '../compressor/port.ts';
import { estimateCost, type PriceTable } from '../cost/prices.ts';
import type { MediaInfo } from '../domain.ts';
import { throwIfAborted } from '../errors.ts';
import type { MediaHost, PublishedMedia } from '../media-host/port.ts';
import type { PromptPolisher } from '../polisher/port.ts';
import { normalizePrompt } from '../store/cache-key.ts';
import type { Store } from '../store/port.ts';
import type { VideoProvider, VideoRequest } from '../video-provider/port.ts';
import { fingerprintOf, fitting, lookUpCache, usesCache } from './cache.ts';
import { type PipelineListener, runStage } from './events.ts';
import { scratchPrefix } from './scratch.ts';

export interface PipelineDeps {
  readonly polisher: PromptPolisher;
  readonly provider: VideoProvider;
  readonly compressor: Compressor;
  readonly mediaHost: MediaHost;
  /** Holds the prompt cache; without it every run generates. */
  readonly store?: Store;
  /** Parent folder for per-run scratch folders (removed after each run). */
  readonly workDir: string;
  /**
   * Asked before a paid generation (not for the cache nor the local preview); throws to stop it:
   * the daily budget (cost/budget.ts).
   */
  readonly admitGeneration?: () => Promise<void>;
  /** Prices by model (VIDBOT_PRICES), for each generated video's estimated cost. */
  readonly prices?: PriceTable;
}

/** What to make: the provider's request plus the pipeline's own switches. */
export interface PipelineRequest extends VideoRequest {
  readonly polish?: boolean;
  readonly useCache?: boolean;
  readonly maxBytes?: number;
}

export interface PipelineRunOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: PipelineListener;
  /** Provider job to resume (a prediction id stored by an earlier attempt). */
  readonly resumeRemoteJob?: string;
  readonly onRemoteJob?: (remoteJobId: string, provider?: string) => void | Promise<void>;
  /** See GenerateOptions: the task's key, a create whose answer was never recorded, and the provider that has either. */
  readonly jobKey?: string;
  readonly remoteJobRequestedAt?: number;
  readonly onRemoteJobRequested?: (at: number, provider?: string) => void | Promise<void>;
  readonly remoteProvider?: string;
}

export interface PipelineResult {
  readonly prompt: string;
  /** The prompt the provider got, when polishing changed it. */
  readonly polishedPrompt?: string;
  readonly cacheHit: boolean;
  readonly provider: string;
  readonly model: string;
  readonly remoteJobId?: string;
  /** Seconds the provider reports its job ran, for the cost. */
  readonly runSec?: number;
  /** The generation's estimated cost (not for cache hits), when its model has a price. */
  readonly cost?: number;
  /** The published video; `media.path` is a durable local copy when the host keeps one. */
  readonly media: PublishedMedia;
  readonly video: MediaInfo;
  readonly compression?: Pick<CompressResult, 'mode' | 'passes'>;
}

export interface Pipeline {
  run(request: PipelineRequest, options?: PipelineRunOptions): Promise<PipelineResult>;
  /** Whether a run of this request would send a video already made, generating (and paying for) nothing. */
  isCached(request: PipelineRequest): Promise<boolean>;
}

/** What the cache stage says when it has no video to give. */
const CACHE_MISSES = { none: 'no cached video', gone: 'the cached video is gone', changed: 'the cached video was changed since' } as const;

/** The provider's part of a pipeline request: what to make, without the pipeline's own switches. */
const videoRequest = ({ polish: _polish, useCache: _useCache, maxBytes: _maxBytes, ...video }: PipelineRequest): VideoRequest => video;

/**
 * Composes the stages: polish -> cache -> generate -> compress -> publish. Each stage is a port, so
 * any adapter (local renderer or Replicate, local media or Cloudinary) slots in without changes here.
 */
export const createPipeline = (deps: PipelineDeps): Pipeline => ({
  isCached: async (request) => (await lookUpCache(deps, request)).cached !== undefined,
  async run(request, options = {}) {
    const { signal } = options;
    const emit: PipelineListener = options.onEvent ?? (() => {});
    const model = request.model ?? deps.provider.defaultModel;
    const useCache = usesCache(deps, request);
    const scratch = await mkdtemp(join(deps.workDir, scratchPrefix()));
    try {
      const { key, cached, stale } = await lookUpCache(deps, request);
      if (cached) {
        emit({ type: 'stage:skip', stage: 'polish', reason: 'cache hit' });
        emit({ type: 'stage:skip', stage: 'generate', reason: 'cache hit' });
        return await finish(deps, request, options, emit, scratch, key, cached.filePath, {
          ...fitting(cached.meta, cached.size, request.maxBytes),
          prompt: request.prompt,
          cacheHit: true,
          // Who made the cached copy (a failover may have made it elsewhere).
          provider: typeof cached.meta?.provider === 'string' ? cached.meta.provider : deps.provider.name,
          model: typeof cached.meta?.model === 'string' ? cached.meta.model : model,
          ...(typeof cached.meta?.polishedPrompt === 'string' ? { polishedPrompt: cached.meta.polishedPrompt } : {}),
        });
      }
      if (useCache) emit({ type: 'stage:skip', stage: 'cache', reason: CACHE_MISSES[stale ?? 'none'] });
      // Not even the polish runs for a video that may not be paid for; a job already started is not left behind.
      const started = options.resumeRemoteJob !== undefined || options.remoteJobRequestedAt !== undefined;
      if (!started && deps.provider.capabilities(request.model).ai) await deps.admitGeneration?.();

      const polished =
        request.polish === false
          ? (emit({ type: 'stage:skip', stage: 'polish', reason: 'disabled' }), { prompt: request.prompt, polished: false })
          : await runStage('polish', emit, (onProgress) => deps.polisher.polish(request.prompt, { signal, onProgress }),
              (r) => (r.polished ? 'polished' : (r.fallbackReason ?? 'kept as written')));
      throwIfAborted(signal);

      const generated = await runStage(
        'generate',
        emit,
        (onProgress) =>
          deps.provider.generate(
            { ...videoRequest(request), prompt: polished.prompt },
            {
              workDir: scratch,
              onProgress,
              signal,
              onRemoteJob: options.onRemoteJob,
              resumeRemoteJob: options.resumeRemoteJob,
              jobKey: options.jobKey,
              remoteJobRequestedAt: options.remoteJobRequestedAt,
              onRemoteJobRequested: options.onRemoteJobRequested,
              remoteProvider: options.remoteProvider,
            },
          ),
        // "replicate minimax/video-01"; a model named after its provider ("local-preview") alone.
        (g) => (g.model.startsWith(g.provider) ? g.model : `${g.provider} ${g.model}`),
      );
      return await finish(deps, request, options, emit, scratch, key, generated.file, {
        prompt: request.prompt,
        cacheHit: false,
        provider: generated.provider,
        model: generated.model,
        ...(polished.polished ? { polishedPrompt: polished.prompt } : {}),
        ...(generated.remoteJobId ? { remoteJobId: generated.remoteJobId } : {}),
        ...(generated.runSec === undefined ? {} : { runSec: generated.runSec }),
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
});

/** A copy of `file` in the run's scratch folder (a reflink where the file system has them). */
const copyOf = async (file: string, scratch: string): Promise<string> => {
  const copy = join(scratch, `cached${extname(file) || '.mp4'}`);
  await copyFile(file, copy, constants.COPYFILE_FICLONE);
  return copy;
};

/** What is known before the compressor: with `fits`, a cached video that needs no compressing. */
type ResultHead = Omit<PipelineResult, 'media' | 'video' | 'compression' | 'cost'> & { readonly fits?: MediaInfo };

const finish = async (
  deps: PipelineDeps,
  request: PipelineRequest,
  options: PipelineRunOptions,
  emit: PipelineListener,
  scratch: string,
  key: string,
  source: string,
  { fits, ...partial }: ResultHead,
): Promise<PipelineResult> => {
  const { signal } = options;
  if (fits !== undefined) emit({ type: 'stage:skip', stage: 'compress', reason: 'the cached copy already fits' });
  const compressed =
    fits === undefined
      ? await runStage(
          'compress',
          emit,
          (onProgress) =>
            deps.compressor.compress(source, {
              output: join(scratch, 'whatsapp.mp4'),
              ...(request.maxBytes ? { maxBytes: request.maxBytes } : {}),
              ...(signal ? { signal } : {}),
              onProgress,
            }),
          (c) => `${c.mode}, ${c.output.sizeBytes} bytes`,
        )
      : undefined;
  throwIfAborted(signal);
  // A cached video that fits is published from a copy: a host may move what it is given (the output
  // file of `vidbot generate`), and the cached file must stay where its entry says.
  const ready = compressed?.file ?? (partial.cacheHit ? await copyOf(source, scratch) : source);
  // Priced per video, per second of the video the provider made, or per second it ran.
  const cost =
    partial.cacheHit || compressed === undefined
      ? undefined
      : estimateCost(deps.prices ?? new Map(), {
        provider: partial.provider,
        model: partial.model,
        videoSec: compressed.input.durationSec,
        ...(partial.runSec === undefined ? {} : { runSec: partial.runSec }),
      });
  if (!partial.cacheHit) {
    emit({
      type: 'made',
      provider: partial.provider,
      model: partial.model,
      ...(partial.runSec === undefined ? {} : { runSec: partial.runSec }),
      ...(cost === undefined ? {} : { cost }),
    });
  }
  const media = await runStage(
    'publish',
    emit,
    (onProgress) => deps.mediaHost.publish(ready, { contentType: 'video/mp4', onProgress, ...(signal ? { signal } : {}) }),
    (m) => m.url ?? m.path,
  );
  const video = compressed?.output ?? (fits as MediaInfo);
  if (!partial.cacheHit && compressed && deps.store && media.path && usesCache(deps, request)) {
    await deps.store.putCache({
      key,
      promptNorm: normalizePrompt(partial.prompt),
      filePath: media.path,
      meta: {
        provider: partial.provider,
        model: partial.model,
        ...(partial.polishedPrompt ? { polishedPrompt: partial.polishedPrompt } : {}),
        // What the next hit needs to skip the compressor: the limit it was made for and what it is.
        fit: { maxBytes: compressed.maxBytes, video: { ...compressed.output, file: media.path } },
        ...(await fingerprintOf(media.path)),
      },
    });
  }
  return {
    ...partial,
    ...(cost === undefined ? {} : { cost }),
    media,
    video,
    ...(compressed ? { compression: { mode: compressed.mode, passes: compressed.passes } } : {}),
  };
};
