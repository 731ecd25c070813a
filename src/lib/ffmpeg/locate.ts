import { access, chmod, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { execa } from 'execa';
import { vidbotError } from '../errors.ts';

export type FfmpegSource = 'FFMPEG_BIN' | 'PATH' | '@ffmpeg-installer';

export interface FfmpegBinaries {
  /** Absolute path of a working ffmpeg. */
  readonly ffmpeg: string;
  /** Absolute path of a working ffprobe. */
  readonly ffprobe: string;
  /** Where ffmpeg was found. */
  readonly source: FfmpegSource;
}

/** Paths the npm installer packages would provide; either may be missing. */
export interface InstallerBinaries {
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
}

export interface LocateFfmpegOptions {
  /** The FFMPEG_BIN setting: a path or a command name looked up on PATH (never read from `env`: settings are the caller's). */
  readonly ffmpegBin?: string | undefined;
  /** Environment whose PATH is searched; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Finds the @ffmpeg-installer / @ffprobe-installer binaries. `false` skips that fallback
   * (tests, or deployments that must use a system ffmpeg); defaults to resolving the packages.
   */
  readonly resolveInstaller?: false | (() => Promise<InstallerBinaries>);
  /** Time allowed for each `<bin> -version` check. */
  readonly timeoutMs?: number;
}

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

/** Why a file cannot be run, or undefined when it can. */
const unusableReason = async (file: string): Promise<string | undefined> => {
  try {
    if (!(await stat(file)).isFile()) return 'is not a file';
  } catch {
    return 'does not exist';
  }
  try {
    await access(file, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable';
  }
};

const isExecutableFile = async (file: string): Promise<boolean> => (await unusableReason(file)) === undefined;

/** Resolves a command name against PATH ourselves so the env option is honoured exactly. */
const whichOnPath = async (name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> => {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) {
    const candidate = path.resolve(dir, exe(name));
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
};

/** True when `<bin> -version` runs and identifies itself as the expected tool. */
const answersVersion = async (bin: string, tool: 'ffmpeg' | 'ffprobe', timeoutMs: number): Promise<boolean> => {
  const result = await execa(bin, ['-version'], { timeout: timeoutMs, reject: false, stdin: 'ignore' });
  return result.exitCode === 0 && String(result.stdout).startsWith(`${tool} version`);
};

/** Resolves the optional installer packages lazily so a missing package costs nothing until needed. */
export const resolveInstallerPackages = async (): Promise<InstallerBinaries> => {
  const require = createRequire(import.meta.url);
  const load = (pkg: string): string | undefined => {
    try {
      const mod = require(pkg) as { path?: unknown };
      return typeof mod.path === 'string' ? mod.path : undefined;
    } catch {
      // Optional dependency absent, or no binary for this platform.
      return undefined;
    }
  };
  const found = { ffmpeg: load('@ffmpeg-installer/ffmpeg'), ffprobe: load('@ffprobe-installer/ffprobe') };
  // npm may skip install scripts, leaving the binaries without the exec bit.
  for (const file of [found.ffmpeg, found.ffprobe]) {
    if (file === undefined) continue;
    try {
      const { mode } = await stat(file);
      if ((mode & 0o100) === 0) await chmod(file, mode | 0o100);
    } catch {
      // Read-only install: the -version check will report it.
    }
  }
  return found;
};

/**
 * Finds working ffmpeg and ffprobe binaries: the FFMPEG_BIN setting when given (and then only it;
 * ffprobe beside it, then on PATH, then the installer package), else PATH, then the
 * @ffmpeg-installer packages.
 */
export const locateFfmpeg = async (options: LocateFfmpegOptions = {}): Promise<FfmpegBinaries> => {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const resolveInstaller = options.resolveInstaller ?? resolveInstallerPackages;
  let installer: InstallerBinaries | undefined;
  const installerBinaries = async (): Promise<InstallerBinaries> => {
    if (resolveInstaller === false) return {};
    installer ??= await resolveInstaller();
    return installer;
  };

  const verified = async (file: string | undefined, tool: 'ffmpeg' | 'ffprobe'): Promise<string | undefined> =>
    file !== undefined && (await isExecutableFile(file)) && (await answersVersion(file, tool, timeoutMs))
      ? file
      : undefined;

  /** ffmpeg if it works, and the ffprobe beside it if that does: asked at once (each `-version` takes a tenth of a second or more). */
  const verifiedPair = async (file: string | undefined): Promise<{ ffmpeg?: string; beside?: string }> => {
    if (file === undefined) return {};
    const [ffmpeg, beside] = await Promise.all([verified(file, 'ffmpeg'), verified(path.join(path.dirname(file), exe('ffprobe')), 'ffprobe')]);
    return { ...(ffmpeg === undefined ? {} : { ffmpeg }), ...(beside === undefined ? {} : { beside }) };
  };

  const findFfprobe = async (): Promise<string | undefined> =>
    (await verified(await whichOnPath('ffprobe', env), 'ffprobe')) ?? (await verified((await installerBinaries()).ffprobe, 'ffprobe'));

  const tried: string[] = [];
  const candidates: Array<{ source: FfmpegSource; find: () => Promise<string | undefined>; describe: string }> = [];
  const bin = options.ffmpegBin?.trim();
  if (bin) {
    const isPath = bin.includes('/') || bin.includes(path.sep);
    const file = isPath ? path.resolve(bin) : await whichOnPath(bin, env);
    const reason = file === undefined ? 'is not on PATH' : ((await unusableReason(file)) ?? 'does not answer `-version` as ffmpeg');
    candidates.push({ source: 'FFMPEG_BIN', find: async () => file, describe: `FFMPEG_BIN=${bin} ${reason}` });
  } else {
    tried.push('FFMPEG_BIN is not set');
  }
  candidates.push(
    { source: 'PATH', find: () => whichOnPath('ffmpeg', env), describe: 'no ffmpeg on PATH' },
    {
      source: '@ffmpeg-installer',
      find: async () => (await installerBinaries()).ffmpeg,
      describe: resolveInstaller === false ? 'the @ffmpeg-installer/ffmpeg fallback is disabled' : 'none in @ffmpeg-installer/ffmpeg',
    },
  );

  let ffprobeMissingBeside: string | undefined;
  for (const candidate of candidates) {
    const { ffmpeg, beside } = await verifiedPair(await candidate.find());
    if (ffmpeg === undefined) {
      // An explicit FFMPEG_BIN that does not work is a mistake to report, not a reason to
      // quietly run some other ffmpeg the user did not ask for.
      if (candidate.source === 'FFMPEG_BIN') {
        throw vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `ffmpeg not found: ${candidate.describe}`, {
          hint: 'Fix FFMPEG_BIN (a path or a command on PATH), or unset it to use the ffmpeg on PATH.',
          details: { ffmpegBin: options.ffmpegBin },
        });
      }
      tried.push(candidate.describe);
      continue;
    }
    const ffprobe = beside ?? (await findFfprobe());
    if (ffprobe !== undefined) return { ffmpeg, ffprobe, source: candidate.source };
    ffprobeMissingBeside ??= ffmpeg;
    tried.push(`ffmpeg ${ffmpeg} has no ffprobe beside it, on PATH or in @ffprobe-installer/ffprobe`);
  }

  const what = ffprobeMissingBeside === undefined ? 'ffmpeg not found' : 'ffprobe not found';
  throw vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `${what}: ${joinReasons(tried)}`, {
    details: { ffmpegBin: options.ffmpegBin, tried },
  });
};

const joinReasons = (reasons: readonly string[]): string =>
  reasons.length <= 1 ? (reasons[0] ?? '') : `${reasons.slice(0, -1).join(', ')}, and ${reasons.at(-1)}`;
