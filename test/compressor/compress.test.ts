import path from 'node:path';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressForWhatsApp, createFfmpegCompressor } from '../../src/lib/compressor/index.ts';
import { locateFfmpeg, type FfmpegBinaries } from '../../src/lib/ffmpeg/locate.ts';
import {
  ffprobeJson,
  listDir,
  makeClip,
  makeCompliantClip,
  makeHighBitrateClip,
  makeLargeClip,
  makeMpeg4Mkv,
  makeNoiseBurstClip,
  makeOddDimensionsClip,
  makeSilentClip,
  makeTempDir,
  makeVerticalClip,
  removeDir,
  topLevelBoxes,
} from '../helpers/media.ts';

let bins: FfmpegBinaries;
let src: string;
let out: string;
let clips: Record<'compliant' | 'highBitrate' | 'silent' | 'vertical' | 'large' | 'odd' | 'mkv' | 'burst', string>;

beforeAll(async () => {
  bins = await locateFfmpeg();
  src = await makeTempDir('vidbot-src-');
  out = await makeTempDir('vidbot-out-');
  const f = bins.ffmpeg;
  const [compliant, highBitrate, silent, vertical, large, odd, mkv, burst] = await Promise.all([
    makeCompliantClip(f, src),
    makeHighBitrateClip(f, src),
    makeSilentClip(f, src),
    makeVerticalClip(f, src),
    makeLargeClip(f, src),
    makeOddDimensionsClip(f, src),
    makeMpeg4Mkv(f, src),
    makeNoiseBurstClip(f, src),
  ]);
  clips = { compliant, highBitrate, silent, vertical, large, odd, mkv, burst };
});
afterAll(async () => {
  await removeDir(src);
  await removeDir(out);
});

/** Checks everything WhatsApp cares about on the written file, with ffprobe directly. */
const expectWhatsAppCompliant = async (file: string, maxBytes: number) => {
  const probe = await ffprobeJson(bins.ffprobe, file);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  expect(probe.format.format_name).toContain('mp4');
  expect(video?.codec_name).toBe('h264');
  expect(['Main', 'High']).toContain(video?.profile);
  expect(video?.pix_fmt).toBe('yuv420p');
  expect((video?.width ?? 1) % 2).toBe(0);
  expect((video?.height ?? 1) % 2).toBe(0);
  expect(audio?.codec_name).toBe('aac');
  expect(audio?.profile).toBe('LC');
  const boxes = await topLevelBoxes(file);
  expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
  expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  expect((await stat(file)).size).toBeLessThanOrEqual(maxBytes);
  return { probe, video: video!, audio: audio! };
};

const outputFor = (name: string) => path.join(out, name);

