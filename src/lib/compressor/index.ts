export * from './port.ts';
export { compressForWhatsApp, createFfmpegCompressor } from './ffmpeg.ts';
export type { FfmpegCompressOptions, FfmpegCompressorOptions } from './ffmpeg.ts';
export {
  DEFAULT_MAX_LONG_SIDE,
  DEFAULT_MAX_VIDEO_BITRATE,
  MIN_OUTPUT_BYTES,
  MIN_VIDEO_BITRATE,
  checkCompliance,
  minimumBytes,
} from './plan.ts';
export type { Compliance, AudioPlan } from './plan.ts';
