import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { throwIfAborted, vidbotError, type VidbotError, abortedError } from '../errors.ts';
import { OWN_SESSION, endsWithProcess, guardedCommand, launchFailure } from '../ffmpeg/child.ts';
import { detectFfmpegFeatures, type FfmpegFeatures } from '../ffmpeg/features.ts';
import type { ProgressListener } from '../progress.ts';
import { missingPreviewFilters, previewCapabilities } from './local-filters.ts';
import { deriveLook, sha256 } from './local-look.ts';
import { buildRenderArgs, type FontRef, type RenderPlan } from './local-render.ts';
import { drawableText, layoutPrompt } from './local-text.ts';
import { type Coverage, readFontCoverage } from './font-coverage.ts';
import { readImageFile } from './output.ts';
import type { GeneratedVideo, GenerateOptions, VideoProvider, VideoRequest } from './port.ts';
import { makeDirs } from '../files.ts';

export interface LocalProviderOptions {
  /** Path of the ffmpeg binary (needs libx264, aac and drawtext). */
  readonly ffmpeg: string;
  /** A TrueType/OpenType font for the text; otherwise a common sans font, or fontconfig's "Sans". */
  readonly fontFile?: string;
  /**
   * What this ffmpeg offers, when the caller already asked it (vidbot doctor does); otherwise the
   * provider asks once, at its first render, and keeps the answer.
   */
  readonly features?: FfmpegFeatures;
}

export const LOCAL_MODEL = 'local-preview';
export const LOCAL_LABEL = 'vidbot local preview — not AI';
const FPS = 30;
const DEFAULT_DURATION_SEC = 6;
const MAX_DURATION_SEC = 60;

const BOLD_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSansBold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  'C:\\Windows\\Fonts\\arialbd.ttf',
];
const REGULAR_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSans.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];
// DejaVu has no CJK glyphs; when the prompt needs them, a CJK font (if installed) draws it instead.
const CJK_FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
];
const CJK = /[\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7A3]/u;

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

const firstExisting = async (paths: readonly string[]): Promise<string | undefined> => {
  for (const path of paths) if (await exists(path)) return path;
  return undefined;
};

const resolveFonts = async (fontFile: string | undefined, prompt: string): Promise<RenderPlan['fonts']> => {
  if (fontFile !== undefined) {
    if (!(await exists(fontFile))) {
      throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Font file not found: ${fontFile}`);
    }
    return { text: { file: fontFile }, label: { file: fontFile } };
  }
  const cjk = CJK.test(prompt) ? await firstExisting(CJK_FONTS) : undefined;
  const bold = cjk ?? (await firstExisting(BOLD_FONTS));
  const regular = await firstExisting(REGULAR_FONTS);
  const fallback: FontRef = { family: 'Sans' };
  return {
    text: bold ? { file: bold } : regular ? { file: regular } : fallback,
    label: regular ? { file: regular } : fallback,
  };
};

/** Rounds the requested duration to what the renderer supports: 1..60 s, default 6. */
const normalizeDuration = (durationSec: number): number =>
  Number.isFinite(durationSec) && durationSec > 0
    ? Math.min(MAX_DURATION_SEC, Math.max(1, Math.round(durationSec * 10) / 10))
    : DEFAULT_DURATION_SEC;

const tail = (text: string, lines = 15): string => text.trim().split('\n').slice(-lines).join('\n');

const FILTER_HINT =
  'Install a complete ffmpeg (Debian/Ubuntu: `apt-get install ffmpeg`) or set FFMPEG_BIN to one; `vidbot doctor` lists what an ffmpeg lacks.';
const DRAWTEXT_HINT =
  'Install an ffmpeg built with libfreetype (--enable-libfreetype), e.g. Debian/Ubuntu `apt-get install ffmpeg`, or set FFMPEG_BIN to one.';

/** The error for filters this ffmpeg does not have (it says so, or its list lacks them). */
const missingFilters = (names: readonly string[], ffmpeg: string, extra: { cause?: unknown; stderr?: string } = {}): VidbotError => {
  const list = names.map((name) => `'${name}'`).join(', ');
  const plural = names.length > 1 ? 's' : '';
  return vidbotError('VIDBOT_FFMPEG_FAILED', `The ffmpeg at ${ffmpeg} has no ${list} filter${plural}, which the local preview needs.${extra.stderr ? `\n${extra.stderr}` : ''}`, {
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    details: { missingFilters: [...names], ...(extra.stderr === undefined ? {} : { stderr: extra.stderr }) },
    retryable: false,
    hint: names.includes('drawtext') ? DRAWTEXT_HINT : FILTER_HINT,
  });
};

/** Refuses a render this ffmpeg cannot do, before starting it: a missing filter, or no way to find a font. */
const checkRenderable = (features: FfmpegFeatures | undefined, fonts: RenderPlan['fonts'], ffmpeg: string): void => {
  if (features === undefined) return;
  const { required } = missingPreviewFilters(features.filters);
  if (required.length > 0) throw missingFilters(required, ffmpeg);
  if (!features.fontconfig && ('family' in fonts.text || 'family' in fonts.label)) {
    throw vidbotError('VIDBOT_FILE_NOT_FOUND', `No font file found for the preview's text, and the ffmpeg at ${ffmpeg} cannot look one up by name (it was built without fontconfig).`, {
      hint: 'Install a TrueType font (e.g. Debian/Ubuntu `apt-get install fonts-dejavu-core`), or give the local provider a fontFile.',
    });
  }
};

