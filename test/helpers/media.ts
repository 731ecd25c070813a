import { mkdtemp, open, readdir, rm, truncate, writeFile, copyFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/**
 * Test media made with the real ffmpeg into temp dirs. Sources are small and short so a whole
 * suite stays fast on two cores; only the "high bitrate" clip is deliberately heavy per second.
 */

export const makeTempDir = (prefix = 'vidbot-media-'): Promise<string> => mkdtemp(path.join(tmpdir(), prefix));

export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

export const listDir = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

export interface ClipOptions {
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  readonly fps?: number;
  /** Whether to add a tone (AAC unless audioCodec says otherwise). */
  readonly audio?: boolean;
  readonly audioCodec?: string;
  /** Defaults to libx264 with High profile. */
  readonly videoArgs?: readonly string[];
  /** Temporal noise makes the clip hard to compress, i.e. high bitrate for its size. */
  readonly noise?: boolean;
  readonly noiseStrength?: number;
  readonly faststart?: boolean;
  /** Forces a non-default frame size through a scale filter (testsrc2 rounds odd sizes). */
  readonly scaleTo?: string;
}

/** veryfast rather than ultrafast: ultrafast drops CABAC, which makes the stream Constrained Baseline. */
const H264_HIGH = ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-crf', '23'];

export const makeClip = async (ffmpeg: string, file: string, options: ClipOptions): Promise<string> => {
  const fps = options.fps ?? 30;
  const filters = [
    options.noise ? `noise=alls=${options.noiseStrength ?? 30}:allf=t` : undefined,
    options.scaleTo ? `scale=${options.scaleTo}` : undefined,
  ].filter((f): f is string => f !== undefined);
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${options.width}x${options.height}:rate=${fps}`];
  if (options.audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(options.seconds));
  if (filters.length > 0) args.push('-vf', filters.join(','));
  args.push(...(options.videoArgs ?? H264_HIGH));
  if (options.audio) args.push('-c:a', options.audioCodec ?? 'aac', '-b:a', '128k');
  if (options.faststart) args.push('-movflags', '+faststart');
  args.push(file);
  await execa(ffmpeg, args);
  return file;
};

/** 2 s 320x240 H.264 High + AAC-LC: already WhatsApp-compliant, index at the end (no faststart). */
export const makeCompliantClip = (ffmpeg: string, dir: string, name = 'compliant.mp4') =>
  makeClip(ffmpeg, path.join(dir, name), { width: 320, height: 240, seconds: 2, audio: true });

/** Compliant video without any audio track. */
export const makeSilentClip = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'silent.mp4'), { width: 320, height: 240, seconds: 2 });

/** 1 s portrait 1080x1920: over the long-side limit, so it is re-encoded. */
export const makeVerticalClip = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'vertical.mp4'), {
    width: 1080, height: 1920, seconds: 1, audio: true,
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  });

/** 1 s 1920x1080, for the downscale to 1280x720. */
export const makeLargeClip = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'large.mp4'), {
    width: 1920, height: 1080, seconds: 1, audio: true,
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  });

/** 10 s 640x360 of noise at ~8 Mbit/s (~10 MB): far over a 2 MB budget, cheap to encode. */
export const makeHighBitrateClip = (ffmpeg: string, dir: string, seconds = 10) =>
  makeClip(ffmpeg, path.join(dir, 'high-bitrate.mp4'), {
    width: 640, height: 360, seconds, audio: true, noise: true,
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-pix_fmt', 'yuv420p'],
  });

/** 1 s of heavy noise at 720p: x264's rate control overshoots on it, exercising the retry passes. */
export const makeNoiseBurstClip = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'noise-burst.mp4'), {
    width: 1280, height: 720, seconds: 1, audio: true, noise: true, noiseStrength: 60,
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '10', '-pix_fmt', 'yuv420p'],
  });

/** MPEG-4 Part 2 video with MP2 audio in Matroska: neither stream is WhatsApp-compatible. */
export const makeMpeg4Mkv = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'mpeg4.mkv'), {
    width: 320, height: 240, seconds: 1, audio: true, audioCodec: 'mp2',
    videoArgs: ['-c:v', 'mpeg4', '-q:v', '5'],
  });

/** 321x241 H.264 4:4:4 (odd sizes are only legal without chroma subsampling). */
export const makeOddDimensionsClip = (ffmpeg: string, dir: string) =>
  makeClip(ffmpeg, path.join(dir, 'odd.mp4'), {
    width: 320, height: 240, seconds: 1, audio: true, scaleTo: '321:241',
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
  });

export const makeAudioOnly = async (ffmpeg: string, dir: string): Promise<string> => {
  const file = path.join(dir, 'audio-only.m4a');
  await execa(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-c:a', 'aac', file]);
  return file;
};

export const makeTextFile = async (dir: string): Promise<string> => {
  const file = path.join(dir, 'not-a-video.mp4');
  await writeFile(file, 'This is a text file with an .mp4 name, not a video.\n'.repeat(20));
  return file;
};

export const makeEmptyFile = async (dir: string): Promise<string> => {
  const file = path.join(dir, 'empty.mp4');
  await writeFile(file, '');
  return file;
};

/**
 * The first half of a valid MP4. With faststart the index survives and ffprobe reads the file
 * without complaint, which is the hard case; without it the index is lost.
 */
export const makeTruncatedMp4 = async (ffmpeg: string, dir: string, faststart: boolean): Promise<string> => {
  const whole = path.join(dir, `whole-${faststart ? 'faststart' : 'plain'}.mp4`);
  await makeClip(ffmpeg, whole, { width: 320, height: 240, seconds: 2, audio: true, faststart });
  const file = path.join(dir, `truncated-${faststart ? 'faststart' : 'plain'}.mp4`);
  await copyFile(whole, file);
  await truncate(file, Math.floor((await stat(whole)).size / 2));
  await rm(whole);
  return file;
};

/** Top-level MP4 box types in file order, read independently of vidbot's own parser. */
export const topLevelBoxes = async (file: string): Promise<string[]> => {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const header = Buffer.alloc(16);
    const types: string[] = [];
    for (let offset = 0; offset + 8 <= size; ) {
      await handle.read(header, 0, 16, offset);
      const short = header.readUInt32BE(0);
      const boxSize = short === 1 ? Number(header.readBigUInt64BE(8)) : short === 0 ? size - offset : short;
      types.push(header.toString('latin1', 4, 8));
      if (boxSize < 8) break;
      offset += boxSize;
    }
    return types;
  } finally {
    await handle.close();
  }
};

export interface FfprobeStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  channels?: number;
}

/** Raw ffprobe output, so tests check files without trusting vidbot's probe. */
export const ffprobeJson = async (
  ffprobe: string,
  file: string,
): Promise<{ streams: FfprobeStream[]; format: { format_name: string; duration: string; size: string } }> => {
  const { stdout } = await execa(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout) as { streams: FfprobeStream[]; format: { format_name: string; duration: string; size: string } };
};
