/**
 * Every look of the local preview renders on a given ffmpeg build, in its colours: a suite run once
 * per build, each from its own test file so the two builds render side by side.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTIONS } from '../../src/lib/video-provider/local-graph.ts';
import { deriveLook } from '../../src/lib/video-provider/local-look.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import { COLOUR_CHECKS, FFMPEG, HASHED_PROMPT, THEME_PROMPTS, averageColour, expectValidClip, request } from './local-clips.ts';

/**
 * The prompts a build renders. Each motion is a filter graph of its own, so every build renders each
 * once; a palette is only numbers in one filter (pseudocolor), so the other themes of a motion add
 * their colours alone, checked on the build that renders them all (`allColours`).
 */
const promptsFor = (allColours: boolean) => {
  const checked = (theme: string) => COLOUR_CHECKS[theme] !== undefined;
  // Per motion, a theme whose colours are checked when there is one.
  const byMotion = new Map<string, (typeof THEME_PROMPTS)[number]>();
  for (const entry of THEME_PROMPTS) {
    const motion = deriveLook(entry.prompt).motion;
    const kept = byMotion.get(motion);
    if (!kept || (!checked(kept.theme) && checked(entry.theme))) byMotion.set(motion, entry);
  }
  const picked = THEME_PROMPTS.filter((entry) => [...byMotion.values()].includes(entry) || (allColours && checked(entry.theme)));
  return [...picked, { theme: 'hashed', prompt: HASHED_PROMPT }];
};

export const everyLookRenders = (name: string, ffmpeg: string | undefined, allColours: boolean): void => {
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

    const prompts = promptsFor(allColours);
    it.skipIf(ffmpeg === undefined)(`renders ${allColours ? 'every motion and each theme whose colours are known' : 'every motion'}, and the hashed fallback, as a valid MP4 in its colours`, { timeout: 300_000 }, async () => {
      const workDir = await freshDir();
      expect(new Set(prompts.map(({ prompt }) => deriveLook(prompt).motion))).toEqual(new Set(MOTIONS));
      for (const { theme, prompt } of prompts) {
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
