import { execa } from 'execa';
import { type FfmpegFeatures, listedNames, parseFeatures } from '../../ffmpeg/features.ts';
import { type FfmpegBinaries, locateFfmpeg } from '../../ffmpeg/locate.ts';
import { missingPreviewFilters, PREVIEW_FILTERS } from '../../video-provider/local-filters.ts';
import { providerChain } from '../../video-provider/registry.ts';
import { inWords } from '../../text.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass, warn } from '../types.ts';

const SOURCES: Readonly<Record<FfmpegBinaries['source'], string>> = {
  FFMPEG_BIN: 'FFMPEG_BIN',
  PATH: 'PATH',
  '@ffmpeg-installer': 'the @ffmpeg-installer package',
};

/** What vidbot's compressor and the local renderer encode with. */
export const REQUIRED_ENCODERS = ['libx264', 'aac'] as const;

const run = async (bin: string, args: readonly string[], timeoutMs: number): Promise<string> => {
  const result = await execa(bin, args, { timeout: timeoutMs, reject: false, stdin: 'ignore' });
  return String(result.stdout);
};

const versionIn = (text: string, tool: string): string => new RegExp(`^${tool} version (\\S+)`).exec(text)?.[1] ?? 'unknown version';

/** Whether this configuration renders with the local preview renderer. */
const usesLocalRenderer = (ctx: DoctorContext): boolean => providerChain(ctx.config).includes('local');

/**
 * ffmpeg and ffprobe found (FFMPEG_BIN, PATH, then the installer package), their versions, the
 * encoders vidbot uses, and every filter the local preview can draw with: a missing one it cannot
 * do without fails (when the local renderer is in use), one it can replace only warns. Calls
 * `found` with the binaries and what the ffmpeg offers (for the clip check, so it need not ask
 * again) when the encoders are there.
 */
export const checkFfmpeg = async (
  ctx: DoctorContext,
  found: (binaries: FfmpegBinaries, features: { readonly drawtext: boolean; readonly features?: FfmpegFeatures }) => void,
): Promise<CheckOutcome> => {
  let binaries: FfmpegBinaries;
  try {
    binaries = await locateFfmpeg({
      ...(ctx.config.ffmpegBin ? { ffmpegBin: ctx.config.ffmpegBin } : {}),
      env: ctx.env,
      ...(ctx.resolveInstaller === undefined ? {} : { resolveInstaller: ctx.resolveInstaller }),
      timeoutMs: ctx.timeoutMs,
    });
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? 'Install ffmpeg (apt-get install ffmpeg) or set FFMPEG_BIN to its path.');
  }
  const limit = ctx.timeoutMs;
  const [version, ffprobeVersion, encoders, filters] = await Promise.all([
    run(binaries.ffmpeg, ['-version'], limit),
    run(binaries.ffprobe, ['-version'], limit).then((text) => versionIn(text, 'ffprobe')),
    run(binaries.ffmpeg, ['-hide_banner', '-encoders'], limit).then((text) => listedNames(text, 'encoders')),
    run(binaries.ffmpeg, ['-hide_banner', '-filters'], limit),
  ]);
  const where = `ffmpeg ${versionIn(version, 'ffmpeg')} from ${SOURCES[binaries.source]} (${binaries.ffmpeg}), ffprobe ${ffprobeVersion}`;
  const missing = REQUIRED_ENCODERS.filter((name) => !encoders.has(name));
  if (missing.length > 0) {
    return fail(
      `${where} lacks the ${missing.join(' and ')} encoder${missing.length > 1 ? 's' : ''}`,
      'Install an ffmpeg built with libx264 and aac (Debian/Ubuntu: apt-get install ffmpeg; static builds have both), or point FFMPEG_BIN at one.',
    );
  }
  const features = parseFeatures(filters, version);
  found(binaries, { drawtext: features?.filters.has('drawtext') ?? false, ...(features && { features }) });
  const lacking = missingPreviewFilters(features?.filters ?? new Set());
  const local = usesLocalRenderer(ctx);
  if (lacking.required.length > 0) {
    const names = lacking.required;
    const detail =
      `${where} has libx264 and aac but not the ${inWords(names)} filter${names.length > 1 ? 's' : ''} the local preview renderer needs` +
      (names.includes('drawtext') ? ' (it draws the prompt with drawtext)' : '');
    const fix = names.includes('drawtext')
      ? 'Install an ffmpeg built with libfreetype (--enable-libfreetype), or use Replicate (REPLICATE_API_TOKEN).'
      : 'Install a complete ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or point FFMPEG_BIN at one, or use Replicate (REPLICATE_API_TOKEN).';
    return local ? fail(detail, fix) : warn(detail, fix);
  }
  if (lacking.optional.length > 0) {
    const names = lacking.optional.flatMap((feature) => feature.filters);
    const detail =
      `${where}; libx264, aac and the local preview's required filters, but not ${inWords([...new Set(names)])}, ` +
      `so the preview falls back: ${lacking.optional.map((feature) => feature.without).join('; ')}`;
    const fix = 'For the full preview, install a complete ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or point FFMPEG_BIN at one.';
    return local ? warn(detail, fix) : pass(detail);
  }
  return pass(`${where}; libx264, aac, and all ${PREVIEW_FILTERS.length} filters of the local preview`);
};
