import { existsSync } from 'node:fs';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
beforeEach(async () => {
  sandbox = await makeSandbox();
  sandbox.env.VIDBOT_VIDEO_SECONDS = '2';
});
afterEach(() => sandbox.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { ...sandbox.env, ...env }, cwd: sandbox.root });

const taskCount = async () => {
  const file = join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db');
  if (!existsSync(file)) return 0;
  const store = createSqliteStore({ file });
  try {
    return await store.countTasks();
  } finally {
    await store.close();
  }
};

const mp4sIn = async (dir: string) => (await readdir(dir)).filter((name) => name.includes('.mp4'));

describe('vidbot generate', () => {
  it('writes a WhatsApp-ready MP4 named after the prompt and says what it wrote', async () => {
    const result = await cli(['generate', 'a fox running through a neon city at night']);
    // Who made it, once: the local preview's model is named after its provider.
    expect(result.stderr).toMatch(/generate: done in [^\n]* \(local-preview\)\n/);
    expect(result.exitCode).toBe(0);
    const file = join(sandbox.root, 'a-fox-running-through-a-neon-city-at-night.mp4');
    expect(result.stdout).toContain(file);
    expect(result.stdout).toMatch(/2\.0 s, [\d.]+ (kB|MB), h264 \((High|Main)\) 720x1280, aac \(LC\)/);
    expect(result.stdout).toContain('local preview, not AI');
    const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
    expect(stdout.split('\n').sort()).toEqual(['aac', 'h264']);
  });

  it('prints JSON for scripts, honours -o and --landscape, and reports a cache hit the second time', async () => {
    const out = join(sandbox.root, 'boat.mp4');
    const first = await cli(['generate', 'a paper boat in the rain', '-o', out, '--landscape', '--json']);
    expect(first.exitCode).toBe(0);
    const json = JSON.parse(first.stdout) as Record<string, unknown> & { video: { width: number; height: number } };
    expect(json).toMatchObject({ ok: true, file: out, provider: 'local', cacheHit: false });
    expect(json.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    // The cache remembers the file it wrote: another output gets a copy of it, without generating again.
    const copy = join(sandbox.root, 'boat-copy.mp4');
    const second = await cli(['generate', 'A paper boat, in the rain!', '-o', copy, '--landscape', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, cacheHit: true, file: copy, cost: 0 });
    // A copy: the first file stays where it was.
    expect(existsSync(out)).toBe(true);
    expect(await readFile(out)).toEqual(await readFile(copy));
    // That file is the user's own. Copied back (a new time, the same bytes: a restored backup) it is
    // still the cached video; replaced by anything else it is not, and the video is made again.
    await copyFile(copy, out);
    const restored = await cli(['generate', 'a paper boat in the rain', '-o', join(sandbox.root, 'boat-2.mp4'), '--landscape', '--json']);
    expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, cacheHit: true });
    await writeFile(out, 'not a video');
    const broken = await cli(['generate', 'a paper boat in the rain', '-o', join(sandbox.root, 'boat-3.mp4'), '--landscape', '--json']);
    expect(broken.exitCode).toBe(0);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: true, cacheHit: false });
    expect(broken.stderr).toContain('cache: skipped (the cached video was changed since)');
    const third = await cli(['generate', 'a paper boat in the rain', '-o', out, '--landscape', '--no-cache', '--force', '--json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ ok: true, cacheHit: false });
    // No second copy of any of them stays in the data folder.
    expect(await mp4sIn(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'media'))).toEqual([]);
  });

  it('says the local preview ignores --model and --input rather than dropping them silently', async () => {
    const result = await cli(['generate', 'a red kite', '--model', 'minimax/video-01', '--input', 'seed=7']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: the local preview ignores --model minimax/video-01 and --input');
  });

  it('does not replace an existing file without --force, and says how', async () => {
    const out = join(sandbox.root, 'mine.mp4');
    await writeFile(out, 'my own video');
    const refused = await cli(['generate', 'a red balloon', '-o', out]);
    expect(refused.exitCode).toBe(73);
    expect(refused.stderr).toContain(`${out} already exists; nothing was generated.`);
    expect(refused.stderr).toContain('hint: Pass --force to replace it, or -o to choose another name.');
    expect(await readFile(out, 'utf8')).toBe('my own video');
    expect(await taskCount()).toBe(0);
    const forced = await cli(['generate', 'a red balloon', '-o', out, '--force']);
    expect(forced.exitCode).toBe(0);
    expect((await readFile(out)).subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('names the option, not a variable, when an option value is bad, and exits 2', async () => {
    const result = await cli(['generate', 'a red balloon', '--duration', 'long']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--duration must be a whole number from 1 to 60, got "long".');
    expect(result.stderr).toContain('[VIDBOT_INPUT_INVALID]');
    expect(result.stderr).not.toContain('VIDBOT_VIDEO_SECONDS');
    expect(await taskCount()).toBe(0);
  });

  it.each([
    ['an empty prompt', [''], 'VIDBOT_PROMPT_EMPTY', {}],
    ['a whitespace prompt', ['   \n\t '], 'VIDBOT_PROMPT_EMPTY', {}],
    ['a prompt over the default cap', ['x'.repeat(1001)], 'VIDBOT_PROMPT_TOO_LONG', {}],
    ['a prompt over a configured cap', ['twelve chars'], 'VIDBOT_PROMPT_TOO_LONG', { VIDBOT_PROMPT_MAX_CHARS: '5' }],
  ])('rejects %s with exit 2, writing nothing', async (_name, args, code, env) => {
    const result = await cli(['generate', ...args], env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(code);
    expect(result.stderr).toMatch(/hint: /);
    expect(await mp4sIn(sandbox.root)).toEqual([]);
    expect(await taskCount()).toBe(0);
  });

  it('rejects an unwritable output path before doing any work', async () => {
    const result = await cli(['generate', 'a red balloon', '-o', join(sandbox.root, 'missing', 'x.mp4')]);
    expect(result.exitCode).toBe(73);
    expect(result.stderr).toContain('VIDBOT_OUTPUT_UNWRITABLE');
    expect(result.stderr).toContain('does not exist');
    expect(await taskCount()).toBe(0);
    // A file where a folder should be, a folder the permission bits allow but nothing can be made in
    // (root in /sys), and no name: each told before anything is made.
    await writeFile(join(sandbox.root, 'a-fox.mp4'), '');
    const cases: Array<[string, number, string]> = [
      [join(sandbox.root, 'a-fox.mp4', 'x.mp4'), 73, `${join(sandbox.root, 'a-fox.mp4')} is a file, not a folder`],
      // Refused by its permission bits, or (as root) by the file system itself.
      ['/proc/x.mp4', 73, 'Cannot write /proc/x.mp4: no '],
      ['', 2, 'The output file has no name.'],
    ];
    for (const [output, exitCode, said] of cases) {
      const refused = await cli(['generate', 'a red balloon', '-o', output]);
      expect({ output, exitCode: refused.exitCode, said: refused.stderr.includes(said) }).toEqual({ output, exitCode, said: true });
    }
    expect(await taskCount()).toBe(0);
  });

  it('refuses a photo that is missing or not an image before anything else, and names it', async () => {
    await writeFile(join(sandbox.root, 'a-red-balloon.mp4'), 'an earlier video');
    const missing = await cli(['generate', 'a red balloon', '--image', 'nope.jpg']);
    expect(missing.exitCode).toBe(66);
    expect(missing.stderr).toContain(`No image at ${join(sandbox.root, 'nope.jpg')}.`);
    await writeFile(join(sandbox.root, 'notes.txt'), 'not a photo at all');
    const text = await cli(['generate', 'a red balloon', '--image', 'notes.txt', '--force']);
    expect(text.exitCode).toBe(65);
    expect(text.stderr).toContain(`${join(sandbox.root, 'notes.txt')} is not a JPEG, PNG or WebP image. [VIDBOT_MEDIA_INVALID]`);
    expect(text.stderr).toContain('hint: Pass the photo as a JPEG, PNG or WebP file.');
    // A PNG cut short: its first bytes pass the type check, its picture does not decode. Before, a task
    // was made and failed in the render with ffmpeg's own lines (exit 69).
    const { stdout: png } = await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { encoding: 'buffer' });
    await writeFile(join(sandbox.root, 'cut.png'), Buffer.from(png).subarray(0, 100));
    const cut = await cli(['generate', 'a red balloon', '--image', 'cut.png', '--force']);
    expect(cut.exitCode).toBe(65);
    expect(cut.stderr.split('\n')[0]).toBe(`✖ ${join(sandbox.root, 'cut.png')} seems damaged or cut short: its picture cannot be decoded. [VIDBOT_MEDIA_INVALID]`);
    expect(cut.stderr).toContain('hint: Export or download the photo again, or pass another JPEG, PNG or WebP file.');
    expect(await readFile(join(sandbox.root, 'a-red-balloon.mp4'), 'utf8')).toBe('an earlier video');
    expect(await taskCount()).toBe(0);
  });

  it('names FFMPEG_BIN when ffmpeg cannot be found', async () => {
    const result = await cli(['generate', 'a red balloon'], { FFMPEG_BIN: join(sandbox.root, 'no-ffmpeg-here') });
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain('VIDBOT_FFMPEG_NOT_FOUND');
    expect(result.stderr).toContain('FFMPEG_BIN');
    expect(await mp4sIn(sandbox.root)).toEqual([]);
  });

  it('rejects a bad configuration value with its name and source', async () => {
    const result = await cli(['generate', 'a red balloon'], { WORKER_COUNT: 'many' });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('WORKER_COUNT must be a whole number from 1 to 64, got "many" (from environment)');
  });

  it('stops on Ctrl-C: exit 130, no output file, the task marked canceled', async () => {
    const controller = new AbortController();
    const running = runCli(['generate', 'a very long sunset over the sea', '--duration', '30'], {
      env: sandbox.env,
      cwd: sandbox.root,
      signal: controller.signal,
    });
    const deadline = Date.now() + 20_000;
    while ((await taskCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('Interrupted');
    expect(await mp4sIn(sandbox.root)).toEqual([]);
    const store = createSqliteStore({ file: join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db') });
    const [task] = await store.listTasks();
    await store.close();
    expect(task?.status).toBe('canceled');
  });
});
