/** What the local preview's tests share: the two ffmpeg builds, requests, probing and the colours of frames. */
import { execa } from 'execa';
import { expect } from 'vitest';
import { resolveInstallerPackages } from '../../src/lib/ffmpeg/locate.ts';
import { THEMES } from '../../src/lib/video-provider/local-lexicon.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';

export const FFMPEG = '/usr/bin/ffmpeg';

// The @ffmpeg-installer fallback: a 2018 static build, without gradients and other newer filters.
export const OLD_FFMPEG = (await resolveInstallerPackages()).ffmpeg;

/** One prompt per theme, each naming it by its first word, and one no theme matches. */
export const THEME_PROMPTS = THEMES.map((theme) => ({ theme: theme.name, prompt: `a short clip: ${theme.words[0] ?? ''}` }));
export const HASHED_PROMPT = 'a cat playing the piano';

interface Probe {
  streams: { codec_type: string; codec_name: string; profile?: string; pix_fmt?: string; width?: number; height?: number }[];
  format: { duration: string };
}
export const probe = async (file: string): Promise<Probe> => {
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout) as Probe;
};

export const request = (prompt: string, extra: Partial<VideoRequest> = {}): VideoRequest => ({
  prompt,
  orientation: 'portrait',
  durationSec: 6,
  ...extra,
});

/** The frame at `t` seconds as 8-bit RGB, scaled to `w` x `h` by area averaging. */
export const frameRgb = async (file: string, t: number, w: number, h: number): Promise<Buffer> => {
  const args = ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-vf', `scale=${w}:${h}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'];
  return Buffer.from((await execa(FFMPEG, args, { encoding: 'buffer' })).stdout);
};

/** Checks a render is the 720x1280 H.264 + AAC-LC MP4 of the expected length. */
export const expectValidClip = async (file: string, durationSec: number, size = { width: 720, height: 1280 }): Promise<void> => {
  const info = await probe(file);
  expect(info.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', ...size });
  expect(info.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', profile: 'LC' });
  expect(Number(info.format.duration)).toBeCloseTo(durationSec, 0);
};

/** The average colour of a frame, 0..255 per channel. */
export const averageColour = async (file: string, t: number): Promise<{ r: number; g: number; b: number }> => {
  const [r = 0, g = 0, b = 0] = await frameRgb(file, t, 1, 1);
  return { r, g, b };
};

// What each theme's frames must look like, on average: the colours its words call for.
export const COLOUR_CHECKS: Record<string, (c: { r: number; g: number; b: number }) => boolean> = {
  ocean: (c) => c.b > c.r + 30,
  fire: (c) => c.r > c.b + 30,
  forest: (c) => c.g > c.r && c.g > c.b,
  snow: (c) => c.b > 140 && c.b >= c.r,
  desert: (c) => c.r > c.g && c.g > c.b,
  space: (c) => c.r + c.g + c.b < 150,
  night: (c) => c.r + c.g + c.b < 150 && c.b > c.r,
  sunset: (c) => c.r > c.g,
  neon: (c) => c.r + c.b > 2 * c.g,
};
