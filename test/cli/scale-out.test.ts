/**
 * Scale-out as users run it: one `vidbot serve --no-workers` and two `vidbot worker` processes on
 * BullMQ (a real redis-server), sharing the store. A worker is killed with SIGKILL in the middle of
 * a job and Redis is restarted mid-run; every task still completes once and its user gets one video.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis } from '../helpers/redis.ts';
import { spawnVidbot } from '../helpers/spawn.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** Enough for both workers to be busy when one is killed and Redis goes away, half before and half during the outage. */
const TASKS = 12;

const spawn = (args: string[], env: Record<string, string>, cwd: string, ready: string) => spawnVidbot(args, { env, cwd, ready, cleanups });

describe('serve --no-workers with two vidbot worker processes on Redis', () => {
  it(`completes ${TASKS} tasks exactly once through a SIGKILLed worker and a Redis restart`, async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.cleanup());
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...sandbox.env,
      REDIS_URL: redis.url,
      PUBLIC_BASE_URL: base,
      VIDBOT_VIDEO_SECONDS: '1',
      VIDBOT_JOB_LEASE_SEC: '2',
      VIDBOT_SHUTDOWN_GRACE_SEC: '0',
      VIDBOT_RATE_LIMIT: '1000',
    };
    const web = await spawn(['serve', '--no-workers', '--port', String(port)], env, sandbox.root, 'vidbot serving on');
    expect(await web.until('workers: none')).toContain('workers: none (--no-workers)');
    expect(await web.until('queue bullmq')).toContain('queue bullmq');
    const workerA = await spawn(['worker', '--concurrency', '2'], env, sandbox.root, 'vidbot worker');
    const workerB = await spawn(['worker', '--concurrency', '2'], env, sandbox.root, 'vidbot worker');

    const submit = async (n: number) => {
      const response = await fetch(`${base}/api/generate-video`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // One sender per task: the per-sender fairness cap does not serialize this test.
        body: JSON.stringify({ prompt: `scale-out clip number ${n}`, from: `whatsapp:+1555000${String(n).padStart(4, '0')}` }),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { task_id: string }).task_id;
    };
    const ids: string[] = [];
    for (let n = 0; n < TASKS / 2; n += 1) ids.push(await submit(n));

    // Kill worker A in the middle of a job: its lease runs out and worker B takes the job over.
    const started = await waitFor(async () => /(\S+): started/.exec(workerA.output())?.[1], 30_000);
    workerA.child.kill('SIGKILL');
    await workerA.child;

    // Redis goes away and comes back (its append-only file keeps the queue) while work goes on.
    await redis.stop();
    const duringOutage = (async () => {
      for (let n = TASKS / 2; n < TASKS; n += 1) ids.push(await submit(n));
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.start();
    await duringOutage;

    const store = createSqliteStore({ file: `${sandbox.env.VIDBOT_DATA_DIR}/vidbot.db` });
    cleanups.push(() => store.close());
    await waitFor(async () => (await store.countTasks({ status: ['done'] })) === TASKS, 150_000);
    expect(await store.countTasks()).toBe(TASKS);
    for (const id of ids) {
      const results = await store.listOutbound({ taskId: id });
      expect(results.filter((message) => message.kind === 'result')).toHaveLength(1);
    }
    expect((await store.listVideos({ limit: 100 })).length).toBe(TASKS);
    const killedJob = await store.getTask(started);
    expect(killedJob?.status).toBe('done');
    expect(workerB.output()).toContain(`${started}: started`);
  }, 240_000);
});
