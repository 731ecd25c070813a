/**
 * Models that make sound (Veo, Seedance, Wan 2.5) keep it: an AAC track is copied, other audio is
 * re-encoded, and silence is added only to a video that has no audio. Checked by ear, so to speak:
 * ffmpeg's volumedetect on the written file.
 */
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressForWhatsApp } from '../../src/lib/compressor/index.ts';
import { type FfmpegBinaries, locateFfmpeg } from '../../src/lib/ffmpeg/locate.ts';
import { ffprobeJson, makeClip, makeSilentClip, makeTempDir, removeDir } from '../helpers/media.ts';

let bins: FfmpegBinaries;
let dir: string;
beforeAll(async () => {
  bins = await locateFfmpeg();
  dir = await makeTempDir('vidbot-audio-');
});
afterAll(() => removeDir(dir));

/** The loudest sample of the file's audio, in dB (about -91 for digital silence). */
const maxVolume = async (file: string): Promise<number> => {
  const { stderr } = await execa(bins.ffmpeg, ['-hide_banner', '-i', file, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-']);
  const db = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
  return db === undefined || db === '-inf' ? -Infinity : Number(db);
};

const audioOf = async (file: string) => (await ffprobeJson(bins.ffprobe, file)).streams.find((s) => s.codec_type === 'audio');

describe("a model's sound through compression", () => {
  it('keeps an AAC tone as it is (remux), audible', async () => {
    const input = await makeClip(bins.ffmpeg, path.join(dir, 'tone.mp4'), { width: 320, height: 240, seconds: 2, audio: true });
    const result = await compressForWhatsApp(input, { ...bins, output: path.join(dir, 'tone-out.mp4') });
    expect(result.mode).toBe('remux');
    expect(await audioOf(result.file)).toMatchObject({ codec_name: 'aac', profile: 'LC' });
    expect(await maxVolume(result.file)).toBeGreaterThan(-20);
  });

  it('re-encodes a tone in another codec to AAC, still audible', async () => {
    const input = await makeClip(bins.ffmpeg, path.join(dir, 'tone.mkv'), { width: 320, height: 240, seconds: 2, audio: true, audioCodec: 'mp2' });
    const result = await compressForWhatsApp(input, { ...bins, output: path.join(dir, 'tone-mp2-out.mp4') });
    expect(await audioOf(result.file)).toMatchObject({ codec_name: 'aac', profile: 'LC' });
    expect(await maxVolume(result.file)).toBeGreaterThan(-20);
  });

  it('adds a silent AAC track only to a video without audio', async () => {
    const input = await makeSilentClip(bins.ffmpeg, dir);
    expect(await audioOf(input)).toBeUndefined();
    const result = await compressForWhatsApp(input, { ...bins, output: path.join(dir, 'silent-out.mp4') });
    expect(await audioOf(result.file)).toMatchObject({ codec_name: 'aac' });
    expect(await maxVolume(result.file)).toBeLessThan(-80);
  });
});
