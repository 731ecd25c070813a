/**
 * The real process edge: bin/vidbot.js -> dist/cli/run.js sets the exit code and turns SIGINT into
 * a clean stop. Needs `npm run build` (npm test builds first).
 */
import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, makeSandbox, runCli, spawnCli } from '../helpers/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('bin/vidbot.js', () => {
  it('exits 65 with a one-line reason and a hint for a file that is not a video', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    await writeFile(join(sandbox.root, 'notes.mp4'), 'these are not frames\n');
    const result = await spawnCli(['compress', 'notes.mp4'], { env: sandbox.env, cwd: sandbox.root });
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toMatch(/^✖ .*not a readable media file.*\[VIDBOT_MEDIA_INVALID\]\n {2}hint: /m);
    expect(result.stdout).toBe('');
    expect(await readdir(sandbox.root)).not.toContain('notes.mp4.whatsapp.mp4');
  });

  it('exits 2 on an unknown option, naming it', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const result = await spawnCli(['generate', 'a fox', '--colour', 'red'], { env: sandbox.env, cwd: sandbox.root });
    expect(result.exitCode).toBe(2);
    // In vidbot's own shape, naming where that command's options are listed.
    expect(result.stderr).toBe("✖ unknown option '--colour'\n  hint: `vidbot generate --help` lists its options.");
  });

  it('answers a bare `vidbot` with its help on stdout, as a success', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const result = await spawnCli([], { env: sandbox.env, cwd: sandbox.root });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: vidbot [options] [command]');
    expect(result.stderr).toBe('');
  });

  it('stops quietly when its reader goes away (`vidbot --help | head -1`)', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    for (const args of [['--help'], ['serve', '--help'], ['models']]) {
      const child = execa(process.execPath, [binPath, ...args], { env: sandbox.env, cwd: sandbox.root, reject: false, stdout: 'pipe', stderr: 'pipe' });
      // The reader is gone before the first line: every write meets a closed pipe (EPIPE).
      child.stdout?.destroy();
      const result = await child;
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.exitCode, args.join(' ')).toBe(0);
    }
  });

  it('ends its run as an interruption when the reader of its progress goes away (`2>&1 | head -2`), leaving no task running', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const child = execa(process.execPath, [binPath, 'generate', 'a red kite over green hills', '--duration', '3'], {
      env: sandbox.env,
      extendEnv: false,
      cwd: sandbox.root,
      reject: false,
      stderr: 'pipe',
    });
    // Gone before the first progress line: it died there, silently, its task "processing" for good.
    child.stderr?.destroy();
    const result = await child;
    expect(result.exitCode).toBe(130);
    const status = await runCli(['status', '--json'], { env: sandbox.env, cwd: sandbox.root });
    const tasks = (JSON.parse(status.stdout) as { tasks: { status: string }[] }).tasks;
    expect(tasks.map((task) => task.status)).not.toContain('processing');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops on %s with exit %i and leaves no output file', async (signal, code) => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const child = execa(process.execPath, [binPath, 'generate', 'a very slow sunrise', '--duration', '30', '-o', 'sunrise.mp4'], {
      env: sandbox.env,
      extendEnv: false,
      cwd: sandbox.root,
      reject: false,
    });
    // Interrupt once rendering has started (the data folder's work area has files by then).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const work = await readdir(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'work')).catch(() => []);
      if (work.length > 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill(signal);
    const result = await child;
    expect(result.exitCode).toBe(code);
    await expect(access(join(sandbox.root, 'sunrise.mp4'))).rejects.toThrow();
    expect(await readdir(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'work'))).toEqual([]);
  });
});
