/**
 * Every look of the local preview renders on a given ffmpeg build, in its colours: a suite run once
 * per build, each from its own test file so the two builds render side by side.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveLook } from '../../src/lib/video-provider/local-look.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import { COLOUR_CHECKS, FFMPEG, HASHED_PROMPT, THEME_PROMPTS, averageColour, expectValidClip, request } from './local-clips.ts';

export const everyLookRenders = (name: string, ffmpeg: string | undefined): void => {
  let root: string;
  let counter = 0;
  const freshDir = async (): Promise<string> => mkdtemp(join(root, `work-${counter++}-`));
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vidbot-local-looks-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe(`local provider: every look renders with the ${name}`, () => {
    const renderer = ffmpeg === undefined ? undefined : createLocalProvider({ ffmpeg });

    it.skipIf(ffmpeg === undefined)('renders each theme of the lexicon, and the hashed fallback, as a valid MP4 in its colours', { timeout: 300_000 }, async () => {
      const workDir = await freshDir();
      for (const { theme, prompt } of [...THEME_PROMPTS, { theme: 'hashed', prompt: HASHED_PROMPT }]) {
        // One second each: enough for the look's colours, and the suite renders a dozen clips per ffmpeg.
        const result = await renderer?.generate(request(prompt, { durationSec: 1 }), { workDir });
        expect(deriveLook(prompt).theme).toBe(theme);
        await expectValidClip(result?.file ?? '', 1);
        const colour = await averageColour(result?.file ?? '', 0.6);
        const check = COLOUR_CHECKS[theme];
        if (check) expect({ theme, colour, ok: check(colour) }).toMatchObject({ theme, ok: true });
      }
    });

    it.skipIf(ffmpeg === undefined)('renders landscape and a photo, and the same prompt twice to the same bytes', { timeout: 120_000 }, async () => {
      const landscape = await renderer?.generate(request('a fox running through a neon city at night', { orientation: 'landscape', durationSec: 2 }), { workDir: await freshDir() });
      await expectValidClip(landscape?.file ?? '', 2, { width: 1280, height: 720 });

      const image = join(root, `wide-${counter}.png`);
      await execa(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=900x600', '-frames:v', '1', image]);
      const photo = await renderer?.generate(request('my holiday', { firstFrameImage: image, durationSec: 2 }), { workDir: await freshDir() });
      await expectValidClip(photo?.file ?? '', 2);

      const twice = await Promise.all([freshDir(), freshDir()].map(async (dir) => renderer?.generate(request('snow over the mountains', { durationSec: 2 }), { workDir: await dir })));
      const [a, b] = await Promise.all(twice.map((result) => readFile(result?.file ?? '')));
      expect(a?.equals(b ?? Buffer.alloc(0))).toBe(true);
    });
  });
};