/** Translates a failed ffmpeg run into vidbot's errors, with hints for the common causes. */
const ffmpegError = (error: unknown, ffmpeg: string): VidbotError => {
  const e = error as { stderr?: unknown; exitCode?: number; signal?: string; message?: string };
  const launch = launchFailure(error);
  if (launch !== undefined) {
    return vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `Cannot run ffmpeg at ${ffmpeg} (${launch}).`, { cause: error });
  }
  const stderr = typeof e.stderr === 'string' ? tail(e.stderr) : '';
  const details = { stderr };
  const filter = /No such filter: '([^']+)'/.exec(stderr)?.[1];
  if (filter !== undefined) return missingFilters([filter], ffmpeg, { cause: error, stderr });
  if (/Unknown encoder 'libx264'/.test(stderr)) {
    return vidbotError('VIDBOT_FFMPEG_FAILED', `This ffmpeg has no libx264 encoder.\n${stderr}`, {
      cause: error,
      details,
      retryable: false,
      hint: 'Install an ffmpeg built with --enable-libx264 or set FFMPEG_BIN to one.',
    });
  }
  if (/Cannot find a valid font|Could not load font|Could not set font size/i.test(stderr)) {
    return vidbotError('VIDBOT_FFMPEG_FAILED', `ffmpeg could not load a font.\n${stderr}`, {
      cause: error,
      details,
      retryable: false,
      hint: 'Install a TrueType font (e.g. fonts-dejavu-core) or pass fontFile / set the font path explicitly.',
    });
  }
  // Not execa's message: it quotes the whole command line, which may start with setpriv.
  const summary = e.exitCode !== undefined ? `exit code ${e.exitCode}` : (e.signal ?? e.message ?? String(error));
  return vidbotError('VIDBOT_FFMPEG_FAILED', `ffmpeg failed rendering the local preview: ${summary}${stderr ? `\n${stderr}` : ''}`, {
    cause: error,
    details,
  });
};

/** Feeds `-progress pipe:1` output to the listener as a percentage of the clip's duration. */
const progressParser = (durationSec: number, onProgress: ProgressListener | undefined) => {
  let buffered = '';
  let last = -1;
  return (chunk: Buffer | string): void => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^out_time_us=(\d+)/.exec(line.trim());
      if (!match || !onProgress) continue;
      // 100 is reported only once the file is complete and in place.
      const percent = Math.min(99, Math.floor(Number(match[1]) / (durationSec * 10_000)));
      if (percent > last) {
        last = percent;
        onProgress({ percent, message: 'rendering' });
      }
    }
  };
};

