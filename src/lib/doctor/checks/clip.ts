import { join } from 'node:path';
import { execa } from 'execa';
import { createFfmpegCompressor } from '../../compressor/ffmpeg.ts';
import { checkCompliance } from '../../compressor/plan.ts';
import type { FfmpegFeatures } from '../../ffmpeg/features.ts';
import type { FfmpegBinaries } from '../../ffmpeg/locate.ts';
import { probeVideo, readMp4Boxes } from '../../ffmpeg/probe.ts';
import { missingPreviewFilters } from '../../video-provider/local-filters.ts';
import { createLocalProvider } from '../../video-provider/local.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass } from '../types.ts';

const MP4 = /(^|,)mp4(,|$)/;

/** A 1 s portrait test pattern with a tone: the clip to compress when the local renderer lacks a filter it needs. */
const renderPattern = async (ffmpeg: string, workDir: string): Promise<string> => {
  const file = join(workDir, 'doctor-pattern.mp4');
  const source = ['-f', 'lavfi', '-i', 'testsrc2=size=720x1280:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
  await execa(ffmpeg, ['-v', 'error', '-y', ...source, '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file], { stdin: 'ignore' });
  return file;
};

const kb = (bytes: number): string => (bytes < 1_000_000 ? `${(bytes / 1000).toFixed(1)} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`);

/**
 * Renders a 1 s clip with the local preview renderer (a test pattern when ffmpeg lacks a filter it
 * needs; the ffmpeg check reports which), runs it through the WhatsApp compressor, and
 * checks the result with ffprobe against WhatsApp's rules: MP4, H.264 Main/High yuv420p with even
 * dimensions, AAC-LC, the index (moov) before the data (faststart), at most WHATSAPP_MAX_BYTES.
 * Calls `produced` with the compliant file, for the media check to publish.
 */
export const checkWhatsappClip = async (
  ctx: DoctorContext,
  // What the ffmpeg check found: `features` when the ffmpeg listed its filters.
  binaries: FfmpegBinaries & { readonly drawtext: boolean; readonly features?: FfmpegFeatures },
  workDir: string,
  produced: (file: string) => void,
): Promise<CheckOutcome> => {
  const maxBytes = ctx.config.whatsappMaxBytes;
  let file: string;
  let mode: string;
  try {
    const { features } = binaries;
    const renders = features ? missingPreviewFilters(features.filters).required.length === 0 : binaries.drawtext;
    const rendered = renders
      ? (await createLocalProvider({ ffmpeg: binaries.ffmpeg, ...(features && { features }) }).generate({ prompt: 'vidbot doctor test clip', orientation: 'portrait', durationSec: 1 }, { workDir })).file
      : await renderPattern(binaries.ffmpeg, workDir);
    const compressor = createFfmpegCompressor({ ffmpeg: binaries.ffmpeg, ffprobe: binaries.ffprobe, maxBytes });
    const result = await compressor.compress(rendered, { output: join(workDir, 'doctor.whatsapp.mp4') });
    file = result.file;
    mode = result.mode;
  } catch (error) {
    return fail(`rendering or compressing a test clip failed: ${messageOf(error)}`, hintOf(error) ?? 'Run `vidbot generate "test" --verbose` to see ffmpeg\'s output.');
  }
  const media = await probeVideo(file, { ffprobe: binaries.ffprobe });
  const { boxes } = await readMp4Boxes(file);
  const types = boxes.map((box) => box.type);
  const compliance = checkCompliance(media);
  const problems = [...compliance.reasons];
  if (!MP4.test(media.formatName)) problems.push(`container ${media.formatName}`);
  if (compliance.audio !== 'copy') problems.push(media.audio ? `audio ${media.audio.codec} ${media.audio.profile ?? ''}`.trim() : 'no audio track');
  const moov = types.indexOf('moov');
  const mdat = types.indexOf('mdat');
  if (moov === -1 || mdat === -1 || moov > mdat) problems.push('moov after mdat (no faststart)');
  if (media.sizeBytes > maxBytes) problems.push(`${media.sizeBytes} bytes > WHATSAPP_MAX_BYTES ${maxBytes}`);

  const { video } = media;
  const summary =
    `${media.durationSec.toFixed(1)} s ${video.width ?? '?'}x${video.height ?? '?'} ${video.codec} ${video.profile ?? ''} ${video.pixelFormat ?? ''}, ` +
    `${media.audio ? `${media.audio.codec}-${media.audio.profile ?? '?'}` : 'no audio'}, ${kb(media.sizeBytes)} (limit ${kb(maxBytes)}, ${mode})`;
  if (problems.length > 0) {
    return fail(
      `the compressed test clip breaks WhatsApp's rules: ${problems.join(', ')} (${summary.replace(/\s+/g, ' ')})`,
      'This ffmpeg build encodes differently from what vidbot expects: install a standard ffmpeg with libx264 and aac (or set FFMPEG_BIN to one), then run `vidbot doctor` again.',
    );
  }
  produced(file);
  return pass(`${summary.replace(/\s+/g, ' ')}: MP4, H.264, AAC-LC, faststart`);
};
