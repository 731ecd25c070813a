/**
 * The media sniffers on real files made by ffmpeg (AMR by hand: Debian's ffmpeg decodes it but has
 * no encoder): a declared type is never trusted, the first bytes decide.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_TYPES, declaredKind, extensionOf, sniffAudioType, sniffImageType, sniffMediaType } from '../../src/lib/media-type.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('vidbot-sniff-');
});
afterAll(async () => {
  await removeDir(dir);
});

/** One second of a tone, encoded by ffmpeg with these output options. */
const encode = async (name: string, ...args: string[]): Promise<Buffer> => {
  const file = join(dir, name);
  await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', ...args, file]);
  return readFile(file);
};

describe('sniffAudioType', () => {
  it.each([
    ['voice.ogg', 'audio/ogg', ['-c:a', 'libopus', '-b:a', '24k']],
    ['voice.webm', 'audio/webm', ['-c:a', 'libopus', '-b:a', '24k']],
    ['voice.mkv', 'audio/webm', ['-c:a', 'libopus']],
    ['voice.mp3', 'audio/mpeg', ['-c:a', 'libmp3lame']],
    ['bare.mp3', 'audio/mpeg', ['-c:a', 'libmp3lame', '-id3v2_version', '0', '-write_xing', '0']],
    ['voice.m4a', 'audio/mp4', ['-c:a', 'aac']],
    ['voice.wav', 'audio/wav', ['-c:a', 'pcm_s16le']],
  ] as const)('recognises %s made by ffmpeg as %s', async (name, type, args) => {
    const bytes = await encode(name, ...args);
    expect(sniffAudioType(bytes.subarray(0, 16))).toBe(type);
    expect(sniffMediaType('audio', bytes.subarray(0, 16))).toBe(type);
    expect(sniffImageType(bytes.subarray(0, 16)), 'never an image').toBeUndefined();
    expect(AUDIO_TYPES[type]).toBeDefined();
    // Without an ID3 tag, an MP3 starts with a frame header: the sync-word path is taken.
    if (name === 'bare.mp3') expect(bytes[0]).toBe(0xff);
  });

  it('recognises AMR by its magic, narrow and wide band', () => {
    expect(sniffAudioType(Buffer.from('#!AMR\n\x3c\x48\xf5\x1f', 'latin1'))).toBe('audio/amr');
    expect(sniffAudioType(Buffer.from('#!AMR-WB\n\x04', 'latin1'))).toBe('audio/amr');
    expect(extensionOf('audio/amr')).toBe('amr');
  });

  it('refuses what is not audio vidbot takes: images, video containers by their type, ADTS AAC, text, nothing', async () => {
    const png = await encode('frame.png', '-f', 'lavfi', '-i', 'color=red:size=8x8', '-frames:v', '1', '-map', '1:v');
    expect(sniffAudioType(png.subarray(0, 16))).toBeUndefined();
    expect(sniffImageType(png.subarray(0, 16))).toBe('image/png');
    expect(sniffMediaType('image', png.subarray(0, 16))).toBe('image/png');
    const adts = await encode('voice.aac', '-c:a', 'aac', '-f', 'adts');
    expect(sniffAudioType(adts.subarray(0, 16)), 'AAC in ADTS has layer 00').toBeUndefined();
    expect(sniffAudioType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBeUndefined();
    expect(sniffAudioType(Buffer.from('not audio at all'))).toBeUndefined();
    expect(sniffAudioType(new Uint8Array())).toBeUndefined();
  });
});

describe('declaredKind', () => {
  it('reads what a sender says the media is for, parameters and case aside', () => {
    expect(declaredKind('audio/ogg')).toBe('audio');
    expect(declaredKind('audio/webm;codecs=opus')).toBe('audio');
    expect(declaredKind('AUDIO/AMR')).toBe('audio');
    expect(declaredKind('image/png')).toBe('image');
    expect(declaredKind('IMAGE/JPEG')).toBe('image');
    expect(declaredKind('image/gif')).toBeUndefined();
    expect(declaredKind('video/mp4')).toBeUndefined();
    expect(declaredKind('application/pdf')).toBeUndefined();
  });
});
