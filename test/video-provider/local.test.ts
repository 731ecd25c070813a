import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { deriveLook, LOCAL_PATTERNS } from '../../src/lib/video-provider/local-look.ts';
import { escapeFilterValue } from '../../src/lib/video-provider/local-render.ts';
import { layoutPrompt, normalizePromptText, wrapText } from '../../src/lib/video-provider/local-text.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';

const FFMPEG = '/usr/bin/ffmpeg';
const provider = createLocalProvider({ ffmpeg: FFMPEG });

let root: string;
let counter = 0;
const freshDir = async (): Promise<string> => mkdtemp(join(root, `work-${counter++}-`));

interface Probe {
  streams: { codec_type: string; codec_name: string; profile?: string; pix_fmt?: string; width?: number; height?: number }[];
  format: { duration: string };
}
const probe = async (file: string): Promise<Probe> => {
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout) as Probe;
};

const request = (prompt: string, extra: Partial<VideoRequest> = {}): VideoRequest => ({
  prompt,
  orientation: 'portrait',
  durationSec: 6,
  ...extra,
});

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
    const noFont = await createLocalProvider({ ffmpeg: FFMPEG, fontFile: join(root, 'nope.ttf') })
      .generate(request('x'), { workDir })
      .catch((e: unknown) => e);
    expect(isVidbotError(noFont, 'VIDBOT_FILE_NOT_FOUND')).toBe(true);
  });
});

describe('local provider: look and layout', () => {
  it('derives the same look from the same prompt, and different looks from different prompts', () => {
    expect(deriveLook('a cat')).toEqual(deriveLook('a cat'));
    expect(deriveLook('a cat')).not.toEqual(deriveLook('a dog'));
    const patterns = new Set(Array.from({ length: 200 }, (_, i) => deriveLook(`prompt ${i}`).pattern));
    expect(patterns.size).toBe(LOCAL_PATTERNS.length);
    for (const colour of deriveLook('a cat').palette) expect(colour).toMatch(/^0x[0-9a-f]{6}$/);
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
