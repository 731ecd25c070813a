import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { canGuardChildren, guardedCommand } from '../../src/lib/ffmpeg/child.ts';
import { locateFfmpeg } from '../../src/lib/ffmpeg/locate.ts';
import { runFfmpeg } from '../../src/lib/ffmpeg/run.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import { repoRoot } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';

const childModule = pathToFileURL(path.join(repoRoot, 'src/lib/ffmpeg/child.ts')).href;
const runModule = pathToFileURL(path.join(repoRoot, 'src/lib/ffmpeg/run.ts')).href;
// Real time (-re), so it renders for minutes unless killed.
const LONG_RENDER = ['-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '600', '-f', 'null', '-'];

let ffmpeg: string;
let dir: string;
const strays: number[] = [];
beforeAll(async () => {
  ffmpeg = (await locateFfmpeg({ resolveInstaller: false })).ffmpeg;
  dir = await makeTempDir('vidbot-child-');
});
afterAll(async () => {
  // A failed test must not leave a 10-minute render behind.
  for (const pid of strays) if (await isRunning(pid)) process.kill(pid, 'SIGKILL');
  await removeDir(dir);
});

/** Running, not a zombie waiting for a reaper that may never come (PID 1 in a container). */
const isRunning = async (pid: number): Promise<boolean> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** Pids whose parent is `ppid`. */
const childrenOf = async (ppid: number): Promise<number[]> => {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === ppid) found.push(Number(entry));
  }
  return found;
};

/** The pid of the parent's ffmpeg child once it runs; a stray to kill should the test fail. */
const ffmpegChildOf = async (parentPid: number): Promise<number> => {
  const pid = await until(async () => {
    for (const child of await childrenOf(parentPid)) {
      if ((await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '')).trim() === 'ffmpeg') return child;
    }
    return undefined;
  }, 'ffmpeg child of the parent');
  strays.push(pid);
  return pid;
};

const until = async <T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** Runs `code` in a Node process of its own, from the repo so `execa` resolves. */
const nodeParent = (code: string) =>
  execa(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    reject: false,
    stdin: 'ignore',
    stderr: 'inherit',
  });

const firstLine = (parent: ReturnType<typeof nodeParent>): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    parent.stdout.setEncoding('utf8');
    parent.stdout.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
    });
    parent.stdout.once('end', () => reject(new Error(`parent exited before printing: ${text}`)));
  });

const linuxWithSetpriv = process.platform === 'linux' && (await canGuardChildren());

