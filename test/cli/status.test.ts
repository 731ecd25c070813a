import { access } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import { startRedis } from '../helpers/redis.ts';
import { makeServer } from '../helpers/server.ts';
import { pickTask } from '../../src/cli/commands/status-task.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { createSqliteStore } from '../../src/lib/store/index.ts';
import { displayWidth } from '../../src/lib/text.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const sandbox = async () => {
  const box = await makeSandbox();
  cleanups.push(box.cleanup);
  return box;
};

describe('vidbot status', () => {
  it('names the Redis its queue is on with the database number, never the password', async () => {
    const box = await sandbox();
    const redis = await startRedis();
    cleanups.push(() => redis.cleanup());
    const url = new URL(redis.url);
    const { stdout } = await runCli(['status'], { env: { ...box.env, REDIS_URL: `redis://:s3cret@${url.host}/3` }, cwd: box.root });
    expect(stdout).toContain(`queue (BullMQ on redis://${url.host}/3): 0 waiting`);
    expect(stdout).not.toContain('s3cret');
  });

  it('lines the senders up under each other, whatever the length of each task\'s state', async () => {
    const box = await sandbox();
    const store = createSqliteStore({ file: join(box.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db') });
    cleanups.push(() => store.close());
    const options = { provider: 'local', orientation: 'portrait', durationSec: 5, polish: false, useCache: true } as const;
    const add = async (from: string, prompt: string) => (await store.createTask({ prompt, from, sessionId: from, options })).task.taskId;
    await add('whatsapp:+15550001111', 'a short one');
    const failed = await add('whatsapp:+15550002222', 'a long one');
    await store.updateTask(failed, { status: 'failed', error: 'ffmpeg failed (exit code 1):\nbad input\nand a third line' });
    // A delivery that failed is said by the task's error, once; one through the local channel went nowhere.
    const undelivered = await add('whatsapp:+15550003333', 'a refused one');
    await store.updateTask(undelivered, { status: 'failed', error: 'WhatsApp refused the video (63019)', delivery: { status: 'failed', attempt: 1, outboundId: 'o1', channel: 'twilio', errorCode: '63019', updatedAt: Date.now() } });
    const kept = await add('whatsapp:+15550004444', 'a local one');
    await store.updateTask(kept, { status: 'done', delivery: { status: 'delivered', attempt: 1, outboundId: 'o2', messageId: 'LMx', channel: 'local', updatedAt: Date.now() } });
    const { stdout } = await runCli(['status'], { env: box.env, cwd: box.root });
    const columns = stdout.split('\n').filter((line) => line.includes('whatsapp:+1555')).map((line) => line.indexOf('whatsapp:+1555'));
    expect(columns).toHaveLength(4);
    expect(new Set(columns).size).toBe(1);
    expect(stdout).toContain('failed: WhatsApp refused the video (63019)');
    expect(stdout).not.toContain('failed, failed');
    // One line: an error's heading with its first reason, when the heading ends in a colon.
    expect(stdout).toContain('failed: ffmpeg failed (exit code 1): bad input  ');
    expect(stdout).not.toContain('a third line');
    expect(stdout).toMatch(/done, not sent \(no messenger set up\) +whatsapp:\+15550004444/);
    // On a terminal 80 columns wide, no line runs past its edge: the prompts are cut to what is left, the counts go under the queue's name.
    const narrow = await runCli(['status'], { env: { ...box.env, VIDBOT_DATA_DIR: join(box.root, 'a-data-folder-with-a-long-name-as-people-have') }, cwd: box.root, columns: 80 });
    expect(narrow.stdout).toMatch(/^queue \(.+a-data-folder-with-a-long-name-as-people-have\/vidbot\.db\):\n  0 waiting, 0 active/);
    await add('whatsapp:+15550006666', 'a lighthouse in a storm at night, waves crashing over the rocks while gulls circle the lamp');
    // An emoji or a CJK character takes two of the terminal's columns.
    await add('whatsapp:+15550007777', '🔥🔥 fire dance 日本語のテキスト with emoji');
    const rows = (await runCli(['status'], { env: box.env, cwd: box.root, columns: 80 })).stdout.split('\n');
    expect(rows.filter((line) => displayWidth(line) > 80)).toEqual([]);
    // On a terminal the senders are masked as the dashboard shows them (whole when piped, above), the prompts in line.
    expect(rows.filter((line) => line.includes('whatsapp:'))).toEqual([]);
    expect(rows.find((line) => line.includes('+1555…7777'))).toMatch(/"🔥🔥 fire.*…"$/);
    expect(rows.find((line) => line.includes('+1555…6666'))).toMatch(/"a lighthouse in a.*…"$/);
    expect(new Set(rows.filter((line) => line.includes('+1555…')).map((line) => line.indexOf('"')))).toHaveProperty('size', 1);
    const one = await runCli(['status', kept.slice(-8)], { env: box.env, cwd: box.root });
    expect(one.stdout).toMatch(/delivery +not sent \(no messenger set up\), message LMx\n/);
    expect(one.stdout).toMatch(/asked for +local, portrait, 5 s\n/);
    // A video waiting for the messenger to come back says so, and since when.
    const waiting = await add('whatsapp:+15550005555', 'a waiting one');
    await store.updateTask(waiting, { status: 'delivering', delivery: { status: 'pending', attempt: 1, outboundId: 'o3', channel: 'twilio', rounds: 2, updatedAt: Date.UTC(2026, 11, 1, 22, 31, 5) } });
    const rounds = await runCli(['status', waiting.slice(-8)], { env: box.env, cwd: box.root });
    expect(rounds.stdout).toMatch(/delivery +pending via twilio; the messenger could not be reached: trying again in rounds \(round 2, set at 2026-12-01 22:31:05 UTC; VIDBOT_DELIVERY_RETRY_SEC\)\n/);
  });


  it('reads the local store: queue counts and recent tasks, as text and JSON', async () => {
    const box = await sandbox();
    const cli = (args: string[]) => runCli(['status', ...args], { env: box.env, cwd: box.root });
    const empty = await cli([]);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toContain('0 waiting, 0 active');
    expect(empty.stdout).toContain('no tasks yet');

    expect((await runCli(['generate', 'a kite over the dunes', '--duration', '1', '-o', 'kite.mp4'], { env: box.env, cwd: box.root })).exitCode).toBe(0);
    // Relative paths are the user's working directory's, not the process's.
    await expect(access(join(box.root, 'kite.mp4'))).resolves.toBeUndefined();
    const text = await cli([]);
    expect(text.stdout).toMatch(/done in .*cli {2}"a kite over the dunes"/);
    const json = JSON.parse((await cli(['--json'])).stdout) as { counts: { waiting: number }; tasks: { taskId: string; prompt: string; status: string }[] };
    expect(json.counts.waiting).toBe(0);
    expect(json.tasks).toMatchObject([{ prompt: 'a kite over the dunes', status: 'done' }]);

    // One task in full, by the short id the list shows or by the whole id.
    const taskId = json.tasks[0]?.taskId ?? '';
    const one = await cli([taskId.slice(-8)]);
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toContain(`task ${taskId}`);
    expect(one.stdout).toMatch(/status +done in /);
    expect(one.stdout).toMatch(/prompt +"a kite over the dunes"/);
    expect(one.stdout).toMatch(/made by +local-preview, cost /);
    expect(one.stdout).toContain(join(box.root, 'kite.mp4'));
    expect(one.stdout).toMatch(/job +none \(run by its creator\)/);
    expect(JSON.parse((await cli([taskId, '--json'])).stdout)).toMatchObject({ task: { taskId, status: 'done' }, job: null });
    const unknown = await cli(['deadbeef']);
    expect(unknown.exitCode).toBe(66);
    expect(unknown.stderr).toContain('No task deadbeef. [VIDBOT_TASK_NOT_FOUND]');
    expect((await cli([taskId, '--watch'])).exitCode).toBe(2);

    // Made by the library's createTask and never run: no job will take it, so it is not called queued.
    const { createSqliteStore } = await import('../../src/lib/store/index.ts');
    const store = createSqliteStore({ file: join(box.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db') });
    const options = { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true } as const;
    const { task: idle } = await store.createTask({ prompt: 'a kite never run', from: '', sessionId: 'cli', options });
    await store.close();
    expect((await cli([])).stdout).toMatch(/created, not run \(no job: runTask runs it\) .*"a kite never run"|"a kite never run".*created, not run/);
    expect((await cli([idle.taskId])).stdout).toMatch(/status +created, not run \(no job: runTask runs it\)/);
  });

  it('asks a running server with its API key, and explains when it cannot', async () => {
    const box = await sandbox();
    const { app, vidbot, cleanup } = await makeServer({}, { server: { apiKey: 'sesame' } });
    cleanups.push(cleanup);
    await vidbot.submitTask({ prompt: 'a queued kite', from: 'whatsapp:+15550001234' });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    const server = `http://127.0.0.1:${port}`;

    const ok = await runCli(['status', '--server', server, '--json'], { env: { ...box.env, VIDBOT_API_KEY: 'sesame' }, cwd: box.root });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ source: server, counts: { waiting: 1 }, tasks: [{ prompt: 'a queued kite', status: 'queued' }] });
    // One task from the server, by its short id: with its job in line.
    const { tasks } = JSON.parse(ok.stdout) as { tasks: { taskId: string }[] };
    const taskId = tasks[0]?.taskId ?? '';
    const one = await runCli(['status', taskId.slice(-8), '--server', server], { env: { ...box.env, VIDBOT_API_KEY: 'sesame' }, cwd: box.root });
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toContain(`task ${taskId}`);
    expect(one.stdout).toMatch(/from +whatsapp:\+15550001234/);
    expect(one.stdout).toMatch(/job +waiting, attempt 0 of 3/);

    const refused = await runCli(['status', '--server', server], { env: { ...box.env, VIDBOT_API_KEY: 'wrong' }, cwd: box.root });
    expect(refused.exitCode).toBe(77);
    expect(refused.stderr).toContain('[VIDBOT_UNAUTHORIZED]');

    const down = await runCli(['status', '--server', `http://127.0.0.1:${await freePort()}`], { env: box.env, cwd: box.root });
    expect(down.exitCode).toBe(69);
    expect(down.stderr).toContain('[VIDBOT_SERVER_UNREACHABLE]');
    expect(down.stderr).toMatch(/No vidbot server is running at http:\/\/127\.0\.0\.1:\d+: nothing answers on port \d+\./);
    expect(down.stderr).toContain('hint: Start it with `vidbot serve`');
    // A port fetch will not use (6000, as browsers block it): said, not "fetch failed".
    const blocked = await runCli(['status', '--server', 'http://127.0.0.1:6000'], { env: box.env, cwd: box.root });
    expect(blocked.stderr.split('\n')[0]).toBe('✖ Cannot reach http://127.0.0.1:6000: fetch refuses that port (browsers block it too); serve vidbot on another. [VIDBOT_SERVER_UNREACHABLE]');

    // Something else on the port (a 404 for /health) is not "no tasks yet".
    const other = createServer((_request, response) => response.writeHead(404).end('{}'));
    const otherPort = await freePort();
    await new Promise<void>((resolve) => other.listen(otherPort, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => other.close(() => resolve())));
    const notVidbot = await runCli(['status', '--server', `http://127.0.0.1:${otherPort}`], { env: box.env, cwd: box.root });
    expect(notVidbot.exitCode).toBe(69);
    expect(notVidbot.stderr).toContain('/health answered 404');
    const noTask = await runCli(['status', 'deadbeef', '--server', server], { env: { ...box.env, VIDBOT_API_KEY: 'sesame' }, cwd: box.root });
    expect(noTask.exitCode).toBe(66);

    expect((await runCli(['status', '--server', 'not a url'], { env: box.env, cwd: box.root })).exitCode).toBe(2);
    expect((await runCli(['status', '--limit', '0'], { env: box.env, cwd: box.root })).exitCode).toBe(2);
  });

  it('finds a task by the end or the start of its id, and refuses an id that names several or is too short', () => {
    const task = (taskId: string) => ({ taskId }) as Task;
    const recent = [task('01a2-aaaa-1111beef'), task('01a2-aaaa-2222beef'), task('01a2-aaaa-3333cafe')];
    expect(pickTask('3333CAFE ', null, recent).taskId).toBe('01a2-aaaa-3333cafe');
    // A job's id names its task, as status --watch shows it for a task run again.
    expect(pickTask('3333cafe#2', null, recent).taskId).toBe('01a2-aaaa-3333cafe');
    expect(() => pickTask('beef', null, recent)).toThrow('2 recent tasks end with beef.');
    expect(() => pickTask('', null, recent)).toThrow('is too short to be a task id');
    expect(() => pickTask('f00d', null, recent)).toThrow('No task f00d.');
    expect(pickTask('anything', recent[0] ?? null, [])).toBe(recent[0]);
    // The start of an id, as logs and the API show it: found when only one task has it.
    expect(pickTask('01A2-AAAA-2', null, recent).taskId).toBe('01a2-aaaa-2222beef');
    expect(() => pickTask('01a2-aaaa', null, recent)).toThrow('3 recent tasks start or end with 01a2-aaaa: ids made close together share their start.');
    // One task ending with what another starts with: neither is guessed.
    expect(() => pickTask('01a2', null, [task('01a2-bbbb-0000'), task('ffff-cccc-01a2')])).toThrow('2 recent tasks start or end with 01a2');
  });
});
