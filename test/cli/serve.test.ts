/**
 * `vidbot serve` as a user runs it: the built bin, a real port, the local auth token, Ctrl-C in the
 * middle of a job, and a restart that finishes the job and delivers it exactly once.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { binPath, makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { newMessageSid, signedPost, twimlText, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const USER = 'whatsapp:+15550009999';

const startServe = async (env: Record<string, string>, cwd: string, args: string[] = []) => {
  // A process group of its own, as a shell gives a command: Ctrl-C at a terminal signals the whole group.
  const child = execa(process.execPath, [binPath, 'serve', ...args], { env, extendEnv: false, cwd, reject: false, detached: true });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  void child.finally(() => {
    exited = true;
  });
  cleanups.push(async () => {
    if (!exited) child.kill('SIGKILL');
    await child;
  });
  await waitFor(async () => output.includes('vidbot serving on') || exited, 20_000);
  // A server that never came up fails here, saying why, not at the first request sent to its port.
  if (!output.includes('vidbot serving on')) throw new Error(`vidbot serve did not start:\n${output}`);
  // The banner is written line by line: a test waits for the line it reads, never reads at once.
  const until = async (text: string) => {
    await waitFor(async () => output.includes(text) || exited, 20_000);
    return output;
  };
  return { child, output: () => output, until };
};

/** Field `index` (0-based, after the command's name) of /proc/<pid>/stat. */
const statField = async (pid: number, index: number): Promise<string | undefined> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[index];
};
const sessionOf = (pid: number) => statField(pid, 3);

/** A child of `parent` that is ffmpeg rendering with its progress on a pipe, if one runs now. */
const renderOf = async (parent: number): Promise<number | undefined> => {
  const children = (await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8').catch(() => '')).trim().split(' ').filter(Boolean);
  for (const child of children.map(Number)) {
    const line = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
    if (line.split('\0').includes('-progress') && (await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '')).trim() === 'ffmpeg') return child;
  }
  return undefined;
};

/** Ctrl-C at a terminal: SIGINT to every process of the foreground group. */
const stop = async (child: ResultPromise) => {
  process.kill(-(child.pid ?? 0), 'SIGINT');
  return child;
};

