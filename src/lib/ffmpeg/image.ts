import { isVidbotError, isAbortError } from '../errors.ts';
import { readHead } from '../files.ts';
import { isAnimatedWebp } from '../media-type.ts';
import { runFfmpeg } from './run.ts';

/** What a decoder says of a file that ends before its data does: it decodes, the rest grey. */
const CUT_SHORT = /EOI missing/;
/** What an ffmpeg says when it cannot decode such a file at all: its own lack, not the photo's. */
const CANNOT_DECODE = /Decoder \(codec [^)]*\) not found|not implemented|unsupported/i;

/**
 * Whether a photo can be used: ffmpeg decodes its first frame. A photo whose first bytes are right
 * and whose data is not (a download cut short) passes the type check, then failed when the video was
 * made, three times, as if the bot were at fault. What this ffmpeg cannot decode at all, or an ffmpeg
 * that cannot run, says nothing about the photo: true.
 */
export const imageDecodes = async (ffmpeg: string, file: string, signal?: AbortSignal): Promise<boolean> => {
  // ffmpeg 5.1 has no decoder for an animated WebP, and a model may take it.
  if (isAnimatedWebp(await readHead(file, 32).catch(() => Buffer.alloc(0)))) return true;
  try {
    const { stderr } = await runFfmpeg(['-xerror', '-i', file, '-frames:v', '1', '-f', 'null', '-'], { ffmpeg, ...(signal ? { signal } : {}) });
    return !CUT_SHORT.test(stderr);
  } catch (error) {
    if (isAbortError(error)) throw error;
    if (!isVidbotError(error, 'VIDBOT_FFMPEG_FAILED') || typeof error.details.exitCode !== 'number') return true;
    return CANNOT_DECODE.test(String(error.details.stderr ?? ''));
  }
};