describe('compressForWhatsApp', () => {
  it('remuxes a compliant clip without re-encoding and moves the index to the front', async () => {
    const input = clips.compliant;
    const inputBoxes = await topLevelBoxes(input);
    expect(inputBoxes.indexOf('moov')).toBeGreaterThan(inputBoxes.indexOf('mdat'));

    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('compliant.mp4') });
    expect(result.mode).toBe('remux');
    expect(result.passes).toBe(0);
    expect(result.file).toBe(outputFor('compliant.mp4'));
    expect(result.maxBytes).toBe(16_700_000);
    await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect(result.output.video?.bitrate).toBe(result.input.video?.bitrate);
    expect(result.output.durationSec).toBeCloseTo(result.input.durationSec, 1);
  });

  it('re-encodes an oversized clip under maxBytes, using at least 90% of the budget, with rising progress', async () => {
    const input = clips.highBitrate;
    const maxBytes = 2_000_000;
    expect((await stat(input)).size).toBeGreaterThan(4 * maxBytes);
    const percents: number[] = [];
    const result = await compressForWhatsApp(input, {
      ...bins,
      maxBytes,
      output: outputFor('high-bitrate.mp4'),
      onProgress: (p) => percents.push(p.percent ?? -1),
    });
    expect(result.mode).toBe('reencode');
    expect(result.passes).toBeGreaterThanOrEqual(1);
    const size = (await stat(result.file)).size;
    expect(size).toBe(result.output.sizeBytes);
    expect(size).toBeLessThanOrEqual(maxBytes);
    expect(size).toBeGreaterThanOrEqual(0.9 * maxBytes);
    await expectWhatsAppCompliant(result.file, maxBytes);

    expect(percents.length).toBeGreaterThan(3);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThan(percents[i - 1]!);
    expect(percents.at(-1)).toBe(100);
    expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
  });

  it('adds a silent AAC track to a video without audio, keeping the video stream', async () => {
    const input = clips.silent;
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('silent.mp4') });
    expect(result.input.audio).toBeUndefined();
    expect(result.mode).toBe('remux');
    const { probe } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect(Number(probe.format.duration)).toBeLessThan(result.input.durationSec + 0.2);
  });

  it('keeps a portrait clip portrait while scaling its long side to 1280', async () => {
    const input = clips.vertical;
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('vertical.mp4') });
    expect(result.mode).toBe('reencode');
    const { video } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect([video.width, video.height]).toEqual([720, 1280]);
  });

  it('downscales a 1920x1080 source to 1280x720', async () => {
    const input = clips.large;
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('large.mp4') });
    const { video } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect([video.width, video.height]).toEqual([1280, 720]);
  });

  it('remuxes a compliant 1920x1080 clip that fits, keeping its size', async () => {
    const input = await makeClip(bins.ffmpeg, path.join(src, 'compliant-1080p.mp4'), { width: 1920, height: 1080, seconds: 1, audio: true });
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('compliant-1080p.mp4') });
    expect(result.mode).toBe('remux');
    const { video } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect([video.width, video.height]).toEqual([1920, 1080]);
  });

  it('honours a smaller maxLongSide', async () => {
    const input = clips.large;
    const result = await compressForWhatsApp(input, { ...bins, maxLongSide: 640, output: outputFor('large-640.mp4') });
    const { video } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect([video.width, video.height]).toEqual([640, 360]);
  });

  it('makes odd dimensions even', async () => {
    const input = clips.odd;
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('odd.mp4') });
    expect(result.mode).toBe('reencode');
    const { video } = await expectWhatsAppCompliant(result.file, result.maxBytes);
    expect([video.width, video.height]).toEqual([320, 240]);
  });

  it('converts MPEG-4 video with MP2 audio in Matroska to H.264 and AAC in MP4', async () => {
    const input = clips.mkv;
    const result = await compressForWhatsApp(input, { ...bins, output: outputFor('from-mkv.mp4') });
    expect(result.input.video?.codec).toBe('mpeg4');
    expect(result.mode).toBe('reencode');
    await expectWhatsAppCompliant(result.file, result.maxBytes);
  });

  it.each([120_000, 400_000, 1_000_000])(
    'keeps a short noisy clip under a tight %s-byte budget, re-encoding lower when the first pass overshoots',
    async (maxBytes) => {
      const result = await compressForWhatsApp(clips.burst, { ...bins, maxBytes, output: outputFor(`burst-${maxBytes}.mp4`) });
      expect(result.mode).toBe('reencode');
      expect(result.passes).toBeGreaterThanOrEqual(1);
      expect(result.passes).toBeLessThanOrEqual(3);
      expect((await stat(result.file)).size).toBeLessThanOrEqual(maxBytes);
      await expectWhatsAppCompliant(result.file, maxBytes);
    },
  );

  it('leaves only finished outputs behind: no partial files', async () => {
    const names = await listDir(out);
    expect(names.filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});

describe('createFfmpegCompressor', () => {
  it('writes <name>.whatsapp.mp4 beside the input by default and applies its defaults', async () => {
    const dir = await makeTempDir();
    try {
      const input = await makeCompliantClip(bins.ffmpeg, dir, 'clip.mp4');
      const compressor = createFfmpegCompressor({ ...bins, maxBytes: 10_000_000 });
      expect(compressor.name).toBe('ffmpeg');
      const result = await compressor.compress(input);
      expect(result.file).toBe(path.join(dir, 'clip.whatsapp.mp4'));
      expect(result.maxBytes).toBe(10_000_000);
      expect(await listDir(dir)).toEqual(['clip.mp4', 'clip.whatsapp.mp4']);
    } finally {
      await removeDir(dir);
    }
  });
});
