import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compressForWhatsApp } from '../../src/lib/compressor/index.ts';
import { isVidbotError, type ErrorCode } from '../../src/lib/errors.ts';
import { locateFfmpeg, type FfmpegBinaries } from '../../src/lib/ffmpeg/locate.ts';
import {
  listDir,
  makeAudioOnly,
  makeCompliantClip,
  makeEmptyFile,
  makeHighBitrateClip,
  makeTempDir,
  makeTextFile,
  makeTruncatedMp4,
  removeDir,
} from '../helpers/media.ts';

let bins: FfmpegBinaries;
let src: string;
let out: string;

beforeAll(async () => {
  bins = await locateFfmpeg();
  src = await makeTempDir('vidbot-bad-src-');
  out = await makeTempDir('vidbot-bad-out-');
});
afterAll(async () => {
  await removeDir(src);
  await removeDir(out);
});
// Every failure must leave the output folder as it found it: empty.
afterEach(async () => {
  expect(await listDir(out)).toEqual([]);
});

const codeOf = async (promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> => {
  try {
    await promise;
  } catch (error) {
    if (isVidbotError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a VidbotError, but the call succeeded');
};

const compress = (input: string, extra: { maxBytes?: number; signal?: AbortSignal; onProgress?: () => void } = {}) =>
  compressForWhatsApp(input, { ...bins, output: path.join(out, 'out.mp4'), ...extra });

describe('compressForWhatsApp rejects bad inputs with the right code', () => {
  it('no ffmpeg paths (a JavaScript caller) -> VIDBOT_INVALID_ARGUMENT naming them, not an unreadable video', async () => {
    const clip = await makeCompliantClip(bins.ffmpeg, src);
    const options = { output: path.join(out, 'out.mp4') } as unknown as Parameters<typeof compressForWhatsApp>[1];
    expect(await codeOf(compressForWhatsApp(clip, options))).toEqual({ code: 'VIDBOT_INVALID_ARGUMENT', message: 'compressForWhatsApp needs the ffmpeg and ffprobe paths.' });
  });

  it('no options or no input at all (a JavaScript caller) -> VIDBOT_INVALID_ARGUMENT, not a TypeError', async () => {
    const clip = await makeCompliantClip(bins.ffmpeg, src);
    const call = compressForWhatsApp as unknown as (...args: unknown[]) => Promise<unknown>;
    expect(await codeOf(call(clip))).toEqual({ code: 'VIDBOT_INVALID_ARGUMENT', message: 'compressForWhatsApp needs the ffmpeg and ffprobe paths.' });
    expect(await codeOf(call(undefined, { ...bins }))).toEqual({ code: 'VIDBOT_INVALID_ARGUMENT', message: 'compressForWhatsApp needs the path of the video to compress.' });
  });

  it('missing file -> VIDBOT_FILE_NOT_FOUND', async () => {
    const { code, message } = await codeOf(compress(path.join(src, 'nope.mp4')));
    expect(code).toBe('VIDBOT_FILE_NOT_FOUND');
    expect(message).toContain('nope.mp4');
  });

  it('zero-length file -> VIDBOT_MEDIA_INVALID', async () => {
    const { code, message } = await codeOf(compress(await makeEmptyFile(src)));
    expect(code).toBe('VIDBOT_MEDIA_INVALID');
    expect(message).toMatch(/empty/);
  });

  it('text file named .mp4 -> VIDBOT_MEDIA_INVALID', async () => {
    const { code, message } = await codeOf(compress(await makeTextFile(src)));
    expect(code).toBe('VIDBOT_MEDIA_INVALID');
    expect(message).toMatch(/not a readable media file/);
  });

  it('truncated MP4 with its index up front -> VIDBOT_MEDIA_INVALID', async () => {
    const { code, message } = await codeOf(compress(await makeTruncatedMp4(bins.ffmpeg, src, true)));
    expect(code).toBe('VIDBOT_MEDIA_INVALID');
    expect(message).toMatch(/truncated/);
  });

  it('truncated MP4 with its index at the end -> VIDBOT_MEDIA_INVALID', async () => {
    const { code } = await codeOf(compress(await makeTruncatedMp4(bins.ffmpeg, src, false)));
    expect(code).toBe('VIDBOT_MEDIA_INVALID');
  });

  it('audio-only file -> VIDBOT_MEDIA_INVALID "has no video stream"', async () => {
    const { code, message } = await codeOf(compress(await makeAudioOnly(bins.ffmpeg, src)));
    expect(code).toBe('VIDBOT_MEDIA_INVALID');
    expect(message).toMatch(/has no video stream/);
  });

  it('a folder as input -> VIDBOT_MEDIA_INVALID', async () => {
    expect((await codeOf(compress(src))).code).toBe('VIDBOT_MEDIA_INVALID');
  });
});

describe('compressForWhatsApp rejects bad options and outputs', () => {
  it('output folder that does not exist -> VIDBOT_OUTPUT_UNWRITABLE', async () => {
    const input = await makeCompliantClip(bins.ffmpeg, src);
    const { code, message } = await codeOf(
      compressForWhatsApp(input, { ...bins, output: path.join(out, 'missing-dir', 'x.mp4') }),
    );
    expect(code).toBe('VIDBOT_OUTPUT_UNWRITABLE');
    expect(message).toContain('missing-dir');
  });

  it('output path that is a folder -> VIDBOT_OUTPUT_UNWRITABLE', async () => {
    const input = await makeCompliantClip(bins.ffmpeg, src);
    expect((await codeOf(compressForWhatsApp(input, { ...bins, output: src }))).code).toBe('VIDBOT_OUTPUT_UNWRITABLE');
  });

  it('output equal to the input -> VIDBOT_INPUT_INVALID, input untouched', async () => {
    const input = await makeCompliantClip(bins.ffmpeg, src);
    const before = await listDir(src);
    expect((await codeOf(compressForWhatsApp(input, { ...bins, output: input }))).code).toBe('VIDBOT_INPUT_INVALID');
    expect(await listDir(src)).toEqual(before);
  });

  it.each([0, -5, 1.5, Number.NaN])('maxBytes %s -> VIDBOT_INVALID_ARGUMENT (config and the CLI check it first)', async (maxBytes) => {
    const input = await makeCompliantClip(bins.ffmpeg, src);
    expect((await codeOf(compress(input, { maxBytes }))).code).toBe('VIDBOT_INVALID_ARGUMENT');
  });

  it.each([50_000, 150_000])('maxBytes %s for a 10 s clip -> VIDBOT_SIZE_LIMIT_UNREACHABLE up front', async (maxBytes) => {
    const input = await makeHighBitrateClip(bins.ffmpeg, src);
    const started = performance.now();
    const { code, message } = await codeOf(compress(input, { maxBytes }));
    expect(code).toBe('VIDBOT_SIZE_LIMIT_UNREACHABLE');
    expect(message).toMatch(/needs at least \d+ bytes/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('compressForWhatsApp cancellation', () => {
  it('abort mid-encode -> VIDBOT_CANCELED, ffmpeg stopped, no partial file', async () => {
    const input = await makeHighBitrateClip(bins.ffmpeg, src);
    const controller = new AbortController();
    const started = performance.now();
    const { code } = await codeOf(
      compress(input, {
        maxBytes: 2_000_000,
        signal: controller.signal,
        // Abort once ffmpeg is demonstrably running and writing.
        onProgress: () => controller.abort(new Error('user canceled')),
      }),
    );
    expect(code).toBe('VIDBOT_CANCELED');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('an already-aborted signal -> VIDBOT_CANCELED before any work', async () => {
    const input = await makeCompliantClip(bins.ffmpeg, src);
    const { code } = await codeOf(compress(input, { signal: AbortSignal.abort() }));
    expect(code).toBe('VIDBOT_CANCELED');
  });
});
