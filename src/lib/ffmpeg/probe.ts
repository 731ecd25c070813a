import { open, stat } from 'node:fs/promises';
import { execa, type ExecaError } from 'execa';
import { throwIfAborted, vidbotError } from '../errors.ts';
import type { MediaInfo, StreamInfo } from '../domain.ts';
import { OWN_SESSION, endsWithProcess } from './child.ts';

export interface ProbeOptions {
  readonly ffprobe: string;
  readonly signal?: AbortSignal;
}

export interface VideoStreamInfo extends StreamInfo {
  /** Display rotation in degrees from the container (phones store portrait video rotated). */
  readonly rotation: number;
  /** Width and height as displayed, i.e. after applying the rotation. */
  readonly displayWidth?: number;
  readonly displayHeight?: number;
}

export interface AudioStreamInfo extends StreamInfo {
  readonly channels?: number;
  readonly sampleRate?: number;
}

/** MediaInfo plus the details the compressor needs to decide how to encode. */
export interface ProbedMedia extends MediaInfo {
  readonly video?: VideoStreamInfo;
  readonly audio?: AudioStreamInfo;
}

export type ProbedVideo = ProbedMedia & { readonly video: VideoStreamInfo };

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  bit_rate?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

interface RawProbe {
  format?: { format_name?: string; duration?: string };
  streams?: RawStream[];
}

const MP4_FAMILY = /(^|,)(mov|mp4)(,|$)/;

const num = (value: string | number | undefined): number | undefined => {
  const parsed = typeof value === 'number' ? value : Number.parseFloat(value ?? '');
  return Number.isFinite(parsed) ? parsed : undefined;
};

export interface Mp4Box {
  readonly type: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * Lists an MP4/MOV file's top-level boxes. `truncated` is true when a box claims more bytes than
 * the file has: ffprobe happily reads such files when the index (moov) comes first.
 */
export const readMp4Boxes = async (file: string): Promise<{ boxes: Mp4Box[]; truncated: boolean }> => {
  const handle = await open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const header = Buffer.alloc(16);
    const boxes: Mp4Box[] = [];
    let offset = 0;
    while (offset < fileSize && boxes.length < 10_000) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) return { boxes, truncated: true };
      const type = header.toString('latin1', 4, 8);
      let size = header.readUInt32BE(0);
      if (size === 1) {
        if (bytesRead < 16) return { boxes, truncated: true };
        size = Number(header.readBigUInt64BE(8));
      } else if (size === 0) {
        size = fileSize - offset; // "extends to the end of the file"
      }
      if (size < 8 || offset + size > fileSize) return { boxes, truncated: true };
      boxes.push({ type, offset, size });
      offset += size;
    }
    return { boxes, truncated: false };
  } finally {
    await handle.close();
  }
};

/** The last meaningful lines of ffprobe/ffmpeg stderr, without the `[demuxer @ 0x...]` noise. */
const summarizeStderr = (stderr: string, file: string): string =>
  stderr
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/i, '').replace(`${file}: `, '').trim())
    .filter((line) => line !== '')
    .slice(-3)
    .join('; ');

