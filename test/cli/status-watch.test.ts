import { afterEach, describe, expect, it } from 'vitest';
import { describeWith } from '../../src/cli/commands/status-watch.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import { useServers } from '../helpers/server.ts';
import { freePort } from '../helpers/ports.ts';

const server = useServers();
let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
afterEach(() => sandbox?.cleanup());

describe('vidbot status --watch', () => {
  it('follows a running server as plain lines, and says so when the server goes away', async () => {
    sandbox = await makeSandbox();
    const { app } = await server();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    let shown = '';
    let seen: () => void = () => {};
    const queued = new Promise<void>((resolve) => (seen = resolve));
    const run = runCli(['status', '--watch', '--server', address], {
      env: sandbox.env,
      cwd: sandbox.root,
      onStdout: (text) => {
        shown = text;
        if (/queue: 1 waiting/.test(text)) seen();
      },
    });
    const answer = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 'whatsapp:+15550001111' } });
    await queued;
    await app.close();
    const result = await run;
    expect(shown).toBe(result.stdout);
    expect(result.stdout).toMatch(/queue: 1 waiting, 0 active, 0 done, 0 failed/);
    // The counts when they change: never the same line twice in a row (the replay and the first live counts agree).
    const counts = result.stdout.split('\n').filter((line) => line.includes(' queue: ')).map((line) => line.slice(line.indexOf(' queue: ')));
    expect(counts.filter((line, index) => line === counts[index - 1])).toEqual([]);
    expect(answer.statusCode).toBe(202);
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain('closed the event stream');
  });

  it('prints one JSON event a line with --json', async () => {
    sandbox = await makeSandbox();
    const { app } = await server();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    let seen: () => void = () => {};
    const queued = new Promise<void>((resolve) => (seen = resolve));
    const run = runCli(['status', '--watch', '--json', '--server', address], {
      env: sandbox.env,
      cwd: sandbox.root,
      onStdout: (text) => void (/"waiting":1/.test(text) && seen()),
    });
    await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 'whatsapp:+15550001111' } });
    await queued;
    await app.close();
    const result = await run;
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; ok?: boolean; error?: { code: string } });
    // Events, then (the server went away) the error document every --json failure ends with.
    const ended = lines.pop();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((event) => typeof event.type === 'string')).toBe(true);
    expect(ended).toMatchObject({ ok: false, error: { code: 'VIDBOT_SERVER_UNREACHABLE' } });
    expect(result.exitCode).toBe(69);
  });

  it('explains an unreachable server and a refused key', async () => {
    sandbox = await makeSandbox();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const gone = await runCli(['status', '--watch', '--server', closed], { env: sandbox.env, cwd: sandbox.root });
    expect(gone.exitCode).toBe(69);
    expect(gone.stderr).toContain(`No vidbot server is running at ${closed}`);
    const { app } = await server({}, { server: { apiKey: 'right-key' } });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const refused = await runCli(['status', '--watch', '--server', address], { env: { ...sandbox.env, VIDBOT_API_KEY: 'wrong-key' }, cwd: sandbox.root });
    expect(refused.exitCode).toBe(77);
    expect(refused.stderr).toContain('VIDBOT_API_KEY');
  });

  it('names jobs by the short id `vidbot status` lists, a later run with its number', () => {
    const describe = describeWith(() => '');
    const ts = Date.UTC(2026, 11, 1, 9, 30, 5);
    const task = '019a1f2e-3b4c-7d5e-8f60-a1b2c3d4e5f6';
    expect(describe({ type: 'job', kind: 'completed', jobId: task, workerId: 'w1', durationMs: 3_200, ts })).toBe('09:30:05 c3d4e5f6 completed (3.2 s)');
    expect(describe({ type: 'stage', jobId: `${task}#2`, stage: 'generate', state: 'start', ts })).toBe('09:30:05 c3d4e5f6#2 generate start');
  });

  it("prints a service's words without what could redraw the terminal", () => {
    const describe = describeWith(() => '');
    const ts = Date.UTC(2026, 11, 1, 9, 30, 5);
    const jobId = '019a1f2e-3b4c-7d5e-8f60-a1b2c3d4e5f6';
    const lines = [
      describe({ type: 'job', kind: 'failed', jobId, error: 'provider said \u001b[2J\u202Eevil', ts }),
      describe({ type: 'stage', jobId, stage: 'generate', state: 'skip', message: 'cached \u0007copy', ts }),
      describe({ type: 'log', level: 'warn', message: 'odd \u202Ename\u202C', ts }),
    ];
    expect(lines).toEqual(['09:30:05 c3d4e5f6 failed: provider said [2Jevil', '09:30:05 c3d4e5f6 generate skip (cached copy)', '09:30:05 warn: odd name']);
  });
});
