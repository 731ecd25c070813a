import { vidbotError } from '../errors.ts';
import type { ProbedVideo } from '../ffmpeg/probe.ts';

/** Pure decisions for the ffmpeg compressor: is a source compliant, and what bitrates fit the budget. */

export const DEFAULT_MAX_LONG_SIDE = 1280;
/** Above this, H.264 at <=1280p gains nothing visible and only slows the upload. */
export const DEFAULT_MAX_VIDEO_BITRATE = 12_000_000;
export const MIN_VIDEO_BITRATE = 50_000;
export const MIN_OUTPUT_BYTES = 100_000;
/** MP4 index and interleaving cost: a share of the file plus a fixed part (measured ~1% + a few KB). */
const OVERHEAD_SHARE = 0.015;
const OVERHEAD_BYTES = 16_000;
/** ffmpeg's AAC encoder turns digital silence into ~4 kbit/s whatever -b:a says. */
const SILENT_TRACK_BUDGET = 6_000;
const SILENT_TRACK_BITRATE = 64_000;
const COMPLIANT_PROFILES = new Set(['Main', 'High']);

export type AudioPlan = 'copy' | 'encode' | 'add-silent';

export interface Compliance {
  /** The video stream can be copied as is. */
  readonly videoCopy: boolean;
  readonly audio: AudioPlan;
  /** Why the video must be re-encoded, for logs and tests. */
  readonly reasons: readonly string[];
}

const even = (n: number | undefined): boolean => n !== undefined && n % 2 === 0;

/**
 * WhatsApp plays H.264 Main/High yuv420p with AAC-LC everywhere; other profiles fail on some phones.
 * Resolution is not a rule: a compliant 1080p file that fits is remuxed as it is, and the long-side
 * limit applies only when a re-encode is needed anyway.
 */
export const checkCompliance = (media: ProbedVideo): Compliance => {
  const { video, audio } = media;
  const reasons: string[] = [];
  if (video.codec !== 'h264') reasons.push(`codec ${video.codec}`);
  else if (!COMPLIANT_PROFILES.has(video.profile ?? '')) reasons.push(`H.264 profile ${video.profile ?? 'unknown'}`);
  if (video.pixelFormat !== 'yuv420p') reasons.push(`pixel format ${video.pixelFormat ?? 'unknown'}`);
  if (!even(video.width) || !even(video.height)) reasons.push(`odd dimensions ${video.width}x${video.height}`);
  const audioPlan: AudioPlan =
    audio === undefined ? 'add-silent' : audio.codec === 'aac' && audio.profile === 'LC' ? 'copy' : 'encode';
  return { videoCopy: reasons.length === 0, audio: audioPlan, reasons };
};

export interface AudioSettings {
  readonly bitrate: number;
  /** Bits per second the track is expected to take in the file. */
  readonly budget: number;
  readonly args: readonly string[];
}

/** Audio bitrate by budget: music survives 128k, speech 64k; squeeze audio before video when tight. */
export const chooseAudio = (media: ProbedVideo, plan: AudioPlan, totalBitrate: number): AudioSettings => {
  if (plan === 'add-silent') {
    return { bitrate: SILENT_TRACK_BITRATE, budget: SILENT_TRACK_BUDGET, args: ['-c:a', 'aac', '-b:a', '64k'] };
  }
  const bitrate = totalBitrate >= 1_000_000 ? 128_000 : totalBitrate >= 400_000 ? 96_000 : 64_000;
  const args = ['-c:a', 'aac', '-b:a', String(bitrate)];
  if ((media.audio?.channels ?? 2) > 2) args.push('-ac', '2');
  const rate = media.audio?.sampleRate;
  if (rate !== undefined && rate !== 44_100 && rate !== 48_000) args.push('-ar', '48000');
  return { bitrate, budget: bitrate, args };
};

/** Bits per second available for all streams once container overhead is set aside. */
export const usableBitrate = (maxBytes: number, durationSec: number): number =>
  ((maxBytes * (1 - OVERHEAD_SHARE) - OVERHEAD_BYTES) * 8) / durationSec;

/** Bytes a file of this duration needs at the lowest sane bitrates. */
export const minimumBytes = (durationSec: number, audioBudget: number): number =>
  Math.max(
    MIN_OUTPUT_BYTES,
    // +1 keeps floating-point rounding from putting the stated minimum a hair under the floor.
    Math.ceil((((MIN_VIDEO_BITRATE + audioBudget) * durationSec) / 8 + OVERHEAD_BYTES) / (1 - OVERHEAD_SHARE)) + 1,
  );

export const sizeLimitUnreachable = (media: ProbedVideo, maxBytes: number, audioBudget: number) => {
  const minBytes = minimumBytes(media.durationSec, audioBudget);
  return vidbotError(
    'VIDBOT_SIZE_LIMIT_UNREACHABLE',
    `A ${media.durationSec.toFixed(1)} s video cannot fit in ${maxBytes} bytes; it needs at least ${minBytes} bytes ` +
      `(${(minBytes / 1e6).toFixed(2)} MB) for ${MIN_VIDEO_BITRATE / 1000} kbit/s video.`,
    { details: { maxBytes, minBytes, durationSec: media.durationSec } },
  );
};