describe('vidbot serve', () => {
  it('serves, shuts down cleanly mid-job, and after a restart the user gets exactly one video', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dataDir = sandbox.env.VIDBOT_DATA_DIR ?? '';
    // Long enough to be mid-render when Ctrl-C follows "job started" at once; the restart renders it whole.
    // A grace of 1 s: ffmpeg, had the Ctrl-C killed it, would have failed the job within it.
    const env = { ...sandbox.env, PUBLIC_BASE_URL: base, VIDBOT_VIDEO_SECONDS: '12', VIDBOT_SHUTDOWN_GRACE_SEC: '1', WORKER_COUNT: '1' };

    const first = await startServe(env, sandbox.root, ['--port', String(port)]);
    expect(await first.until('webhook (Twilio')).toContain(`webhook (Twilio → "When a message comes in", POST): ${base}/whatsapp/webhook`);
    expect(await first.until('TWILIO_AUTH_TOKEN is not set')).toContain('TWILIO_AUTH_TOKEN is not set');
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string; workers: { concurrency: number } };
    expect(health).toMatchObject({ status: 'healthy', workers: { concurrency: 1 } });

    // Sign with the local token `vidbot serve` created, as `vidbot sign` does.
    const token = (await readFile(join(dataDir, 'local-auth-token'), 'utf8')).trim();
    const request = signedPost(`${base}/whatsapp/webhook`, whatsappText(USER, 'a lighthouse in a storm', newMessageSid()), token);
    const answer = await fetch(`${base}${request.url}`, { method: 'POST', headers: request.headers, body: request.payload });
    expect(answer.status).toBe(200);
    expect(twimlText(await answer.text())).toContain('Generating your video');
    const unsigned = await fetch(`${base}/whatsapp/webhook`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: request.payload });
    expect(unsigned.status).toBe(403);

    // Ctrl-C while the 12 s video renders: the job goes back to the queue, nothing is sent.
    await waitFor(async () => first.output().includes('"msg":"job started"'), 20_000);
    // ffmpeg rendering (its progress on a pipe), in a session of its own: the Ctrl-C to serve's group passes it by.
    const render = await waitFor(() => renderOf(first.child.pid ?? 0), 20_000);
    expect(await sessionOf(render)).not.toBe(await sessionOf(first.child.pid ?? 0));
    const stopped = await stop(first.child);
    expect(stopped.exitCode).toBe(0);
    expect(first.output()).toContain('Shutting down: 1 running job gets up to 1 s to finish, and no new one starts; the server closes after...');
    expect(first.output()).toContain('Handing 1 running job back to the queue.');
    expect(first.output()).toContain('Stopped. 1 running job went back to the queue: it runs on the next start.');
    // ffmpeg had the Ctrl-C too: had it died of it, the job would have failed an attempt.
    expect(first.output()).not.toContain('job will retry');
    const database = join(dataDir, 'vidbot.db');
    const peek = async <T>(read: (store: ReturnType<typeof createSqliteStore>) => Promise<T>): Promise<T> => {
      const store = createSqliteStore({ file: database });
      try {
        return await read(store);
      } finally {
        await store.close();
      }
    };
    const [task] = await peek((store) => store.listTasks({ from: USER }));
    expect(task?.status).toBe('queued');
    expect(await peek((store) => store.listOutbound({ to: USER }))).toEqual([]);

    const second = await startServe(env, sandbox.root, ['--port', String(port)]);
    await waitFor(async () => second.output().includes('"msg":"job done"'), 90_000);
    // The restart says what it resumes, and its log follows the resumed job from its start.
    expect(second.output()).toContain('1 job waits in the queue: the workers take it now.');
    expect(second.output()).toContain('"msg":"job started"');
    await stop(second.child);
    // One video; the local channel keeps order, so the offer of another version may follow it.
    const sent = (await peek((store) => store.listOutbound({ to: USER }))).filter((record) => record.kind !== 'choices');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'result', taskId: task?.taskId });
    expect(sent[0]?.mediaUrl).toMatch(new RegExp(`^${base}/media/`));
    expect(await peek((store) => store.listVideos({ from: USER }))).toHaveLength(1);
    // Two starts and a 12 s render: a minute or more on a loaded machine, so the bound is the waits' own.
  }, 180_000);

  /** `vidbot serve` in a pseudo-terminal of 80 × 30 (`script`, util-linux), as a person's terminal would run it, with a job running. */
  const dashboardWithAJob = async (settings: Record<string, string>) => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const env = { ...sandbox.env, TERM: 'xterm-256color', VIDBOT_VIDEO_SECONDS: '30', WORKER_COUNT: '1', ...settings };
    const command = `stty cols 80 rows 30; exec "${process.execPath}" "${binPath}" serve --port ${port}`;
    const child = execa('script', ['-q', '-e', '-c', command, '/dev/null'], { env, extendEnv: false, cwd: sandbox.root, reject: false });
    let raw = '';
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    let exited = false;
    void child.finally(() => {
      exited = true;
    });
    cleanups.push(async () => {
      if (!exited) child.kill('SIGKILL');
      await child;
    });
    // What the frames say, without the escape sequences that draw them.
    const screen = () => raw.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '').replace(/\s+/g, ' ');
    await waitFor(async () => screen().includes(`simulator http://127.0.0.1:${port}/simulator`), 20_000);
    expect(screen()).toContain(`webhook (POST) http://127.0.0.1:${port}/whatsapp/webhook`);
    expect(screen()).toContain(`status callback http://127.0.0.1:${port}/whatsapp/status`);

    const sent = await fetch(`http://127.0.0.1:${port}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, body: 'a lighthouse in a storm' }),
    });
    expect(sent.ok).toBe(true);
    await waitFor(async () => /\+1555…9999 a lighthouse in a storm (starting|polish|cache|generate)/.test(screen()), 20_000);
    return { child, screen };
  };

  it('draws the dashboard on a terminal, and its last frame after Ctrl-C says the running job went back to the queue', async () => {
    const { child, screen } = await dashboardWithAJob({ VIDBOT_SHUTDOWN_GRACE_SEC: '0' });
    child.stdin.write('\u0003');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(screen()).toContain('Stopped. 1 job was stopped and went back to the queue; it resumes on the next start.');
  });

  it('stops at once on a second Ctrl-C in the dashboard too, where the terminal hands Ctrl-C over as a key', async () => {
    const { child, screen } = await dashboardWithAJob({ VIDBOT_SHUTDOWN_GRACE_SEC: '60' });
    child.stdin.write('\u0003');
    await waitFor(async () => screen().includes('Stopping: 1 running job gets up to 60 s to finish'), 20_000);
    // Before, the second was taken as the first again, and the job's 60 s were waited out.
    child.stdin.write('\u0003');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(screen()).toContain('Stopped at once (a second Ctrl-C). Jobs still running go back to the queue when their lease runs out.');
  });

  it('stops at once on a second Ctrl-C, and says what becomes of the running job', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // A long grace and a long render: the first Ctrl-C waits for the job, the second does not.
    const env = { ...sandbox.env, PUBLIC_BASE_URL: base, VIDBOT_VIDEO_SECONDS: '12', VIDBOT_SHUTDOWN_GRACE_SEC: '60', WORKER_COUNT: '1' };
    const served = await startServe(env, sandbox.root, ['--port', String(port)]);
    const token = (await readFile(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'local-auth-token'), 'utf8')).trim();
    const request = signedPost(`${base}/whatsapp/webhook`, whatsappText(USER, 'a lighthouse in a storm', newMessageSid()), token);
    expect((await fetch(`${base}${request.url}`, { method: 'POST', headers: request.headers, body: request.payload })).status).toBe(200);
    await waitFor(() => renderOf(served.child.pid ?? 0), 20_000);
    process.kill(-(served.child.pid ?? 0), 'SIGINT');
    await served.until('Shutting down');
    process.kill(-(served.child.pid ?? 0), 'SIGINT');
    expect((await served.child).exitCode).toBe(130);
    expect(served.output()).toContain('Stopped at once (a second Ctrl-C). Jobs still running go back to the queue when their lease runs out.');
  }, 120_000);

  it('says clearly when the port is taken', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const first = await startServe(sandbox.env, sandbox.root, ['--port', String(port), '--no-workers']);
    expect(await first.until('workers: none')).toContain('workers: none (--no-workers)');
    // No Twilio credentials: the browser simulator stands in for WhatsApp.
    expect(await first.until('simulator (chat')).toContain(`simulator (chat with the bot in a browser): http://127.0.0.1:${port}/simulator`);
    const page = await fetch(`http://127.0.0.1:${port}/simulator`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const second = execa(process.execPath, [binPath, 'serve', '--port', String(port)], { env: sandbox.env, extendEnv: false, cwd: sandbox.root, reject: false });
    const result = await second;
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain(`Port ${port} is already in use. [VIDBOT_PORT_IN_USE]`);
    expect(result.stderr).toContain('hint: Stop the other server, or pick another port with --port.');
    await stop(first.child);
  });

  it('names the setting, without a stack trace, for a host that is not this machine and a log level that is none', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const serve = (args: string[], env: Record<string, string> = {}) =>
      execa(process.execPath, [binPath, 'serve', '--no-tunnel', '--no-workers', ...args], { env: { ...sandbox.env, ...env }, extendEnv: false, cwd: sandbox.root, reject: false });
    const host = await serve(['--host', '192.0.2.1', '--port', String(await freePort())]);
    // Before: VIDBOT_INTERNAL, exit 70, "This is a bug in vidbot" and the stack.
    expect([host.exitCode, host.stderr.split('\n')[0]]).toEqual([78, '✖ Cannot listen on 192.0.2.1 (EADDRNOTAVAIL): it is not an address of this machine (--host / VIDBOT_HOST). [VIDBOT_CONFIG_INVALID]']);
    expect(host.stderr).not.toContain('    at ');
    const level = await serve(['--port', String(await freePort())], { VIDBOT_LOG_LEVEL: 'loud' });
    expect([level.exitCode, level.stderr.split('\n')[0]]).toEqual([78, '✖ VIDBOT_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud". [VIDBOT_CONFIG_INVALID]']);
  });

  it('keeps serving locally and says why when the ngrok tunnel cannot open', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    // Something that is not ngrok where the SDK connects: the session fails at once, offline.
    const sockets = new Set<Socket>();
    const notNgrok = createNetServer((socket) => {
      sockets.add(socket);
      socket.end('not ngrok\n');
    });
    await new Promise<void>((resolve) => notNgrok.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => notNgrok.close(() => resolve()));
    });
    const env = { ...sandbox.env, NGROK_AUTHTOKEN: 'not-a-real-token', NGROK_SERVER_ADDR: `127.0.0.1:${(notNgrok.address() as AddressInfo).port}` };
    const port = await freePort();
    const served = await startServe(env, sandbox.root, ['--port', String(port), '--no-workers']);
    expect(await served.until('Serving locally only.')).toContain('The ngrok tunnel did not open: failed to connect session');
    expect(await served.until('webhook (Twilio')).toContain(`webhook (Twilio → "When a message comes in", POST): http://127.0.0.1:${port}/whatsapp/webhook`);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    const noToken = await startServe(sandbox.env, sandbox.root, ['--port', String(await freePort()), '--no-workers', '--tunnel']);
    expect(await noToken.until('--tunnel needs NGROK_AUTHTOKEN')).toContain('--tunnel needs NGROK_AUTHTOKEN');
    await stop(served.child);
    await stop(noToken.child);
  });
});

describe("serve's start lines", () => {
  it('say what waits and what is still marked running, in the right number', async () => {
    const { startLines } = await import('../../src/cli/commands/serve.ts');
    expect(startLines(undefined, true)).toEqual([]);
    expect(startLines({ waiting: 0, stalled: 0 }, true)).toEqual([]);
    expect(startLines({ waiting: 3, stalled: 0 }, false)).toEqual(['3 jobs wait in the queue: a worker process runs them (this one runs none).']);
    expect(startLines({ waiting: 1, stalled: 2 }, true)).toEqual([
      '1 job waits in the queue: the workers take it now.',
      '2 jobs are marked running: by another worker, or by a vidbot that stopped without handing them back, and then each runs again once its lease runs out (VIDBOT_JOB_LEASE_SEC).',
    ]);
    expect(startLines({ waiting: 0, stalled: 1 }, true)).toEqual([
      '1 job is marked running: by another worker, or by a vidbot that stopped without handing it back, and then it runs again once its lease runs out (VIDBOT_JOB_LEASE_SEC).',
    ]);
  });
});
