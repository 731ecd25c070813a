import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { detectFfmpegFeatures, type FfmpegFeatures } from '../../src/lib/ffmpeg/features.ts';
import { OPTIONAL_FEATURES, REQUIRED_FILTERS } from '../../src/lib/video-provider/local-filters.ts';
import { matchThemes, THEMES } from '../../src/lib/video-provider/local-lexicon.ts';
import { deriveLook, HASHED_MOTIONS } from '../../src/lib/video-provider/local-look.ts';
import { escapeFilterValue } from '../../src/lib/video-provider/local-render.ts';
import { layoutPrompt, normalizePromptText, wrapText } from '../../src/lib/video-provider/local-text.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import { averageColour, expectValidClip, FFMPEG, frameRgb, HASHED_PROMPT, OLD_FFMPEG, probe, request } from './local-clips.ts';

const provider = createLocalProvider({ ffmpeg: FFMPEG });

let root: string;
let counter = 0;
const freshDir = async (): Promise<string> => mkdtemp(join(root, `work-${counter++}-`));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-local-provider-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('local provider: identity', () => {
  it('is the honest, non-AI local preview', () => {
    expect(provider.name).toBe('local');
    expect(provider.defaultModel).toBe('local-preview');
    expect(provider.capabilities()).toEqual({ imageToVideo: true, ai: false });
  });
});

describe('local provider: rendering', () => {
  it('renders a WhatsApp-ready 6 s portrait MP4 and reports progress up to 100', async () => {
    const workDir = await freshDir();
    const percents: number[] = [];
    const result = await provider.generate(request('A fox running through a neon city at night'), {
      workDir,
      onProgress: (p) => {
        if (p.percent !== undefined) percents.push(p.percent);
      },
    });

    expect(result).toMatchObject({ provider: 'local', model: 'local-preview' });
    expect(result.file).toMatch(new RegExp(`^${workDir}/local-[0-9a-f]{12}\\.mp4$`));
    expect(await readdir(workDir)).toEqual([result.file.slice(workDir.length + 1)]);

    const info = await probe(result.file);
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 720, height: 1280 });
    expect(['High', 'Main']).toContain(video?.profile);
    expect(audio).toMatchObject({ codec_name: 'aac', profile: 'LC' });
    expect(Number(info.format.duration)).toBeGreaterThan(5.8);
    expect(Number(info.format.duration)).toBeLessThan(6.2);

    const { size } = await import('node:fs/promises').then((fs) => fs.stat(result.file));
    expect(size).toBeGreaterThan(50_000);
    expect(size).toBeLessThan(16 * 1024 * 1024);

    expect(percents.at(-1)).toBe(100);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });

  it('renders landscape 1280x720, with text that would break naive escaping', async () => {
    const prompt =
      'It\'s "quoted": 100% \\ back\\slash, %{localtime} [x];y=1 🦊🌃 ثعلب يجري في مدينة 狐狸在霓虹城市奔跑 \n newline\ttab';
    const result = await provider.generate(request(prompt, { orientation: 'landscape', durationSec: 2 }), {
      workDir: await freshDir(),
    });
    const video = (await probe(result.file)).streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ width: 1280, height: 720 });
  });

  it('is deterministic per prompt and differs between prompts', async () => {
    const render = async (prompt: string) => {
      const result = await provider.generate(request(prompt, { durationSec: 2 }), { workDir: await freshDir() });
      return { name: result.file.split('/').at(-1), bytes: await readFile(result.file) };
    };
    const [a1, a2, b] = await Promise.all([render('same prompt'), render('same prompt'), render('other prompt')]);
    expect(a1.name).toBe(a2.name);
    expect(a1.bytes.equals(a2.bytes)).toBe(true);
    expect(b.name).not.toBe(a1.name);
    expect(b.bytes.equals(a1.bytes)).toBe(false);
  });

  it('animates an image (image-to-video) with the prompt overlaid', async () => {
    const workDir = await freshDir();
    const image = join(root, 'still.png');
    await execa(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=800x600', '-frames:v', '1', image]);
    const result = await provider.generate(request('A test card, slowly zooming', { firstFrameImage: image, durationSec: 3 }), {
      workDir,
    });
    const info = await probe(result.file);
    expect(info.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 720, height: 1280 });
    expect(Number(info.format.duration)).toBeCloseTo(3, 0);

    // The Ken Burns move changes the picture over time.
    const frameAt = async (t: string): Promise<Buffer> => {
      const args = ['-v', 'error', '-ss', t, '-i', result.file, '-frames:v', '1', '-f', 'rawvideo', '-'];
      return Buffer.from((await execa(FFMPEG, args, { encoding: 'buffer' })).stdout);
    };
    expect((await frameAt('0.2')).equals(await frameAt('2.5'))).toBe(false);

    const text = await provider.generate(request('A test card, slowly zooming', { durationSec: 3 }), { workDir });
    expect(text.file).not.toBe(result.file);
  });
});