const checkFileExists = async (file: string): Promise<number> => {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw vidbotError('VIDBOT_MEDIA_INVALID', `${file} is a folder, not a video file.`);
    return info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Input file not found: ${file}`, { cause: error });
    }
    throw error;
  }
};

/** Runs ffprobe on a file and summarizes its format and first video and audio streams. */
export const probeMedia = async (file: string, options: ProbeOptions): Promise<ProbedMedia> => {
  throwIfAborted(options.signal);
  const sizeBytes = await checkFileExists(file);
  if (sizeBytes === 0) throw vidbotError('VIDBOT_MEDIA_INVALID', `${file} is empty (0 bytes).`);

  let stdout: string;
  try {
    const result = await endsWithProcess(
      execa(options.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
        ...OWN_SESSION,
        cancelSignal: options.signal,
        stdin: 'ignore',
      }),
    );
    stdout = result.stdout;
  } catch (error) {
    const failure = error as ExecaError;
    if (failure.isCanceled) throw vidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: error });
    if (failure.code === 'ENOENT') {
      throw vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `ffprobe not found at ${options.ffprobe}.`, { cause: error });
    }
    const reason = summarizeStderr(String(failure.stderr ?? ''), file) || failure.shortMessage;
    throw vidbotError('VIDBOT_MEDIA_INVALID', `${file} is not a readable media file (ffprobe: ${reason}).`, {
      cause: error,
      details: { stderr: failure.stderr },
    });
  }

  const raw = JSON.parse(stdout) as RawProbe;
  const formatName = raw.format?.format_name ?? 'unknown';
  if (MP4_FAMILY.test(formatName) && (await readMp4Boxes(file)).truncated) {
    throw vidbotError('VIDBOT_MEDIA_INVALID', `${file} is truncated: the file ends before its data does (incomplete download or copy?).`);
  }

  const streams = raw.streams ?? [];
  // Cover art in audio files shows up as a one-frame video stream; it is not a video.
  const rawVideo = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const rawAudio = streams.find((s) => s.codec_type === 'audio');
  const durations = [raw.format?.duration, ...streams.map((s) => s.duration)].map(num);
  const durationSec = durations[0] ?? Math.max(0, ...durations.filter((d): d is number => d !== undefined));

  return {
    file,
    sizeBytes,
    durationSec,
    formatName,
    ...(rawVideo && { video: toVideo(rawVideo) }),
    ...(rawAudio && { audio: toAudio(rawAudio) }),
  };
};

const toStream = (raw: RawStream): StreamInfo => ({
  codec: raw.codec_name ?? 'unknown',
  ...(raw.profile !== undefined && { profile: raw.profile }),
  ...(raw.pix_fmt !== undefined && { pixelFormat: raw.pix_fmt }),
  ...(raw.width !== undefined && { width: raw.width }),
  ...(raw.height !== undefined && { height: raw.height }),
  ...(num(raw.bit_rate) !== undefined && { bitrate: num(raw.bit_rate) }),
});

const toVideo = (raw: RawStream): VideoStreamInfo => {
  const rotation = num(raw.side_data_list?.find((d) => d.rotation !== undefined)?.rotation) ?? num(raw.tags?.rotate) ?? 0;
  const sideways = Math.abs(rotation) % 180 === 90;
  return {
    ...toStream(raw),
    rotation,
    ...(raw.width !== undefined && { displayWidth: sideways ? raw.height : raw.width }),
    ...(raw.height !== undefined && { displayHeight: sideways ? raw.width : raw.height }),
  };
};

const toAudio = (raw: RawStream): AudioStreamInfo => ({
  ...toStream(raw),
  ...(raw.channels !== undefined && { channels: raw.channels }),
  ...(num(raw.sample_rate) !== undefined && { sampleRate: num(raw.sample_rate) }),
});

/** Throws VIDBOT_MEDIA_INVALID unless the probed file is a video with a duration. */
export function assertVideo(media: ProbedMedia): asserts media is ProbedVideo {
  if (media.video === undefined) {
    const what = media.audio ? 'an audio-only file' : 'not a video';
    throw vidbotError('VIDBOT_MEDIA_INVALID', `${media.file} has no video stream (${what}).`);
  }
  if (!(media.durationSec > 0)) {
    throw vidbotError('VIDBOT_MEDIA_INVALID', `${media.file} has no duration (a still image?); pass a video.`);
  }
}

/** Probes a file and checks that it is a video: the usual first step before encoding. */
export const probeVideo = async (file: string, options: ProbeOptions): Promise<ProbedVideo> => {
  const media = await probeMedia(file, options);
  assertVideo(media);
  return media;
};