export interface EncodePlan {
  readonly videoBitrate: number;
  readonly longSide: number;
  readonly audio: AudioSettings;
}

/** Sharper small frames beat blocky large ones at low bitrates, so the output shrinks with the budget. */
const longSideFor = (videoBitrate: number, maxLongSide: number): number =>
  Math.min(maxLongSide, videoBitrate < 400_000 ? 640 : videoBitrate < 900_000 ? 854 : maxLongSide);

/**
 * Splits the byte budget into audio and video bitrates. Throws VIDBOT_SIZE_LIMIT_UNREACHABLE up
 * front when the video would get less than MIN_VIDEO_BITRATE: no encode could produce a usable file.
 */
export const planEncode = (
  media: ProbedVideo,
  options: { maxBytes: number; maxLongSide: number; maxVideoBitrate: number; audio: AudioPlan },
): EncodePlan => {
  const total = usableBitrate(options.maxBytes, media.durationSec);
  const encoded = chooseAudio(media, options.audio === 'copy' ? 'encode' : options.audio, total);
  // AAC-LC that already fits its share is copied: re-encoding it would only lose quality.
  const sourceRate = media.audio?.bitrate;
  const audio: AudioSettings =
    options.audio === 'copy' && sourceRate !== undefined && sourceRate <= encoded.bitrate * 1.05
      ? { bitrate: sourceRate, budget: sourceRate, args: ['-c:a', 'copy'] }
      : encoded;
  const budgetBitrate = Math.floor(total - audio.budget);
  if (options.maxBytes < MIN_OUTPUT_BYTES || budgetBitrate < MIN_VIDEO_BITRATE) {
    throw sizeLimitUnreachable(media, options.maxBytes, Math.min(audio.budget, 64_000));
  }
  // Bits beyond the source's own cannot restore detail it never had: a small non-compliant source
  // is converted at its bitrate instead of being inflated to fill the budget.
  const sourceBitrate = Math.max(MIN_VIDEO_BITRATE, media.video.bitrate ?? Number.POSITIVE_INFINITY);
  const videoBitrate = Math.min(options.maxVideoBitrate, budgetBitrate, sourceBitrate);
  return { videoBitrate, longSide: longSideFor(videoBitrate, options.maxLongSide), audio };
};

/** Inputs: the source, then anullsrc when the source has no audio. */
export const inputArgs = (media: ProbedVideo, audio: AudioPlan): string[] => {
  const args = ['-i', media.file];
  if (audio === 'add-silent') {
    // Bounded so the infinite source cannot outlive the video even if -shortest lags.
    const seconds = (Math.ceil(media.durationSec * 1000) / 1000 + 0.5).toFixed(3);
    args.push('-f', 'lavfi', '-t', seconds, '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
  }
  args.push('-map', '0:v:0', '-map', audio === 'add-silent' ? '1:a:0' : '0:a:0');
  return args;
};

const outputArgs = (audio: AudioPlan, file: string): string[] => [
  ...(audio === 'add-silent' ? ['-shortest'] : []),
  '-movflags', '+faststart', '-f', 'mp4', '-y', file,
];

/** Copies the video stream into MP4 with the index up front; audio is copied or made AAC-LC. */
export const remuxArgs = (media: ProbedVideo, audio: AudioPlan, audioArgs: readonly string[], file: string): string[] => [
  ...inputArgs(media, audio),
  '-c:v', 'copy',
  ...(audio === 'copy' ? ['-c:a', 'copy'] : audioArgs),
  ...outputArgs(audio, file),
];

/** Capped single-pass ABR: measured to land at 94-99% of the target without a second pass. */
export const encodeArgs = (media: ProbedVideo, plan: EncodePlan, audio: AudioPlan, file: string): string[] => {
  const v = plan.videoBitrate;
  // A VBV buffer of two seconds lets short clips overshoot by its initial fill, so scale it with duration.
  const bufsize = Math.round(v * Math.min(2, Math.max(0.5, media.durationSec / 10)));
  const fit = `min(1,${plan.longSide}/max(iw,ih))`;
  // Round down to even, with a hair of slack so 1920*(1280/1920) cannot land on 1278; the expression
  // sees frames after autorotation, so portrait sources stay portrait.
  const scale = `scale=w='trunc(${fit}*iw/2+0.01)*2':h='trunc(${fit}*ih/2+0.01)*2'`;
  return [
    ...inputArgs(media, audio),
    '-vf', `${scale},format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-b:v', String(v), '-maxrate', String(Math.round(v * 1.5)), '-bufsize', String(bufsize),
    ...plan.audio.args,
    ...outputArgs(audio, file),
  ];
};