describe('local provider: failures', () => {
  it('cancels: kills ffmpeg, leaves no file, throws VIDBOT_CANCELED', async () => {
    const workDir = await freshDir();
    const controller = new AbortController();
    const pending = provider.generate(request('cancel me', { durationSec: 30 }), {
      workDir,
      signal: controller.signal,
      onProgress: (p) => {
        if ((p.percent ?? 0) > 0) controller.abort();
      },
    });
    setTimeout(() => controller.abort(), 1500);
    const error = await pending.catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await provider
      .generate(request('never'), { workDir: await freshDir(), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
  });

  it('maps a missing ffmpeg binary to VIDBOT_FFMPEG_NOT_FOUND', async () => {
    const missing = createLocalProvider({ ffmpeg: join(root, 'no-such-ffmpeg') });
    const workDir = await freshDir();
    const error = await missing.generate(request('hello'), { workDir }).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_NOT_FOUND')).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('maps an ffmpeg without drawtext to VIDBOT_FFMPEG_FAILED with a hint and the stderr tail', async () => {
    const fake = join(root, 'fake-ffmpeg.sh');
    await writeFile(fake, "#!/bin/sh\necho \"No such filter: 'drawtext'\" >&2\nexit 1\n");
    await chmod(fake, 0o755);
    const error = await createLocalProvider({ ffmpeg: fake })
      .generate(request('hello'), { workDir: await freshDir() })
      .catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
    expect((error as Error).message).toContain("No such filter: 'drawtext'");
    expect((error as { hint: string }).hint).toMatch(/libfreetype/);
  });

  it('reports a missing image or font as VIDBOT_FILE_NOT_FOUND', async () => {
    const workDir = await freshDir();
    const noImage = await provider
      .generate(request('x', { firstFrameImage: join(root, 'nope.png') }), { workDir })
      .catch((e: unknown) => e);
    expect(isVidbotError(noImage, 'VIDBOT_FILE_NOT_FOUND')).toBe(true);
    // Not a photo: refused by name (VIDBOT_MEDIA_INVALID), not as an ffmpeg failure.
    const text = join(root, 'notes.png');
    await writeFile(text, 'a text file named like a photo');
    const notImage = await provider.generate(request('x', { firstFrameImage: text }), { workDir }).catch((e: unknown) => e);
    expect(isVidbotError(notImage, 'VIDBOT_MEDIA_INVALID')).toBe(true);
    expect((notImage as Error).message).toBe(`${text} is not a JPEG, PNG or WebP image.`);
    const noFont = await createLocalProvider({ ffmpeg: FFMPEG, fontFile: join(root, 'nope.ttf') })
      .generate(request('x'), { workDir })
      .catch((e: unknown) => e);
    expect(isVidbotError(noFont, 'VIDBOT_FILE_NOT_FOUND')).toBe(true);
  });
});

describe('local provider: the lexicon', () => {
  it('gives every theme its motion, from any of its words, plural or capitalised', () => {
    for (const theme of THEMES) {
      for (const word of theme.words) {
        for (const form of [word, `${word}s`, word.toUpperCase()]) {
          const look = deriveLook(`look at the ${form}!`);
          expect({ form, theme: look.theme, motion: look.motion }).toEqual({ form, theme: theme.name, motion: theme.motion });
        }
      }
    }
    // Every word belongs to one theme only, so a word never means two things.
    const words = THEMES.flatMap((theme) => theme.words);
    expect(new Set(words).size).toBe(words.length);
  });

  it('paints a scene in the colours of the light it is in, unless the scene keeps its own', () => {
    const night = THEMES.find((theme) => theme.name === 'night');
    const fire = THEMES.find((theme) => theme.name === 'fire');
    const forestAtNight = deriveLook('a forest at night');
    expect(forestAtNight).toMatchObject({ theme: 'forest night', motion: 'rays' });
    // The night's palette, turned by at most 8 degrees of hue: its darkest colour stays dark blue.
    expect(forestAtNight.palette).toHaveLength(night?.palette.length ?? 0);
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(forestAtNight.palette[0]?.slice(2 + i, 4 + i) ?? '', 16));
    expect(b).toBeGreaterThan(r ?? 0);
    expect(b).toBeGreaterThan(g ?? 0);

    const campfire = deriveLook('a campfire at night');
    expect(campfire).toMatchObject({ theme: 'fire night', motion: 'flames' });
    expect(campfire.palette.at(-2)?.slice(2, 4)).toMatch(/^f/); // still orange: red channel high
    expect(fire?.keepsOwnColoursIn).toContain('night');

    // A light alone has a motion of its own; the first scene and the first light named win.
    expect(deriveLook('sunset').motion).toBe('sun');
    expect(deriveLook('neon').motion).toBe('grid');
    expect(deriveLook('sunset over the ocean')).toMatchObject({ theme: 'ocean sunset', motion: 'waves' });
    expect(matchThemes('rain in the desert at dawn, then neon').scene?.name).toBe('rain');
    expect(matchThemes('rain in the desert at dawn, then neon').light?.name).toBe('sunset');
    expect(deriveLook('a thunderstorm').params.lightning).toBe(true);
    expect(deriveLook('light rain').params.lightning).toBeUndefined();
  });

  it('falls back to a hashed abstract look only when no word matches', () => {
    const looks = Array.from({ length: 60 }, (_, i) => deriveLook(`${HASHED_PROMPT} ${i}`));
    for (const look of looks) expect(look.theme).toBe('hashed');
    expect(new Set(looks.map((look) => look.motion))).toEqual(new Set(HASHED_MOTIONS));
    expect(new Set(looks.map((look) => look.palette[2])).size).toBeGreaterThan(40);
    // Words inside other words do not count: "seaside" is not "sea", "starling" not "star".
    expect(deriveLook('a starling on the seaside').theme).toBe('hashed');
  });
});


describe('local provider: what the ffmpeg offers', () => {
  let debian: FfmpegFeatures;
  beforeAll(async () => {
    const features = await detectFfmpegFeatures(FFMPEG);
    if (features === undefined) throw new Error(`${FFMPEG} lists no filters`);
    debian = features;
  });
  const without = (...names: string[]): FfmpegFeatures => ({ ...debian, filters: new Set([...debian.filters].filter((name) => !names.includes(name))) });

  it('reads the filters and fontconfig of both ffmpeg builds; the old one lacks gradients, which the preview no longer needs', async () => {
    expect(debian.filters.has('drawtext')).toBe(true);
    expect(debian.fontconfig).toBe(true);
    for (const name of [...REQUIRED_FILTERS, ...Object.values(OPTIONAL_FEATURES).flatMap((feature) => feature.filters)]) {
      expect({ name, listed: debian.filters.has(name) }).toEqual({ name, listed: true });
    }
    if (OLD_FFMPEG === undefined) return;
    const old = await detectFfmpegFeatures(OLD_FFMPEG);
    expect(old?.filters.has('gradients')).toBe(false);
    expect(old?.fontconfig).toBe(true);
    for (const name of [...REQUIRED_FILTERS, ...Object.values(OPTIONAL_FEATURES).flatMap((feature) => feature.filters)]) {
      expect({ name, listed: old?.filters.has(name) }).toEqual({ name, listed: true });
    }
    expect(await detectFfmpegFeatures(join(root, 'no-such-ffmpeg'))).toBeUndefined();
  });

  it('renders when gradients is missing', async () => {
    const result = await createLocalProvider({ ffmpeg: FFMPEG, features: without('gradients') }).generate(request('the ocean at night', { durationSec: 1 }), {
      workDir: await freshDir(),
    });
    await expectValidClip(result.file, 1);
  });

  it('falls back when optional filters are missing: a still background in the palette, a still photo, silence', async () => {
    const optional = Object.values(OPTIONAL_FEATURES).flatMap((feature) => feature.filters);
    const plain = createLocalProvider({ ffmpeg: FFMPEG, features: without(...optional) });
    const text = await plain.generate(request('a campfire', { durationSec: 2 }), { workDir: await freshDir() });
    await expectValidClip(text.file, 2);
    // Still, and in the fire's colours.
    const [early, late] = await Promise.all([frameRgb(text.file, 1, 36, 64), frameRgb(text.file, 1.8, 36, 64)]);
    const difference = early.reduce((sum, value, i) => sum + Math.abs(value - (late[i] ?? 0)), 0) / early.length;
    expect(difference).toBeLessThan(1);
    const colour = await averageColour(text.file, 1);
    expect(colour.r).toBeGreaterThan(colour.b + 30);

    const image = join(root, 'still-fallback.png');
    await execa(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=640x480', '-frames:v', '1', image]);
    const photo = await plain.generate(request('a photo', { firstFrameImage: image, durationSec: 2 }), { workDir: await freshDir() });
    await expectValidClip(photo.file, 2);
  });

  it('refuses, before running ffmpeg, an ffmpeg without a filter it cannot do without, saying which', async () => {
    const workDir = await freshDir();
    const noBasics = await createLocalProvider({ ffmpeg: FFMPEG, features: without('drawbox', 'anullsrc') })
      .generate(request('hello'), { workDir })
      .catch((e: unknown) => e);
    expect(isVidbotError(noBasics, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
    expect((noBasics as Error).message).toBe(`The ffmpeg at ${FFMPEG} has no 'drawbox', 'anullsrc' filters, which the local preview needs.`);
    expect((noBasics as { hint: string }).hint).not.toMatch(/font/i);
    expect((noBasics as { retryable: boolean }).retryable).toBe(false);

    const noText = await createLocalProvider({ ffmpeg: FFMPEG, features: without('drawtext') })
      .generate(request('hello'), { workDir })
      .catch((e: unknown) => e);
    expect((noText as Error).message).toContain("has no 'drawtext' filter");
    expect((noText as { hint: string }).hint).toMatch(/libfreetype/);
    expect(await readdir(workDir)).toEqual([]);
  });

  it("names a filter ffmpeg itself reports missing, with a hint that is not about fonts", async () => {
    // Lists its filters like the real ffmpeg, but has no geq when asked to render.
    const fake = join(root, 'no-geq-ffmpeg.sh');
    await writeFile(fake, `#!/bin/sh\ncase "$*" in *-filters*|*-version*) exec ${FFMPEG} "$@";; esac\necho "[AVFilterGraph @ 0x1] No such filter: 'geq'" >&2\nexit 1\n`);
    await chmod(fake, 0o755);
    const error = await createLocalProvider({ ffmpeg: fake })
      .generate(request('hello'), { workDir: await freshDir() })
      .catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/^The ffmpeg at .* has no 'geq' filter, which the local preview needs\.\n.*No such filter: 'geq'/);
    expect((error as { hint: string }).hint).not.toMatch(/font/i);
    expect((error as { details: { missingFilters: string[] } }).details.missingFilters).toEqual(['geq']);
  });

  it('asks an ffmpeg what it offers once per provider, and not at all when told', async () => {
    const log = join(root, 'asked.log');
    const counting = join(root, 'counting-ffmpeg.sh');
    await writeFile(counting, `#!/bin/sh\ncase "$*" in *-filters*) echo asked >> ${log};; esac\nexec ${FFMPEG} "$@"\n`);
    await chmod(counting, 0o755);
    const asking = createLocalProvider({ ffmpeg: counting });
    for (const prompt of ['one', 'two']) await asking.generate(request(prompt, { durationSec: 1 }), { workDir: await freshDir() });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['asked']);
    await createLocalProvider({ ffmpeg: counting, features: debian }).generate(request('three', { durationSec: 1 }), { workDir: await freshDir() });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['asked']);
  });
});

describe('local provider: motion and photos, looked at', () => {
  /** Mean absolute difference between consecutive frames' luma, from the 31st frame on (after the text fades in). */
  const frameSteps = async (file: string): Promise<number[]> => {
    const { stdout } = await execa(FFMPEG, ['-v', 'error', '-i', file, '-vf', 'tblend=all_mode=difference,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-']);
    return [...stdout.matchAll(/YAVG=([\d.]+)/g)].map((m) => Number(m[1])).slice(30);
  };

  it('scrolls its layers around without a jump where they wrap (fast rain wraps twice in 4 s)', { timeout: 120_000 }, async () => {
    const result = await provider.generate(request('rain', { durationSec: 4 }), { workDir: await freshDir() });
    const steps = await frameSteps(result.file);
    const sorted = [...steps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(0.5); // it moves
    expect(Math.max(...steps)).toBeLessThan(median * 2);
  });

  it('fits a photo whole over a blurred, darkened fill of itself instead of cropping it', async () => {
    // A wide photo: red left half, blue right half.
    const image = join(root, 'red-blue.png');
    await execa(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=600x400', '-f', 'lavfi', '-i', 'color=blue:s=600x400', '-filter_complex', 'hstack', '-frames:v', '1', image]);
    const result = await provider.generate(request('red and blue', { firstFrameImage: image, durationSec: 2 }), { workDir: await freshDir() });
    const frame = await frameRgb(result.file, 1, 72, 128);
    const pixel = (x: number, y: number) => {
      const i = (y * 72 + x) * 3;
      return { r: frame[i] ?? 0, g: frame[i + 1] ?? 0, b: frame[i + 2] ?? 0 };
    };
    // Both ends of the photo are in the frame, mid-height: it was fitted, not cropped to the middle.
    expect(pixel(4, 64)).toMatchObject({ r: expect.toSatisfy((v: number) => v > 200), b: expect.toSatisfy((v: number) => v < 60) });
    expect(pixel(67, 64)).toMatchObject({ b: expect.toSatisfy((v: number) => v > 200), r: expect.toSatisfy((v: number) => v < 60) });
    // Above it, the blurred fill: the same colours, darker.
    const fill = pixel(4, 20);
    expect(fill.r).toBeGreaterThan(60);
    expect(fill.r).toBeLessThan(200);
    expect(fill.r).toBeGreaterThan(fill.b);
  });
});

describe('local provider: look and layout', () => {
  it('derives the same look from the same prompt, and different looks from different prompts', () => {
    expect(deriveLook('a cat')).toEqual(deriveLook('a cat'));
    expect(deriveLook('a cat')).not.toEqual(deriveLook('a dog'));
    for (const colour of deriveLook('a cat').palette) expect(colour).toMatch(/^0x[0-9a-f]{6}$/);
  });

  it('draws another take of a prompt differently, in the same scene', () => {
    expect(deriveLook('a cat', 1)).toEqual(deriveLook('a cat'));
    const looks = [1, 2, 3].map((take) => deriveLook('a forest at night', take));
    const [first, second] = looks;
    expect(second).toEqual(deriveLook('a forest at night', 2));
    expect(new Set(looks.map((look) => JSON.stringify(look.params))).size).toBe(3);
    expect(new Set(looks.map((look) => look.chord.join())).size).toBeGreaterThan(1);
    expect(second?.theme).toBe(first?.theme);
    expect(second?.motion).toBe(first?.motion);
  });

  it('wraps by display width without splitting graphemes', () => {
    expect(wrapText('the quick brown fox jumps over the lazy dog', 10)).toEqual([
      'the quick', 'brown fox', 'jumps over', 'the lazy', 'dog',
    ]);
    expect(wrapText('abcdefghijklmnop', 5)).toEqual(['abcde', 'fghij', 'klmno', 'p']);
    // CJK counts double and breaks anywhere; a family emoji stays whole.
    expect(wrapText('狐狸在霓虹城市奔跑', 6)).toEqual(['狐狸在', '霓虹城', '市奔跑']);
    expect(wrapText('👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧', 4)).toEqual(['👨‍👩‍👧👨‍👩‍👧', '👨‍👩‍👧']);
  });

  it('normalises whitespace and control characters, and truncates very long prompts', () => {
    expect(normalizePromptText('  a\n\tb\u0007 c\u202e  ')).toBe('a b c');
    const layout = layoutPrompt('word '.repeat(500), 'portrait', 720);
    expect(layout.lines.length).toBeLessThanOrEqual(12);
    expect(layout.lines.at(-1)).toMatch(/…$/);
    expect(layoutPrompt('short', 'landscape', 1280).lines).toEqual(['short']);
  });

  it('escapes filter option values for both parsing levels', () => {
    expect(escapeFilterValue('/tmp/a:b/c.ttf')).toBe('/tmp/a\\\\:b/c.ttf');
    expect(escapeFilterValue('min(1,t)')).toBe('min(1\\,t)');
    expect(escapeFilterValue("it's")).toBe("it\\\\\\'s");
  });
});
