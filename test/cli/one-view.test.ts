/**
 * One view across processes, as users run it: `vidbot worker` and `vidbot serve --no-workers` on one
 * Redis (sharing the SQLite file, as two processes on one machine may), and `vidbot status --watch`
 * against the web process. The web process runs no job, yet the watcher follows the worker's job
 * stage by stage and says on which machine it runs. Runs the built CLI: `npm run build` first.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { shortId } from '../../src/cli/dashboard/format.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis } from '../helpers/redis.ts';
import { spawnVidbot } from '../helpers/spawn.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('vidbot status --watch on serve --no-workers, beside a vidbot worker', () => {
  it("prints the worker's job, its stages and where it runs", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.cleanup());
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...sandbox.env, REDIS_URL: redis.url, PUBLIC_BASE_URL: base, VIDBOT_VIDEO_SECONDS: '1', VIDBOT_SHUTDOWN_GRACE_SEC: '0' };
    const options = { env, cwd: sandbox.root, cleanups };
    await spawnVidbot(['serve', '--no-workers', '--port', String(port)], { ...options, ready: 'vidbot serving on' });
    const worker = await spawnVidbot(['worker', '--concurrency', '1'], { ...options, ready: 'vidbot worker' });
    // The web process runs no worker, yet its health (and `vidbot status --server`) counts the worker process's.
    const workers = async () => ((await (await fetch(`${base}/health`)).json()) as { workers: Record<string, unknown> }).workers;
    await waitFor(async () => (await workers()).concurrency === 1, 20_000);
    expect(await workers()).toEqual({ running: 0, concurrency: 1, paused: false, processes: 1, machines: 1 });
    const status = await runCli(['status', '--server', base], { env, cwd: sandbox.root });
    expect(status.stdout).toContain('workers: 0/1 busy in 1 process\n');
    // Not a terminal: plain lines.
    const watch = await spawnVidbot(['status', '--watch', '--server', base], { ...options, ready: 'queue:' });
    // The web process listens on the bus once a viewer asked for its events: wait for that, not for a while.
    const probe = redis.client();
    await waitFor(async () => ((await probe.pubsub('NUMSUB', 'vidbot:tasks:vb:activity')) as [string, number])[1] >= 1, 20_000);

    const response = await fetch(`${base}/api/generate-video`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse in a storm', from: 'whatsapp:+15550001111' }),
    });
    expect(response.status).toBe(202);
    const taskId = ((await response.json()) as { task_id: string }).task_id;

    const machine = hostname();
    // Lines name jobs by the short id `vidbot status` lists.
    const job = shortId(taskId);
    await waitFor(async () => watch.output().includes(`${job} completed on ${machine}`), 30_000);
    const lines = watch.output().split('\n');
    const of = (pattern: string) => lines.find((line) => line.includes(`${job} ${pattern}`));
    expect(of('active')).toMatch(new RegExp(`active on ${machine} "a lighthouse in a storm" from whatsapp:\\+1555…1111$`));
    expect(of('generate start')).toMatch(new RegExp(`generate start on ${machine}$`));
    expect(of('compress done')).toMatch(new RegExp(`on ${machine}$`));
    expect(of('made by local')).toMatch(new RegExp(`on ${machine}$`));
    expect(of('deliver done')).toBeDefined();
    expect(worker.output()).toContain(`${taskId}: started`);
  }, 60_000);
});
