/**
 * What every remote provider does with images going out and videos coming back: a first frame
 * becomes a data URI; the output is downloaded (or decoded) into the work folder and checked to be
 * a video before compression.
 */
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { vidbotError } from '../errors.ts';
import { makeDirs, readHead } from '../files.ts';
import { probeVideo } from '../ffmpeg/probe.ts';
import { downloadToFile } from '../http/download.ts';
import { SNIFF_BYTES, sniffImageType } from '../media-type.ts';
import type { ProgressListener } from '../progress.ts';

/** A photo to animate that is not one (a text file, a PDF, a HEIC): the user passed the wrong file. */
export const notAnImage = (file: string) =>
  vidbotError('VIDBOT_MEDIA_INVALID', `${file} is not a JPEG, PNG or WebP image.`, { hint: 'Pass the photo as a JPEG, PNG or WebP file.' });

/** A photo whose first bytes are an image's and whose data ffmpeg cannot decode (cut short, damaged). */
export const damagedImage = (file: string) =>
  vidbotError('VIDBOT_MEDIA_INVALID', `${file} seems damaged or cut short: its picture cannot be decoded.`, {
    hint: 'Export or download the photo again, or pass another JPEG, PNG or WebP file.',
  });

/** A photo that cannot be read: missing, or unreadable (said as the system says it). */
const unreadableImage = (file: string, error: unknown) => {
  const missing = ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');
  return vidbotError('VIDBOT_FILE_NOT_FOUND', missing ? `No image at ${file}.` : `Cannot read the image ${file}: ${(error as Error).message}`, { cause: error });
};

/** A photo's bytes and type, or the error naming why it is none. */
export const readImageFile = async (file: string): Promise<{ readonly bytes: Buffer; readonly type: string }> => {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw unreadableImage(file, error);
  });
  const type = sniffImageType(bytes.subarray(0, SNIFF_BYTES));
  if (!type) throw notAnImage(file);
  return { bytes, type };
};

export const imageDataUri = async (file: string): Promise<string> => {
  const { bytes, type } = await readImageFile(file);
  return `data:${type};base64,${bytes.toString('base64')}`;
};

/** Checks a photo to animate before anything is made of it: a file, and an image by its first bytes (not read whole). */
export const assertImageFile = async (file: string): Promise<void> => {
  const handle = await open(file).catch((error: unknown) => {
    throw unreadableImage(file, error);
  });
  try {
    if (!(await handle.stat()).isFile()) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `No image at ${file} (a folder is there).`);
    const head = Buffer.alloc(SNIFF_BYTES);
    await handle.read(head, 0, SNIFF_BYTES, 0);
    if (!sniffImageType(head)) throw notAnImage(file);
  } finally {
    await handle.close();
  }
};

/** The images of a request as data URIs, read once. */
export const requestFrames = async (request: { firstFrameImage?: string; lastFrameImage?: string }) => ({
  ...(request.firstFrameImage ? { first: await imageDataUri(request.firstFrameImage) } : {}),
  ...(request.lastFrameImage ? { last: await imageDataUri(request.lastFrameImage) } : {}),
});

const looksLikeVideo = (head: Buffer): boolean =>
  head.subarray(4, 8).toString('latin1') === 'ftyp' ||
  head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])) ||
  head.subarray(0, 4).toString('latin1') === 'GIF8';

/** Refuses an output that is not a video (an HTML error page, an image) before it reaches ffmpeg. */
export const assertIsVideo = async (file: string, ffprobe: string | undefined, label: string): Promise<void> => {
  const notVideo = (why: string) => vidbotError('VIDBOT_GENERATION_FAILED', `${label} is not a video (${why}).`);
  if (ffprobe) {
    await probeVideo(file, { ffprobe }).catch((error: unknown) => {
      throw notVideo((error as Error).message);
    });
    return;
  }
  if (!looksLikeVideo(await readHead(file, 12))) throw notVideo('unknown file type');
};

const VIDEO_EXT = /^\.(mp4|mov|webm|mkv|gif|m4v)$/;

const extensionOf = (url: string): string => {
  if (url.startsWith('data:')) {
    const type = /^data:video\/([\w-]+)/.exec(url)?.[1];
    return type === 'webm' ? '.webm' : type === 'quicktime' ? '.mov' : '.mp4';
  }
  const ext = extname(new URL(url).pathname).toLowerCase();
  return VIDEO_EXT.test(ext) ? ext : '.mp4';
};

export interface SaveOutputOptions {
  /** An http(s) URL to download, or a data URL (Cog's default for files). */
  readonly url: string;
  readonly workDir: string;
  /** The file's name without extension, e.g. "fal-<request id>". */
  readonly name: string;
  readonly maxBytes: number;
  /** What it is, for messages ("fal's output"). */
  readonly label: string;
  readonly ffprobe?: string;
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/**
 * The work folder, made when missing: called before a model is paid to run, since an output that
 * cannot be saved once it has run is a prediction paid for nothing.
 */
export const readyWorkDir = async (workDir: string): Promise<void> => {
  try {
    await makeDirs(resolve(workDir));
  } catch (error) {
    throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Cannot write in the work folder ${workDir}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Give a work folder (workDir) that exists or can be made, and that you can write to.',
    });
  }
};

/** Writes a provider's output into the work folder, checked to be a video; nothing is left on failure. */
export const saveOutput = async (options: SaveOutputOptions): Promise<string> => {
  // Made before the run too (readyWorkDir); made again here should it have gone meanwhile.
  await readyWorkDir(options.workDir);
  const file = join(options.workDir, `${options.name}${extensionOf(options.url)}`);
  if (options.url.startsWith('data:')) {
    const comma = options.url.indexOf(',');
    const bytes = Buffer.from(options.url.slice(comma + 1), /;base64$/.test(options.url.slice(0, comma)) ? 'base64' : 'utf8');
    if (bytes.length === 0) throw vidbotError('VIDBOT_GENERATION_FAILED', `${options.label} came back empty.`);
    if (bytes.length > options.maxBytes) {
      throw vidbotError('VIDBOT_GENERATION_FAILED', `${options.label} is larger than the download cap (${bytes.length} > ${options.maxBytes} bytes; VIDBOT_DOWNLOAD_MAX_BYTES).`, {
        retryable: false,
      });
    }
    await writeFile(file, bytes);
  } else {
    await downloadToFile({
      url: options.url,
      file,
      maxBytes: options.maxBytes,
      label: options.label,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
  await assertIsVideo(file, options.ffprobe, options.label).catch(async (error: unknown) => {
    await rm(file, { force: true });
    throw error;
  });
  return file;
};