/** Renders a deterministic, clearly labelled preview clip with ffmpeg; no AI involved. */
export const createLocalProvider = (options: LocalProviderOptions): VideoProvider => {
  // Asked once per provider (one ffmpeg binary), on the first render, unless the caller knew.
  let features: Promise<FfmpegFeatures | undefined> | undefined = options.features && Promise.resolve(options.features);
  const ffmpegFeatures = (): Promise<FfmpegFeatures | undefined> => (features ??= detectFfmpegFeatures(options.ffmpeg));
  // Read once per font file and provider: a few fonts at most.
  const coverages = new Map<string, Promise<Coverage | undefined>>();
  const coverageOf = (file: string): Promise<Coverage | undefined> => {
    const known = coverages.get(file) ?? readFontCoverage(file);
    coverages.set(file, known);
    return known;
  };
  return {
    name: 'local',
    defaultModel: LOCAL_MODEL,
    capabilities: () => ({ imageToVideo: true, ai: false }),
    async generate(request: VideoRequest, generateOptions: GenerateOptions): Promise<GeneratedVideo> {
      const { signal, onProgress } = generateOptions;
      throwIfAborted(signal);
      const workDir = resolve(generateOptions.workDir);
      const durationSec = normalizeDuration(request.durationSec);
      const [width, height] = request.orientation === 'landscape' ? [1280, 720] : [720, 1280];
      const image = request.firstFrameImage === undefined ? undefined : resolve(request.firstFrameImage);
      const imageDigest = image === undefined ? '' : sha256((await readImageFile(image)).bytes);

      // The look depends on the prompt and take alone; the file name on everything that changes the bytes.
      const take = request.take !== undefined && request.take > 1 ? request.take : 1;
      const look = deriveLook(request.prompt, take);
      const key = sha256([request.prompt, request.orientation, durationSec, imageDigest, ...(take > 1 ? [take] : [])].join('\u0000'));
      const output = join(workDir, `local-${key.slice(0, 12)}.mp4`);
      const fonts = await resolveFonts(options.fontFile, request.prompt);
      const covers = 'file' in fonts.text ? await coverageOf(fonts.text.file) : undefined;
      const layout = layoutPrompt(covers ? drawableText(request.prompt, covers) : request.prompt, request.orientation, width);
      const known = await ffmpegFeatures();
      checkRenderable(known, fonts, options.ffmpeg);
      throwIfAborted(signal);

      await makeDirs(workDir);
      const scratch = await mkdtemp(join(workDir, '.local-render-'));
      const partial = join(workDir, `.local-${key.slice(0, 12)}-${randomBytes(6).toString('hex')}.part.mp4`);
      try {
        // Text goes through files so quotes, colons, % and backslashes never meet filtergraph escaping.
        const lineFiles = layout.lines.map((_, i) => `line-${i}.txt`);
        await Promise.all(layout.lines.map((line, i) => writeFile(join(scratch, `line-${i}.txt`), line, 'utf8')));
        await writeFile(join(scratch, 'label.txt'), LOCAL_LABEL, 'utf8');
        const plan: RenderPlan = {
          width,
          height,
          fps: FPS,
          durationSec,
          look,
          layout,
          lineFiles,
          labelFile: 'label.txt',
          fonts,
          output: partial,
          capabilities: previewCapabilities(known?.filters),
          ...(image === undefined ? {} : { image }),
        };
        onProgress?.({ percent: 0, message: 'rendering' });
        throwIfAborted(signal);
        try {
          const command = await guardedCommand(options.ffmpeg, buildRenderArgs(plan));
          const subprocess = endsWithProcess(
            execa(command.file, command.args, {
              ...OWN_SESSION,
              cwd: scratch,
              stdin: 'ignore',
              cancelSignal: signal,
              forceKillAfterDelay: 3000,
              buffer: { stdout: false },
            }),
          );
          subprocess.stdout?.on('data', progressParser(durationSec, onProgress));
          await subprocess;
        } catch (error) {
          if (signal?.aborted) throw abortedError(signal);
          throw ffmpegError(error, options.ffmpeg);
        }
        throwIfAborted(signal);
        await rename(partial, output);
        onProgress?.({ percent: 100, message: 'rendered' });
        return { file: output, provider: 'local', model: LOCAL_MODEL };
      } finally {
        await rm(partial, { force: true });
        await rm(scratch, { recursive: true, force: true });
      }
    },
  };
};
