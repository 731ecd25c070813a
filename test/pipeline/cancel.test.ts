/**
 * Canceling a task through the queue: before it runs, while it runs, and once its video is made.
 * Where a video is made, it is one clip, rendered and compressed once and copied for each task: what
 * is tested is what a cancel does around it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, OutboundMessage } from '../../src/lib/channel/port.ts';
import { VidbotError, throwIfAborted } from '../../src/lib/errors.ts';
import { createJobAbort } from '../../src/lib/queue/abort.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const clip = useOneClip('vidbot-cancel-clip-');

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
    expect(result.task).toMatchObject({ status: 'canceled', cancelRequested: true, error: 'Canceled.' });
    expect((await vidbot.queue.get(task.taskId))?.state).toBe('canceled');
    // Canceled by someone else than its user (an operator, the API): the user is told, rather than left waiting.
    expect(await vidbot.store.findOutbound({ taskId: task.taskId, kind: 'canceled' })).toMatchObject({
      to: 'whatsapp:+15550003333',
      body: '🛑 Canceled "a queued fox". Send a new description whenever you like.',
      status: 'delivered',
    });
    // Canceled by its user, whose own /cancel is answered by the bot: no second word.
    const { task: asked } = await vidbot.submitTask({ prompt: 'a second fox', from: 'whatsapp:+15550003333' });
    expect(await vidbot.cancelTask(asked.taskId, { userTold: true })).toMatchObject({ outcome: 'canceled', task: { error: 'Canceled by the user.' } });
    expect(await vidbot.store.findOutbound({ taskId: asked.taskId, kind: 'canceled' })).toBeNull();

    const worker = vidbot.startWorkers({ concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await worker.close();
    expect(calls).toEqual([]);
    expect((await vidbot.store.getTask(task.taskId))?.status).toBe('canceled');
  });

  it('tells the user first when a canceled task is tried again, then sends its video', async () => {
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider: clip.provider, compressor: clip.compressor } });
    cleanups.push(cleanup);
    const from = 'whatsapp:+15550003434';
    const { task } = await vidbot.submitTask({ prompt: 'a fox the operator wanted after all', from });
    await vidbot.cancelTask(task.taskId);
    await vidbot.retryTask(task.taskId);
    const worker = vidbot.startWorkers({ concurrency: 1 });
    cleanups.push(() => worker.close());
    await waitFor(async () => (await vidbot.store.getTask(task.taskId))?.status === 'done', 30_000);
    const said = await vidbot.store.listOutbound({ to: from, limit: 10 });
    const of = (kind: string) => said.filter((record) => record.kind === kind);
    expect(of('canceled')).toHaveLength(1);
    const [resumed, ...more] = of('resumed');
    expect(more).toEqual([]);
    expect(resumed).toMatchObject({ status: 'delivered', body: '🔄 Making "a fox the operator wanted after all" after all: I\'ll send it here when it\'s ready.' });
    const [result] = of('result');
    expect(result?.createdAt).toBeGreaterThanOrEqual(resumed?.updatedAt ?? Infinity);
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

  it('ends a task run outside the queue when its caller stops it: canceled, or failed with VIDBOT_TIMEOUT when its time ran out', async () => {
    const { provider, calls } = stuckProvider();
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider } });
    cleanups.push(cleanup);
    const { task: stopped } = await vidbot.createTask({ prompt: 'a fox its caller stopped' });
    const abort = new AbortController();
    const run = vidbot.runTask(stopped.taskId, { signal: abort.signal });
    await waitFor(async () => calls.length === 1);
    abort.abort();
    await expect(run).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
    // Not left queued with no job to take it: ended, and it can be tried again.
    expect(await vidbot.store.getTask(stopped.taskId)).toMatchObject({ status: 'canceled' });
    expect((await vidbot.retryTask(stopped.taskId)).status).toBe('queued');

    const { task: late } = await vidbot.createTask({ prompt: 'a fox out of time' });
    const error = await vidbot.runTask(late.taskId, { signal: AbortSignal.timeout(300) }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'VIDBOT_TIMEOUT', retryable: true, message: 'Timed out: the time its signal allowed ran out.' });
    expect(await vidbot.store.getTask(late.taskId)).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_TIMEOUT' });
    expect((await vidbot.retryTask(late.taskId)).status).toBe('queued');
  });

  it('ends a run of runTask when the vidbot closes, closes once however often it is called, and refuses calls after', async () => {
    const { provider, calls } = stuckProvider();
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider } });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a fox running when the lights went out' });
    const run = vidbot.runTask(task.taskId).catch((caught: unknown) => caught);
    await waitFor(async () => calls.length === 1);
    let firstClosed = false;
    const first = vidbot.close().then(() => (firstClosed = true));
    await vidbot.close();
    // The second call resolved only once the first had closed everything.
    expect(firstClosed).toBe(true);
    await first;
    expect(await run).toMatchObject({ code: 'VIDBOT_CANCELED' });
    // Its task ended before the store closed: not left processing.
    const reopened = await makeVidbot({ VIDBOT_DATA_DIR: vidbot.paths.dataDir });
    cleanups.push(reopened.cleanup);
    expect(await reopened.vidbot.store.getTask(task.taskId)).toMatchObject({ status: 'canceled' });
    // A call after close() is the caller's order gone wrong, said as such.
    await expect(vidbot.createTask({ prompt: 'too late' })).rejects.toMatchObject({
      code: 'VIDBOT_INVALID_ARGUMENT',
      message: 'This vidbot is closed: createTask cannot run after close().',
    });
    expect(() => vidbot.startWorkers()).toThrow('This vidbot is closed: startWorkers cannot run after close().');
  });

  it('refuses to run a canceled task until it is retried, then runs it here', async () => {
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider: clip.provider, compressor: clip.compressor } });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a fox run again' });
    await vidbot.cancelTask(task.taskId);
    // Before: it resolved with the canceled task, no file and no word of why.
    await expect(vidbot.runTask(task.taskId)).rejects.toMatchObject({
      code: 'VIDBOT_CONFLICT',
      message: `Task ${task.taskId} is canceled: a run does not start it again.`,
      hint: 'Retry it first (vidbot.retryTask(id) puts it back in line), then run it.',
    });
    expect((await vidbot.retryTask(task.taskId)).status).toBe('queued');
    const done = await vidbot.runTask(task.taskId);
    expect(done).toMatchObject({ status: 'done', filePath: expect.stringMatching(/\.mp4$/) });
  });

  it('leaves a finished task as it is, and rejects an unknown id', async () => {
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider: clip.provider, compressor: clip.compressor } });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a finished fox' });
    await vidbot.runTask(task.taskId);
    const result = await vidbot.cancelTask(task.taskId);
    expect(result).toMatchObject({ outcome: 'already-finished', task: { status: 'done' } });
    await expect(vidbot.cancelTask('no-such-task')).rejects.toMatchObject({ code: 'VIDBOT_TASK_NOT_FOUND' });
  });

  describe('a cancel that lands once the video is made', () => {
    /**
     * A channel whose videos wait until released, and stop when their signal fires (as an HTTP
     * client does); `fail` makes the released send fail as a channel out of reach does.
     */
    const holdingChannel = () => {
      const sends: Array<{ message: OutboundMessage; release: (fail?: boolean) => void; aborted: () => boolean }> = [];
      const channel: Channel = {
        name: 'holding',
        enforcesWindow: false,
        webhooks: [],
        // Only the video is held; what follows it (its buttons) goes at once.
        send: (message, options) =>
          message.mediaUrl === undefined && message.mediaFile === undefined
            ? Promise.resolve({ messageId: `SM-text-${Math.random().toString(36).slice(2)}`, status: 'delivered' })
            : new Promise((resolve, reject) => {
            const signal = options?.signal;
            const stop = () => reject(signal?.reason);
            signal?.addEventListener('abort', stop, { once: true });
            sends.push({
              message,
              aborted: () => signal?.aborted === true,
              release: (fail) => {
                signal?.removeEventListener('abort', stop);
                if (fail) reject(new VidbotError('VIDBOT_MESSENGER_FAILED', 'Could not reach the messenger (ECONNRESET).', { retryable: true, details: { ambiguous: false } }));
                else resolve({ messageId: `SM${sends.length}`, status: 'delivered' });
              },
            });
          }),
      };
      return { channel, sends };
    };

    it('fails a run outside the queue stopped while its video goes out, its video kept for a retry, rather than leave it delivering', async () => {
      const { channel, sends } = holdingChannel();
      const { vidbot, cleanup } = await makeVidbot({}, { overrides: { channel, provider: clip.provider, compressor: clip.compressor } });
      cleanups.push(cleanup);
      const { task } = await vidbot.createTask({ prompt: 'a fox stopped at the door', from: 'whatsapp:+15550006767' });
      const stop = new AbortController();
      const run = vidbot.runTask(task.taskId, { signal: stop.signal }).catch((caught: unknown) => caught);
      await waitFor(async () => sends.length === 1);
      stop.abort();
      expect(await run).toMatchObject({ code: 'VIDBOT_CANCELED' });
      const ended = await vidbot.store.getTask(task.taskId);
      expect(ended).toMatchObject({ status: 'failed' });
      expect(ended?.videoId).toBeDefined();
    });

    it('does not cut the delivery short: the video arrives, the task ends done, and no failure is told', async () => {
      const { channel, sends } = holdingChannel();
      const { vidbot, cleanup } = await makeVidbot({}, { overrides: { channel, provider: clip.provider, compressor: clip.compressor } });
      cleanups.push(cleanup);
      const { task } = await vidbot.submitTask({ prompt: 'a fox at the finish line', from: 'whatsapp:+15550005555' });
      // The job's signal, as the queue fires it when its check finds the cancel.
      const job = createJobAbort(task.jobId ?? task.taskId, 'lease');
      const run = vidbot.runTask(task.taskId, { signal: job.signal, attempt: 1, maxAttempts: 3 });
      const send = await waitFor(async () => sends[0], 30_000);
      expect((await vidbot.store.getTask(task.taskId))?.status).toBe('delivering');

      job.abort('cancel');
      expect(send.aborted()).toBe(false);
      send.release();
      const done = await run;
      expect(done).toMatchObject({ status: 'done', delivery: { status: 'delivered' } });
      expect(sends).toHaveLength(1);
      expect(await vidbot.store.findOutbound({ taskId: task.taskId, kind: 'failure' })).toBeNull();
    });

    it('still stops for a shutdown, whose job runs the delivery again', async () => {
      const { channel, sends } = holdingChannel();
      const { vidbot, cleanup } = await makeVidbot({}, { overrides: { channel, provider: clip.provider, compressor: clip.compressor } });
      cleanups.push(cleanup);
      const { task } = await vidbot.submitTask({ prompt: 'a fox at closing time', from: 'whatsapp:+15550005556' });
      const job = createJobAbort(task.jobId ?? task.taskId, 'lease');
      const run = vidbot.runTask(task.taskId, { signal: job.signal, attempt: 1, maxAttempts: 3 });
      const send = await waitFor(async () => sends[0], 30_000);
      job.abort('release');
      expect(send.aborted()).toBe(true);
      await expect(run).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
      expect((await vidbot.store.getTask(task.taskId))?.status).toBe('delivering');
    });

    it("stops for a shutdown that comes after the cancel, given the queue's stop signal", async () => {
      const { channel, sends } = holdingChannel();
      const { vidbot, cleanup } = await makeVidbot({}, { overrides: { channel, provider: clip.provider, compressor: clip.compressor } });
      cleanups.push(cleanup);
      const { task } = await vidbot.submitTask({ prompt: 'a fox at the last minute', from: 'whatsapp:+15550005557' });
      const job = createJobAbort(task.jobId ?? task.taskId, 'lease');
      const run = vidbot.runTask(task.taskId, { signal: job.signal, stopSignal: job.stopSignal, attempt: 1, maxAttempts: 3 });
      const send = await waitFor(async () => sends[0], 30_000);
      job.abort('cancel');
      expect(send.aborted()).toBe(false);
      job.abort('release');
      expect(send.aborted()).toBe(true);
      await expect(run).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
    });

    it('the sweep runs the delivery again under a new job when the canceled job left it undone', async () => {
      const { channel, sends } = holdingChannel();
      const { vidbot, cleanup } = await makeVidbot({}, { overrides: { channel, provider: clip.provider, compressor: clip.compressor } });
      cleanups.push(cleanup);
      const { task } = await vidbot.submitTask({ prompt: 'a kite in the last gust', from: 'whatsapp:+15550006666' });
      const jobId = task.jobId ?? task.taskId;
      const run = vidbot.runTask(task.taskId, { attempt: 1, maxAttempts: 3 });
      const first = await waitFor(async () => sends[0], 30_000);
      // The job ends canceled (a queue does not try again a job asked to cancel), its delivery undone.
      expect(await vidbot.queue.cancel(jobId)).toBe('canceled');
      first.release(true);
      await expect(run).rejects.toMatchObject({ code: 'VIDBOT_MESSENGER_FAILED' });
      expect((await vidbot.store.getTask(task.taskId))?.status).toBe('delivering');

      expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toMatchObject({ abandoned: 0, requeued: 1 });
      const worker = vidbot.startWorkers({ concurrency: 1 });
      cleanups.push(() => worker.close());
      const second = await waitFor(async () => sends[1], 30_000);
      second.release();
      const done = await waitFor(async () => {
        const latest = await vidbot.store.getTask(task.taskId);
        return latest?.status === 'done' ? latest : undefined;
      }, 10_000);
      expect(done.jobId).not.toBe(jobId);
      expect(await vidbot.store.findOutbound({ taskId: task.taskId, kind: 'failure' })).toBeNull();
    });
  });
});
