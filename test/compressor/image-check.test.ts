/**
 * The check an inbound photo gets before it becomes a task: a photo cut short is refused; what this
 * ffmpeg cannot decode at all (an animated WebP on ffmpeg 5.1) or an ffmpeg that cannot run is not
 * the photo's fault.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDecodes } from '../../src/lib/ffmpeg/image.ts';

const FFMPEG = '/usr/bin/ffmpeg';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-image-check-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const make = async (name: string, args: string[]): Promise<string> => {
  const file = join(dir, name);
  await execa(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=5', ...args, file]);
  return file;
};
const cut = async (file: string, name: string, keep: (size: number) => number): Promise<string> => {
  const bytes = await readFile(file);
  const cutFile = join(dir, name);
  await writeFile(cutFile, bytes.subarray(0, keep(bytes.length)));
  return cutFile;
};

describe('an inbound photo, decoded once', () => {
  it('takes whole photos and refuses ones cut short, whether they end early or just after their header', async () => {
    const jpeg = await make('photo.jpg', ['-frames:v', '1', '-q:v', '3']);
    const png = await make('photo.png', ['-frames:v', '1']);
    expect([await imageDecodes(FFMPEG, jpeg), await imageDecodes(FFMPEG, png)]).toEqual([true, true]);
    // Half a JPEG decodes with its bottom grey ("EOI missing"): cut short all the same.
    const halves = [await cut(jpeg, 'half.jpg', (size) => size / 2), await cut(jpeg, 'head.jpg', () => 300), await cut(png, 'half.png', (size) => size / 2)];
    expect(await Promise.all(halves.map((file) => imageDecodes(FFMPEG, file)))).toEqual([false, false, false]);
  });

  it('leaves to the model what this ffmpeg cannot decode (an animated WebP), and passes photos when ffmpeg cannot run', async () => {
    const animated = await make('animated.webp', ['-t', '1', '-loop', '0', '-c:v', 'libwebp_anim']);
    expect(await imageDecodes(FFMPEG, animated)).toBe(true);
    expect(await imageDecodes(join(dir, 'no-ffmpeg'), await cut(animated, 'head.webp', () => 40))).toBe(true);
  });
});
