import { afterEach, describe, expect, it } from 'vitest';
import { throwIfAborted } from '../../src/lib/errors.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** A provider that waits until it is aborted, counting its calls. */
const stuckProvider = () => {
  const calls: string[] = [];
  const provider: VideoProvider = {
    name: 'stuck',
    defaultModel: 'stuck-1',
    capabilities: () => ({ imageToVideo: false, ai: true }),
    generate: (request, options) => {
      calls.push(request.prompt);
      return new Promise((_resolve, reject) => {
        const stop = () => {
          try {
            throwIfAborted(options.signal);
          } catch (error) {
            reject(error);
          }
        };
        if (options.signal?.aborted) stop();
        options.signal?.addEventListener('abort', stop, { once: true });
      });
    },
  };
  return { provider, calls };
};

describe('vidbot.cancelTask through the queue', () => {
  it('cancels a queued task at once: task and job end canceled and it never runs', async () => {
    const { provider, calls } = stuckProvider();
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider } });
    cleanups.push(cleanup);
    const { task } = await vidbot.submitTask({ prompt: 'a queued fox', from: 'whatsapp:+15550003333' });

    const result = await vidbot.cancelTask(task.taskId);
    expect(result.outcome).toBe('canceled');
    expect(result.task).toMatchObject({ status: 'canceled', cancelRequested: true });
    expect((await vidbot.queue.get(task.taskId))?.state).toBe('canceled');

    const worker = vidbot.startWorkers({ concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await worker.close();
    expect(calls).toEqual([]);
    expect((await vidbot.store.getTask(task.taskId))?.status).toBe('canceled');
  });

  it('stops a running task: its signal fires, and task and job both end canceled', async () => {
    const { provider, calls } = stuckProvider();
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider } });
    cleanups.push(cleanup);
    const { task } = await vidbot.submitTask({ prompt: 'a running fox', from: 'whatsapp:+15550004444' });
    const worker = vidbot.startWorkers({ concurrency: 1 });
    cleanups.push(() => worker.close());
    await waitFor(async () => calls.length === 1);

    const result = await vidbot.cancelTask(task.taskId);
    expect(result.outcome).toBe('cancel-requested');
    const canceled = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'canceled' ? latest : undefined;
    }, 10_000);
    expect(canceled.error).toBe('Canceled by the user.');
    await waitFor(async () => (await vidbot.queue.get(task.taskId))?.state === 'canceled', 10_000);
    expect(calls).toHaveLength(1);
    // The user, told "Stopping..." when they asked, hears that it stopped.
    const notice = await waitFor(async () => vidbot.store.findOutbound({ taskId: task.taskId, kind: 'canceled' }), 10_000);
    expect(notice).toMatchObject({ to: 'whatsapp:+15550004444', body: '🛑 Canceled "a running fox". Send a new description whenever you like.', status: 'delivered' });
  });

  it('leaves a finished task as it is, and rejects an unknown id', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a finished fox' });
    await vidbot.runTask(task.taskId);
    const result = await vidbot.cancelTask(task.taskId);
    expect(result).toMatchObject({ outcome: 'already-finished', task: { status: 'done' } });
    await expect(vidbot.cancelTask('no-such-task')).rejects.toMatchObject({ code: 'VIDBOT_TASK_NOT_FOUND' });
  });
});