describe('guardedCommand', () => {
  it('wraps the command in setpriv --pdeathsig KILL where setpriv supports it, else leaves it alone', async () => {
    const command = await guardedCommand('/opt/ffmpeg', ['-i', 'a b.mp4']);
    if (linuxWithSetpriv) {
      expect(command).toEqual({ file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', '/opt/ffmpeg', '-i', 'a b.mp4'], guarded: true });
    } else {
      expect(command).toEqual({ file: '/opt/ffmpeg', args: ['-i', 'a b.mp4'], guarded: false });
    }
  });

  it('falls back to the plain command when setpriv is not on PATH', async () => {
    const code = `
      import { guardedCommand } from ${JSON.stringify(childModule)};
      console.log(JSON.stringify(await guardedCommand('ffmpeg', ['-version'])));
    `;
    const { stdout } = await execa(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      env: { PATH: dir },
      extendEnv: false,
    });
    expect(JSON.parse(stdout)).toEqual({ file: 'ffmpeg', args: ['-version'], guarded: false });
  });

  it.runIf(linuxWithSetpriv)('ffmpeg started through it dies when its Node parent is SIGKILLed', async () => {
    const parent = nodeParent(`
      import { execa } from 'execa';
      import { guardedCommand } from ${JSON.stringify(childModule)};
      const command = await guardedCommand(${JSON.stringify(ffmpeg)}, ${JSON.stringify(LONG_RENDER)});
      const render = execa(command.file, command.args, { stdin: 'ignore', reject: false });
      console.log(render.pid);
      await render;
    `);
    const pid = Number(await firstLine(parent));
    strays.push(pid);
    // setpriv exec'd ffmpeg in place: the printed pid is ffmpeg's.
    await until(async () => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'ffmpeg', 'ffmpeg running');

    parent.kill('SIGKILL');
    expect((await parent).signal).toBe('SIGKILL');
    await until(async () => !(await isRunning(pid)), `ffmpeg ${pid} gone`);
  });

  it.runIf(linuxWithSetpriv)('runFfmpeg\'s ffmpeg dies when its Node parent is SIGKILLed', async () => {
    const parent = nodeParent(`
      import { runFfmpeg } from ${JSON.stringify(runModule)};
      setTimeout(() => console.log('ready'), 0);
      await runFfmpeg(${JSON.stringify(LONG_RENDER)}, { ffmpeg: ${JSON.stringify(ffmpeg)} });
    `);
    await firstLine(parent);
    const parentPid = parent.pid ?? 0;
    const pid = await ffmpegChildOf(parentPid);

    parent.kill('SIGKILL');
    await parent;
    await until(async () => !(await isRunning(pid)), `ffmpeg ${pid} gone`);
  });
});

describe('Ctrl-C at a terminal', () => {
  /** The process group of a running process (field 5 of /proc/<pid>/stat). */
  const groupOf = async (pid: number): Promise<number> => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  };

  it('reaches vidbot, not its ffmpeg: the render runs in a session of its own and lives on', async () => {
    // A parent as vidbot is: it handles SIGINT itself (a shutdown that lets running jobs finish).
    const parent = execa(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', `
        import { runFfmpeg } from ${JSON.stringify(runModule)};
        process.on('SIGINT', () => console.log('SIGINT'));
        setTimeout(() => console.log('ready'), 0);
        await runFfmpeg(${JSON.stringify(LONG_RENDER)}, { ffmpeg: ${JSON.stringify(ffmpeg)} });
      `],
      // A group of its own, as a shell gives a command: the Ctrl-C below reaches that group only.
      { cwd: repoRoot, reject: false, stdin: 'ignore', stderr: 'inherit', detached: true },
    );
    const parentPid = parent.pid ?? 0;
    let printed = '';
    parent.stdout.setEncoding('utf8');
    parent.stdout.on('data', (chunk: string) => {
      printed += chunk;
    });
    const pid = await ffmpegChildOf(parentPid);
    expect(await groupOf(pid)).not.toBe(await groupOf(parentPid));

    process.kill(-parentPid, 'SIGINT');
    await until(async () => printed.includes('SIGINT'), 'the parent had the Ctrl-C');
    expect(await isRunning(pid)).toBe(true);
    parent.kill('SIGKILL');
    await parent;
  });
});

describe('a render in a session of its own', () => {
  it('ends when vidbot exits at once (a second Ctrl-C), even with no setpriv to guard it', async () => {
    // No setpriv on PATH: only vidbot's own clean-up at exit can end the render.
    const parent = execa(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', `
        import { runFfmpeg } from ${JSON.stringify(runModule)};
        process.stdin.once('data', () => process.exit(130));
        await runFfmpeg(${JSON.stringify(LONG_RENDER)}, { ffmpeg: ${JSON.stringify(ffmpeg)} });
      `],
      { cwd: repoRoot, env: { PATH: dir }, extendEnv: false, reject: false, stdin: 'pipe', stderr: 'inherit' },
    );
    const parentPid = parent.pid ?? 0;
    const pid = await ffmpegChildOf(parentPid);
    parent.stdin.write('exit\n');
    expect((await parent).exitCode).toBe(130);
    await until(async () => !(await isRunning(pid)), `ffmpeg ${pid} gone`);
  });
});

describe('errors of a guarded ffmpeg name ffmpeg, not setpriv', () => {
  it('runFfmpeg: a missing binary is VIDBOT_FFMPEG_NOT_FOUND naming its path', async () => {
    const missing = path.join(dir, 'no-ffmpeg');
    const error = await runFfmpeg(['-version'], { ffmpeg: missing }).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe(`ffmpeg not found at ${missing}.`);
  });

  it('runFfmpeg: a file that is not executable is VIDBOT_FFMPEG_NOT_FOUND (EACCES)', async () => {
    const file = path.join(dir, 'not-executable');
    await writeFile(file, '');
    await chmod(file, 0o644);
    const error = await runFfmpeg(['-version'], { ffmpeg: file }).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe(`Cannot run ffmpeg at ${file} (EACCES).`);
  });

  it('runFfmpeg: a failing ffmpeg reports its own exit code and stderr', async () => {
    const fake = path.join(dir, 'fails-127.sh');
    // 127 is also setpriv's "not found"; only setpriv's own line makes it a launch failure.
    await writeFile(fake, '#!/bin/sh\necho "broken build" >&2\nexit 127\n');
    await chmod(fake, 0o755);
    const error = await runFfmpeg(['-version'], { ffmpeg: fake }).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
    expect((error as Error).message).toBe('ffmpeg failed (exit code 127):\nbroken build');
  });

  it('local provider: a failing ffmpeg is summarised by its exit code, without the command line', async () => {
    const fake = path.join(dir, 'fails-3.sh');
    await writeFile(fake, '#!/bin/sh\necho "something odd" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const error = await createLocalProvider({ ffmpeg: fake })
      .generate({ prompt: 'hello', orientation: 'portrait', durationSec: 1 }, { workDir: path.join(dir, 'work') })
      .catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
    expect((error as Error).message).toBe('ffmpeg failed rendering the local preview: exit code 3\nsomething odd');
    // Nothing on stderr: the message ends with the exit code, no empty line after it (vidbot status lays it out in a column).
    const silent = path.join(dir, 'fails-255.sh');
    await writeFile(silent, '#!/bin/sh\nexit 255\n');
    await chmod(silent, 0o755);
    const quiet = await createLocalProvider({ ffmpeg: silent })
      .generate({ prompt: 'hello', orientation: 'portrait', durationSec: 1 }, { workDir: path.join(dir, 'work') })
      .catch((e: unknown) => e);
    expect((quiet as Error).message).toBe('ffmpeg failed rendering the local preview: exit code 255');
  });
});
