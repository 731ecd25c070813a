import { randomBytes } from 'node:crypto';
import { realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isVidbotError, throwIfAborted, vidbotError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import { probeMedia, probeVideo, type ProbedMedia, type ProbedVideo } from '../ffmpeg/probe.ts';
import { runFfmpeg } from '../ffmpeg/run.ts';
import {
  DEFAULT_MAX_LONG_SIDE,
  DEFAULT_MAX_VIDEO_BITRATE,
  MIN_VIDEO_BITRATE,
  checkCompliance,
  chooseAudio,
  encodeArgs,
  planEncode,
  remuxArgs,
  sizeLimitUnreachable,
  usableBitrate,
  type AudioPlan,
} from './plan.ts';
import { WHATSAPP_MAX_BYTES_DEFAULT, type CompressOptions, type CompressResult, type Compressor } from './port.ts';

export interface FfmpegCompressOptions extends CompressOptions {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Ceiling on the video bitrate of a re-encode (default 12 Mbit/s). */
  readonly maxVideoBitrate?: number;
}

export interface FfmpegCompressorOptions {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  readonly maxBytes?: number;
  readonly maxLongSide?: number;
  readonly maxVideoBitrate?: number;
}

/** Re-encodes allowed when the written file overshoots the limit, before giving up. */
const MAX_ENCODE_PASSES = 3;

/** Where a compressed video goes by default: `<input name>.whatsapp.mp4` beside the input. */
export const defaultOutput = (input: string): string =>
  path.join(path.dirname(input), `${path.basename(input, path.extname(input))}.whatsapp.mp4`);

const positiveInt = (name: string, value: number, min: number): number => {
  if (!Number.isSafeInteger(value) || value < min) {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `${name} must be a whole number of at least ${min}, got ${value}.`);
  }
  return value;
};

const samePath = async (a: string, b: string): Promise<boolean> => {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false; // The output does not exist yet.
  }
};

/** Creates the partial file now so an unwritable folder fails before ffmpeg runs. */
const createPartial = async (output: string): Promise<string> => {
  const dir = path.dirname(output);
  const partial = path.join(dir, `.${path.basename(output, '.mp4')}.partial-${randomBytes(4).toString('hex')}.mp4`);
  try {
    if ((await stat(output).catch(() => undefined))?.isDirectory()) {
      throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Output path ${output} is a folder.`);
    }
    await writeFile(partial, '', { flag: 'wx' });
    return partial;
  } catch (error) {
    if (isVidbotError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `is not writable (${code ?? 'error'})`;
    throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Cannot write ${output}: the folder ${dir} ${why}.`, { cause: error });
  }
};

/** Keeps reported progress increasing across remux trials and re-encode passes. */
const progressTracker = (onProgress: ProgressListener | undefined) => {
  let last = 0;
  const report = (percent: number, message?: string): void => {
    const rounded = Math.floor(percent * 10) / 10;
    if (rounded <= last && rounded < 100) return;
    last = rounded;
    onProgress?.({ percent: rounded, ...(message !== undefined && { message }) });
  };
  return {
    report,
    /** A listener mapping one ffmpeg run's 0..100 into what is left up to `share` of the remainder. */
    span(share: number, message: string): ProgressListener {
      const start = last;
      const end = start + (99 - start) * share;
      report(start, message);
      return ({ percent }) => report(start + ((end - start) * (percent ?? 0)) / 100, message);
    },
  };
};

interface Attempt {
  readonly mode: 'remux' | 'reencode';
  readonly passes: number;
}

/**
 * Makes a video WhatsApp accepts: MP4, H.264 Main/High yuv420p with even dimensions, AAC-LC audio,
 * index up front, at most maxBytes (checked on the written file). Compliant sources are remuxed;
 * others are re-encoded to use most of the budget. The output appears only when complete.
 */
