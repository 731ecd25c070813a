import { open } from 'node:fs/promises';
import { isVidbotError } from '../errors.ts';
import { runFfmpeg } from './run.ts';

/** What a decoder says of a file that ends before its data does: it decodes, the rest grey. */
const CUT_SHORT = /EOI missing/;
/** What an ffmpeg says when it cannot decode such a file at all: its own lack, not the photo's. */
const CANNOT_DECODE = /Decoder \(codec [^)]*\) not found|not implemented|unsupported/i;

/** An animated WebP (VP8X with its animation flag): ffmpeg 5.1 has no decoder for it, and a model may take it. */
const isAnimatedWebp = (head: Buffer): boolean =>
  head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 16) === 'WEBPVP8X' && ((head[20] ?? 0) & 0x02) !== 0;

const firstBytes = async (file: string, count: number): Promise<Buffer> => {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return Buffer.alloc(0);
  try {
    const bytes = Buffer.alloc(count);
    const { bytesRead } = await handle.read(bytes, 0, count, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

/**
 * Whether a photo can be used: ffmpeg decodes its first frame. A photo whose first bytes are right
 * and whose data is not (a download cut short) passes the type check, then failed when the video was
 * made, three times, as if the bot were at fault. What this ffmpeg cannot decode at all, or an ffmpeg
 * that cannot run, says nothing about the photo: true.
 */
export const imageDecodes = async (ffmpeg: string, file: string, signal?: AbortSignal): Promise<boolean> => {
  const head = await firstBytes(file, 32);
  if (isAnimatedWebp(head)) return true;
  try {
    const { stderr } = await runFfmpeg(['-xerror', '-i', file, '-frames:v', '1', '-f', 'null', '-'], { ffmpeg, ...(signal ? { signal } : {}) });
    return !CUT_SHORT.test(stderr);
  } catch (error) {
    if (isVidbotError(error, 'VIDBOT_CANCELED')) throw error;
    if (!isVidbotError(error, 'VIDBOT_FFMPEG_FAILED') || typeof error.details.exitCode !== 'number') return true;
    return CANNOT_DECODE.test(String(error.details.stderr ?? ''));
  }
};
