/** `vidbot retry <task-id>`: a failed task made again from the command line, as the dashboard's r key does. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../helpers/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('vidbot retry', () => {
  it('queues a failed task again, and refuses one that did not fail or that `vidbot generate` made for a file', async () => {
    const box = await makeSandbox();
    cleanups.push(box.cleanup);
    const cli = (args: string[]) => runCli(args, { env: box.env, cwd: box.root });
    expect((await cli(['generate', 'a kite over the dunes', '--duration', '1', '-o', join(box.root, 'kite.mp4')])).exitCode).toBe(0);
    const [done] = (JSON.parse((await cli(['status', '--json'])).stdout) as { tasks: { taskId: string }[] }).tasks;
    const taskId = done?.taskId ?? '';

    // Made for a file by `vidbot generate`: a retry would make it for no one; generating it again is the way.
    const forFile = await cli(['retry', taskId.slice(-8)]);
    expect(forFile.exitCode).toBe(65);
    expect(forFile.stderr).toContain(`Task ${taskId} was made by \`vidbot generate\` for a file, not for a WhatsApp user: a retry would send it nowhere. [VIDBOT_CONFLICT]`);
    expect(forFile.stderr).toContain("hint: Generate it again: vidbot generate 'a kite over the dunes' -o <file>.mp4");

    // A WhatsApp user's task, done: its video went to them.
    const { createSqliteStore } = await import('../../src/lib/store/index.ts');
    const store = createSqliteStore({ file: join(box.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db') });
    const options = { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true } as const;
    const { task } = await store.createTask({ prompt: 'a kite for a friend', from: 'whatsapp:+15550001234', sessionId: 'whatsapp:+15550001234', options });
    await store.updateTask(task.taskId, { status: 'done', videoId: 'v-kite' });
    const refused = await cli(['retry', task.taskId]);
    expect(refused.exitCode).toBe(65);
    expect(refused.stderr).toContain(`Task ${task.taskId} is done; only failed or canceled tasks can be retried. [VIDBOT_CONFLICT]`);
    expect(refused.stderr).toContain('hint: Its video was sent; for another take of it, ask for the prompt again.');

    // Failed after its video was made (its delivery, say): the retry only sends it again.
    await store.updateTask(task.taskId, { status: 'failed', error: 'WhatsApp could not be reached' });
    await store.close();
    const retried = await cli(['retry', task.taskId]);
    expect(retried.exitCode).toBe(0);
    expect(retried.stdout).toContain(`Retrying ${task.taskId} ("a kite for a friend"): queued as job ${task.taskId}#2; its video is sent again.`);
    const counts = JSON.parse((await cli(['status', '--json'])).stdout) as { counts: { waiting: number }; tasks: { taskId: string; status: string }[] };
    expect(counts.counts.waiting).toBe(1);
    expect(counts.tasks.find((each) => each.taskId === task.taskId)?.status).toBe('queued');

    const unknown = await cli(['retry', 'deadbeef']);
    expect(unknown.exitCode).toBe(66);
    expect((await cli(['retry'])).exitCode).toBe(2);
  });
});
