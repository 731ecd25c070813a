/** `vidbot retry <task-id>`: a failed task made again from the command line, as the dashboard's r key does. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../helpers/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('vidbot retry', () => {
  it('queues a failed task again by the id `vidbot status` lists, and refuses one that did not fail', async () => {
    const box = await makeSandbox();
    cleanups.push(box.cleanup);
    const cli = (args: string[]) => runCli(args, { env: box.env, cwd: box.root });
    expect((await cli(['generate', 'a kite over the dunes', '--duration', '1', '-o', join(box.root, 'kite.mp4')])).exitCode).toBe(0);
    const [done] = (JSON.parse((await cli(['status', '--json'])).stdout) as { tasks: { taskId: string }[] }).tasks;
    const taskId = done?.taskId ?? '';

    const refused = await cli(['retry', taskId.slice(-8)]);
    expect(refused.exitCode).toBe(65);
    expect(refused.stderr).toContain(`Task ${taskId} is done; only failed or canceled tasks can be retried. [VIDBOT_CONFLICT]`);
    expect(refused.stderr).toContain('hint: Its video was sent; for another take of it, ask for the prompt again.');

    // Failed after its video was made (its delivery, say): the retry only sends it again.
    const { createSqliteStore } = await import('../../src/lib/store/index.ts');
    const store = createSqliteStore({ file: join(box.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db') });
    await store.updateTask(taskId, { status: 'failed', error: 'WhatsApp could not be reached' });
    await store.close();
    const retried = await cli(['retry', taskId.slice(-8)]);
    expect(retried.exitCode).toBe(0);
    expect(retried.stdout).toContain(`Retrying ${taskId} ("a kite over the dunes"): queued as job ${taskId}#2; its video is sent again.`);
    const counts = JSON.parse((await cli(['status', '--json'])).stdout) as { counts: { waiting: number }; tasks: { status: string }[] };
    expect(counts.counts.waiting).toBe(1);
    expect(counts.tasks[0]?.status).toBe('queued');

    const unknown = await cli(['retry', 'deadbeef']);
    expect(unknown.exitCode).toBe(66);
    expect((await cli(['retry'])).exitCode).toBe(2);
  });
});
