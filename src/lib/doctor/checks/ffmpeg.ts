import { execa } from 'execa';
import { type FfmpegBinaries, locateFfmpeg } from '../../ffmpeg/locate.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass, warn } from '../types.ts';

const SOURCES: Readonly<Record<FfmpegBinaries['source'], string>> = {
  FFMPEG_BIN: 'FFMPEG_BIN',
  PATH: 'PATH',
  '@ffmpeg-installer': 'the @ffmpeg-installer package',
};

/** What vidbot's compressor needs (libx264, aac) and what the local renderer draws with (drawtext). */
export const REQUIRED_ENCODERS = ['libx264', 'aac'] as const;

const run = async (bin: string, args: readonly string[], timeoutMs: number): Promise<string> => {
  const result = await execa(bin, args, { timeout: timeoutMs, reject: false, stdin: 'ignore' });
  return String(result.stdout);
};

/** Names listed by `-encoders` ("V....D libx264  ...") or `-filters` ("T.C drawtext  V->V ..."). */
export const listedNames = (text: string, kind: 'encoders' | 'filters'): Set<string> => {
  const pattern = kind === 'encoders' ? /^\s*[VAS][.A-Z]{5}\s+(\S+)/ : /^\s*[.A-Z|]{2,4}\s+(\S+)\s+\S*->\S*/;
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = pattern.exec(line)?.[1];
    if (name !== undefined) names.add(name);
  }
  return names;
};

const versionOf = async (bin: string, tool: string, timeoutMs: number): Promise<string> =>
  new RegExp(`^${tool} version (\\S+)`).exec(await run(bin, ['-version'], timeoutMs))?.[1] ?? 'unknown version';

/** Whether this configuration renders with the local preview renderer (which needs drawtext). */
const usesLocalRenderer = (ctx: DoctorContext): boolean =>
  ctx.config.provider === 'local' || (ctx.config.provider === 'auto' && !ctx.config.replicateApiToken);

/**
 * ffmpeg and ffprobe found (FFMPEG_BIN, PATH, then the installer package), their versions, and the
 * encoders and filter vidbot uses. Calls `found` with the binaries when they work.
 */
export const checkFfmpeg = async (
  ctx: DoctorContext,
  found: (binaries: FfmpegBinaries, features: { drawtext: boolean }) => void,
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
  const [ffmpegVersion, ffprobeVersion, encoders, filters] = await Promise.all([
    versionOf(binaries.ffmpeg, 'ffmpeg', limit),
    versionOf(binaries.ffprobe, 'ffprobe', limit),
    run(binaries.ffmpeg, ['-hide_banner', '-encoders'], limit).then((text) => listedNames(text, 'encoders')),
    run(binaries.ffmpeg, ['-hide_banner', '-filters'], limit).then((text) => listedNames(text, 'filters')),
  ]);
  const where = `ffmpeg ${ffmpegVersion} from ${SOURCES[binaries.source]} (${binaries.ffmpeg}), ffprobe ${ffprobeVersion}`;
  const missing = REQUIRED_ENCODERS.filter((name) => !encoders.has(name));
  if (missing.length > 0) {
    return fail(
      `${where} lacks the ${missing.join(' and ')} encoder${missing.length > 1 ? 's' : ''}`,
      'Install an ffmpeg built with libx264 and aac (Debian/Ubuntu: apt-get install ffmpeg; static builds have both), or point FFMPEG_BIN at one.',
    );
  }
  found(binaries, { drawtext: filters.has('drawtext') });
  if (!filters.has('drawtext')) {
    const detail = `${where} has libx264 and aac but no drawtext filter (the local preview renderer draws the prompt with it)`;
    const fix = 'Install an ffmpeg built with libfreetype (--enable-libfreetype), or use Replicate (REPLICATE_API_TOKEN).';
    return usesLocalRenderer(ctx) ? fail(detail, fix) : warn(detail, fix);
  }
  return pass(`${where}; libx264, aac, drawtext`);
};