export const compressForWhatsApp = async (input: string, given: FfmpegCompressOptions): Promise<CompressResult> => {
  // A JavaScript caller's omissions get the same clear word as missing paths below, not a TypeError.
  const options: Partial<FfmpegCompressOptions> = typeof given === 'object' && given !== null ? given : {};
  if (typeof input !== 'string' || input.trim() === '') throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'compressForWhatsApp needs the path of the video to compress.');
  const maxBytes = positiveInt('maxBytes', options.maxBytes ?? WHATSAPP_MAX_BYTES_DEFAULT, 1);
  // H.264 4:2:0 needs even dimensions, so an odd limit is rounded down.
  const maxLongSide = positiveInt('maxLongSide', options.maxLongSide ?? DEFAULT_MAX_LONG_SIDE, 16) & ~1;
  const maxVideoBitrate = positiveInt('maxVideoBitrate', options.maxVideoBitrate ?? DEFAULT_MAX_VIDEO_BITRATE, MIN_VIDEO_BITRATE);
  const output = path.resolve(options.output ?? defaultOutput(input));
  if (await samePath(input, output)) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `The output path is the input file (${output}); choose another output.`);
  }
  const { signal, ffmpeg, ffprobe } = options;
  if (typeof ffmpeg !== 'string' || typeof ffprobe !== 'string') {
    // A JavaScript caller's omission: otherwise ffprobe "undefined" calls the video unreadable.
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'compressForWhatsApp needs the ffmpeg and ffprobe paths.', {
      hint: 'Pass them from locateFfmpeg(): compressForWhatsApp(file, { ...(await locateFfmpeg()), maxBytes }).',
    });
  }
  const source = await probeVideo(input, { ffprobe, ...(signal && { signal }) });
  const compliance = checkCompliance(source);
  const tracker = progressTracker(options.onProgress);
  const partial = await createPartial(output);

  const verifiedSize = async (): Promise<number> => (await stat(partial)).size;
  const run = (args: string[], progress: ProgressListener) =>
    runFfmpeg(args, { ffmpeg, durationSec: source.durationSec, onProgress: progress, ...(signal && { signal }) });

  const tryRemux = async (): Promise<Attempt | undefined> => {
    if (!compliance.videoCopy || !fitsWithCopiedVideo(source, compliance.audio, maxBytes)) return undefined;
    const audio = chooseAudio(source, compliance.audio, usableBitrate(maxBytes, source.durationSec));
    try {
      // The video is copied; the sound may still be encoded (PCM, MP3 are not WhatsApp's AAC): said as such.
      await run(remuxArgs(source, compliance.audio, audio.args, partial), tracker.span(0.95, compliance.audio === 'copy' ? 'remuxing' : 'remuxing, sound to AAC'));
    } catch (error) {
      // Some streams cannot be copied into MP4 (missing timestamps, odd bitstreams); encoding fixes them.
      if (isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')) return undefined;
      throw error;
    }
    return (await verifiedSize()) <= maxBytes ? { mode: 'remux', passes: 0 } : undefined;
  };

  const reencode = async (): Promise<Attempt> => {
    let plan = planEncode(source, { maxBytes, maxLongSide, maxVideoBitrate, audio: compliance.audio });
    for (let pass = 1; ; pass++) {
      throwIfAborted(signal);
      const message = pass === 1 ? 'encoding' : `re-encoding smaller (pass ${pass}/${MAX_ENCODE_PASSES})`;
      await run(encodeArgs(source, plan, compliance.audio, partial), tracker.span(pass === 1 ? 0.97 : 0.5, message));
      const size = await verifiedSize();
      if (size <= maxBytes) return { mode: 'reencode', passes: pass };
      if (pass >= MAX_ENCODE_PASSES) {
        throw vidbotError(
          'VIDBOT_SIZE_LIMIT_UNREACHABLE',
          `The video is still ${size} bytes after ${pass} encodes; the limit is ${maxBytes} bytes.`,
          { details: { maxBytes, lastSize: size, passes: pass } },
        );
      }
      // Scale by the overshoot with a little extra margin; the encoder will overshoot the same way.
      const videoBitrate = Math.floor(plan.videoBitrate * (maxBytes / size) * 0.98);
      if (videoBitrate < MIN_VIDEO_BITRATE) throw sizeLimitUnreachable(source, maxBytes, plan.audio.budget);
      plan = { ...plan, videoBitrate };
    }
  };

  try {
    const attempt = (await tryRemux()) ?? (await reencode());
    const written: ProbedMedia = await probeMedia(partial, { ffprobe, ...(signal && { signal }) });
    throwIfAborted(signal);
    await rename(partial, output);
    tracker.report(100, 'done');
    return {
      file: output,
      mode: attempt.mode,
      passes: attempt.passes,
      input: source,
      output: { ...written, file: output },
      maxBytes,
    };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
};

/** Whether copying the video stream can fit: its bytes plus the audio that would go with it. */
const fitsWithCopiedVideo = (source: ProbedVideo, audio: AudioPlan, maxBytes: number): boolean => {
  if (audio === 'copy') return source.sizeBytes <= maxBytes;
  const videoBytes =
    source.video.bitrate !== undefined ? (source.video.bitrate * source.durationSec) / 8 : source.sizeBytes;
  const audioBytes = (chooseAudio(source, audio, usableBitrate(maxBytes, source.durationSec)).budget * source.durationSec) / 8;
  return videoBytes + audioBytes <= maxBytes;
};

/** A Compressor backed by ffmpeg, with defaults that each call's options can override. */
export const createFfmpegCompressor = (defaults: FfmpegCompressorOptions): Compressor => ({
  name: 'ffmpeg',
  compress: (input, options = {}) =>
    compressForWhatsApp(input, {
      ...options,
      ffmpeg: defaults.ffmpeg,
      ffprobe: defaults.ffprobe,
      maxBytes: options.maxBytes ?? defaults.maxBytes ?? WHATSAPP_MAX_BYTES_DEFAULT,
      maxLongSide: options.maxLongSide ?? defaults.maxLongSide ?? DEFAULT_MAX_LONG_SIDE,
      ...(defaults.maxVideoBitrate !== undefined && { maxVideoBitrate: defaults.maxVideoBitrate }),
    }),
});
