/**
 * The pipeline's cache of made videos: the key of a request, the lookup, and what an entry records
 * of its file. A cached file may be the user's own output (`vidbot generate -o`, which keeps no
 * second copy): when it no longer is the file the entry recorded (replaced, edited, truncated), the
 * entry is no hit, and the video is made again rather than another file sent in its place.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { MediaInfo } from '../domain.ts';
import { cacheKey, promptKeysCache } from '../store/cache-key.ts';
import type { Store } from '../store/port.ts';
import type { VideoProvider, VideoRequest } from '../video-provider/port.ts';

/** What a cache entry records of its file, to know it again. */
interface Fingerprint {
  readonly size: number;
  readonly mtimeMs: number;
  /** The content's SHA-256: a file copied back (a restored backup, rsync without times) is still the same video. */
  readonly sha256?: string;
}

/** The size and modification time of a file; undefined when it is not one (gone, or a folder). */
const statOf = async (file: string): Promise<Fingerprint | undefined> =>
  stat(file).then((s) => (s.isFile() ? { size: s.size, mtimeMs: Math.trunc(s.mtimeMs) } : undefined), () => undefined);

const sha256Of = async (file: string): Promise<string | undefined> => {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return undefined;
  }
};

/** The part of a cache entry's meta that names its file as it was written. */
export const fingerprintOf = async (file: string): Promise<{ file?: Fingerprint }> => {
  const found = await statOf(file);
  const sha256 = found === undefined ? undefined : await sha256Of(file);
  return found === undefined ? {} : { file: { ...found, ...(sha256 ? { sha256 } : {}) } };
};

/**
 * A cached video is the compressor's own output: it needs compressing again only for another size
 * limit.
 */
export const fitting = (meta: Readonly<Record<string, unknown>> | undefined, size: number, maxBytes: number | undefined): { fits?: MediaInfo } => {
  const fit = meta?.fit as { maxBytes?: number; video?: MediaInfo } | undefined;
  const video = fit?.video;
  return video !== undefined && maxBytes !== undefined && fit?.maxBytes === maxBytes && video.sizeBytes === size ? { fits: video } : {};
};

/**
 * Whether the file is still the one the entry was written for: its size and time, or, the time
 * changed, its content. Entries from before fingerprints go by the size the compressor made.
 */
const sameFile = async (meta: Readonly<Record<string, unknown>> | undefined, file: string, found: Fingerprint): Promise<boolean> => {
  const recorded = meta?.file as Partial<Fingerprint> | undefined;
  if (recorded !== undefined) {
    if (recorded.size !== found.size) return false;
    if (recorded.mtimeMs === found.mtimeMs) return true;
    return recorded.sha256 !== undefined && recorded.sha256 === (await sha256Of(file));
  }
  const made = (meta?.fit as { video?: Partial<MediaInfo> } | undefined)?.video?.sizeBytes;
  return made === undefined || made === found.size;
};

export interface CacheRequest extends Pick<VideoRequest, 'prompt' | 'orientation' | 'durationSec' | 'model' | 'firstFrameImage' | 'lastFrameImage' | 'inputs' | 'take'> {
  readonly polish?: boolean;
  readonly useCache?: boolean;
}

export interface CacheLookup {
  readonly key: string;
  /** The cached video, when caching is on and its file is still the one made. */
  readonly cached?: { readonly filePath: string; readonly size: number; readonly meta?: Readonly<Record<string, unknown>> };
  /** Why an entry the cache had was not used: its file is gone, or is no longer the one made. */
  readonly stale?: 'gone' | 'changed';
}

/**
 * Whether a run reads and fills the cache: asked to, with a store to keep it, and a prompt with words
 * to key it on ("..." and "!!!" would all share one video).
 */
export const usesCache = (deps: { readonly store?: unknown }, request: Pick<CacheRequest, 'useCache' | 'prompt'>): boolean =>
  request.useCache !== false && deps.store !== undefined && promptKeysCache(request.prompt);

/** The request's cache key, and its cached video when there is one. */
export const lookUpCache = async (
  deps: { readonly store?: Pick<Store, 'getCache'>; readonly provider: Pick<VideoProvider, 'name' | 'defaultModel'> },
  request: CacheRequest,
): Promise<CacheLookup> => {
  const key = cacheKey({
    prompt: request.prompt,
    provider: deps.provider.name,
    model: request.model ?? deps.provider.defaultModel,
    options: {
      orientation: request.orientation,
      durationSec: request.durationSec,
      polish: request.polish !== false,
      ...(request.firstFrameImage ? { firstFrameImage: request.firstFrameImage } : {}),
      // Only when set, so keys made before it was part of them still count.
      ...(request.lastFrameImage ? { lastFrameImage: request.lastFrameImage } : {}),
      // The first take keeps the key it always had, so videos cached before takes existed still count.
      ...(request.take !== undefined && request.take > 1 ? { take: request.take } : {}),
      ...request.inputs,
    },
  });
  if (!usesCache(deps, request) || deps.store === undefined) return { key };
  const entry = await deps.store.getCache(key);
  const found = entry ? await statOf(entry.filePath) : undefined;
  if (entry === null) return { key };
  if (found === undefined) return { key, stale: 'gone' };
  if (found.size === 0 || !(await sameFile(entry.meta, entry.filePath, found))) return { key, stale: 'changed' };
  return { key, cached: { filePath: entry.filePath, size: found.size, ...(entry.meta ? { meta: entry.meta } : {}) } };
};
