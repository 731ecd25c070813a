/**
 * A stand-in for the local preview in tests about what comes after a video is made (delivery,
 * receipts, retries, channels, buttons): it renders one real clip with the local renderer for each
 * orientation asked for, once, and hands each task a copy, so a test pays one render instead of one
 * per task. Same name, model and capabilities as the renderer it stands in for, so the bot says and
 * records the same; a landscape task still gets a landscape video.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createFfmpegCompressor, defaultOutput } from '../../src/lib/compressor/ffmpeg.ts';
import { type CompressResult, type Compressor, WHATSAPP_MAX_BYTES_DEFAULT } from '../../src/lib/compressor/port.ts';
import { throwIfAborted } from '../../src/lib/errors.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';

export const oneClipProvider = (options: { readonly ffmpeg: string; readonly dir: string }): VideoProvider => {
  const local = createLocalProvider({ ffmpeg: options.ffmpeg });
  const clips = new Map<string, Promise<string>>();
  let copies = 0;
  return {
    name: local.name,
    defaultModel: local.defaultModel,
    capabilities: (model) => local.capabilities(model),
    async generate(request, { workDir, signal }) {
      let clip = clips.get(request.orientation);
      if (clip === undefined) {
        const { orientation } = request;
        clip = local.generate({ prompt: `one clip for every ${orientation} task`, orientation, durationSec: 1 }, { workDir: options.dir }).then((made) => made.file);
        clips.set(request.orientation, clip);
      }
      signal?.throwIfAborted();
      const file = join(workDir, `clip-${(copies += 1)}.mp4`);
      await copyFile(await clip, file);
      return { file, provider: local.name, model: local.defaultModel };
    },
  };
};

/**
 * The WhatsApp compressor for the copies oneClipProvider hands out: the real compressor runs once
 * for each distinct clip (by its bytes) and limit, and each task gets a copy of what it wrote, at
 * the path asked for, as the real one would have written it. For tests about what comes after a
 * video is made; the compressor's own work is tested in test/compressor. Limits: the default one,
 * unless the pipeline passes another.
 */
export const oneClipCompressor = (options: { readonly ffmpeg: string; readonly ffprobe: string; readonly dir: string }): Compressor => {
  const real = createFfmpegCompressor({ ffmpeg: options.ffmpeg, ffprobe: options.ffprobe });
  const made = new Map<string, Promise<CompressResult>>();
  let runs = 0;
  return {
    name: real.name,
    async compress(input, { output, maxBytes = WHATSAPP_MAX_BYTES_DEFAULT, maxLongSide, signal, onProgress } = {}) {
      throwIfAborted(signal);
      const key = [createHash('sha256').update(await readFile(input)).digest('hex'), maxBytes, maxLongSide ?? ''].join(':');
      let first = made.get(key);
      if (first === undefined) {
        first = real.compress(input, { output: join(options.dir, `compressed-${(runs += 1)}.mp4`), maxBytes, ...(maxLongSide === undefined ? {} : { maxLongSide }) });
        made.set(key, first);
        first.catch(() => made.delete(key));
      }
      const result = await first;
      throwIfAborted(signal);
      const file = output ?? defaultOutput(input);
      await copyFile(result.file, file);
      onProgress?.({ percent: 100, message: 'done' });
      return { ...result, file, input: { ...result.input, file: input }, output: { ...result.output, file } };
    },
  };
};

/**
 * A test file's one clip: oneClipProvider and oneClipCompressor over a temporary folder made before
 * its tests and removed after them. Read `provider` and `compressor` inside a test (or a hook), once
 * the folder exists.
 */
export const useOneClip = (prefix: string): { readonly provider: VideoProvider; readonly compressor: Compressor } => {
  let dir: string | undefined;
  let made: { provider: VideoProvider; compressor: Compressor } | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    made = { provider: oneClipProvider({ ffmpeg: FFMPEG, dir }), compressor: oneClipCompressor({ ffmpeg: FFMPEG, ffprobe: FFPROBE, dir }) };
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const ready = () => {
    if (made === undefined) throw new Error('useOneClip: read its clip inside a test, after its beforeAll');
    return made;
  };
  return {
    get provider() {
      return ready().provider;
    },
    get compressor() {
      return ready().compressor;
    },
  };
};
