import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { VidbotError, vidbotError } from '../../src/lib/errors.ts';
import type { PipelineEvent } from '../../src/lib/pipeline/events.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const probe = async (file: string) => {
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
  return JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; pix_fmt?: string; width?: number }[] };
};

describe('runTask with the embedded adapters', () => {
  it('renders, compresses, publishes and records a task, emitting every stage in order', async () => {
    const { vidbot, cleanup } = await makeVidbot({ PUBLIC_BASE_URL: 'https://bot.example.test' });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: '  a fox running through a neon city at night ' });
    expect(task.prompt).toBe('a fox running through a neon city at night');
    const events: PipelineEvent[] = [];
    const done = await vidbot.runTask(task.taskId, { onEvent: (e) => events.push(e) });

    const starts = events.filter((e) => e.type === 'stage:start').map((e) => e.stage);
    expect(starts).toEqual(['polish', 'generate', 'compress', 'publish']);
    expect(events.some((e) => e.type === 'stage:progress' && e.stage === 'generate' && e.percent === 100)).toBe(true);
    expect(done.status).toBe('done');
    expect(done.filePath).toBeTruthy();
    expect(done.videoUrl).toMatch(/^https:\/\/bot\.example\.test\/media\/[A-Za-z0-9_-]{22}\.mp4$/);
    const info = await probe(done.filePath ?? '');
    expect(info.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const videos = await vidbot.store.listVideos();
    expect(videos).toHaveLength(1);
    expect(videos[0]?.taskId).toBe(task.taskId);
  });

  it('serves the same prompt from the cache, ignoring case, spacing and punctuation', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    cleanups.push(cleanup);
    const first = await vidbot.createTask({ prompt: 'A paper boat in the rain' });
    await vidbot.runTask(first.task.taskId);
    const second = await vidbot.createTask({ prompt: 'a paper   boat, in the rain!' });
    const events: PipelineEvent[] = [];
    const done = await vidbot.runTask(second.task.taskId, { onEvent: (e) => events.push(e) });
    expect(done.cacheHit).toBe(true);
    // The cached copy is the compressor's own output for this limit: it is published as it is.
    expect(events.filter((e) => e.type === 'stage:start').map((e) => e.stage)).toEqual(['publish']);
    expect(events).toContainEqual({ type: 'stage:skip', stage: 'compress', reason: 'the cached copy already fits' });
    const [hit, made] = await vidbot.store.listVideos();
    expect([hit?.taskId, hit?.sizeBytes, hit?.durationSec, hit?.width]).toEqual([second.task.taskId, made?.sizeBytes, made?.durationSec, made?.width]);
    const third = await vidbot.createTask({ prompt: 'a paper boat in the rain', options: { useCache: false } });
    expect((await vidbot.runTask(third.task.taskId)).cacheHit).toBe(false);
    const landscape = await vidbot.createTask({ prompt: 'a paper boat in the rain', options: { orientation: 'landscape' } });
    expect((await vidbot.runTask(landscape.task.taskId)).cacheHit).toBe(false);
  });

  it("keys the cache on emoji too: one user's emoji prompt does not get another's video", async () => {
    const { vidbot, cleanup } = await makeVidbot({ VIDBOT_VIDEO_SECONDS: '1' });
    cleanups.push(cleanup);
    const run = async (prompt: string) => vidbot.runTask((await vidbot.createTask({ prompt })).task.taskId);
    await run('🐶🌧️');
    // Before, every emoji was a separator: these all keyed the empty prompt, and got the first one's video.
    expect((await run('😂')).cacheHit).toBe(false);
    // The same emoji, with or without its presentation selector, is the same prompt (text beside emoji: cache-key.test.ts).
    expect((await run('🐶 🌧')).cacheHit).toBe(true);
  });

  it('compresses a cached video again for another size limit', async () => {
    const first = await makeVidbot();
    cleanups.push(first.cleanup);
    await first.vidbot.runTask((await first.vidbot.createTask({ prompt: 'a kite over the dunes' })).task.taskId);
    await first.vidbot.close();
    // The same data, served with a smaller limit than the copy was made for.
    const smaller = await makeVidbot({ VIDBOT_DATA_DIR: first.dataDir, WHATSAPP_MAX_BYTES: '5000000' });
    cleanups.push(smaller.cleanup);
    const events: PipelineEvent[] = [];
    const done = await smaller.vidbot.runTask((await smaller.vidbot.createTask({ prompt: 'a kite over the dunes' })).task.taskId, { onEvent: (e) => events.push(e) });
    expect(done.cacheHit).toBe(true);
    expect(events.filter((e) => e.type === 'stage:start').map((e) => e.stage)).toEqual(['compress', 'publish']);
  });

  it('marks the task canceled when it is canceled mid-run, and leaves no scratch files', async () => {
    const { vidbot, cleanup } = await makeVidbot({ VIDBOT_VIDEO_SECONDS: '20' });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a long slow sunrise' });
    const controller = new AbortController();
    const run = vidbot.runTask(task.taskId, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'stage:start' && e.stage === 'generate') {
          void vidbot.store.updateTask(task.taskId, { cancelRequested: true }).then(() => controller.abort());
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
    expect((await vidbot.store.getTask(task.taskId))?.status).toBe('canceled');
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(vidbot.paths.work)).toEqual([]);
  });

  it('retries a failed task on request: the sender gets the failure notice, then the video', async () => {
    let broken = true;
    const { vidbot: probe, cleanup: probeCleanup } = await makeVidbot();
    const local = probe.provider;
    await probeCleanup();
    const sometimes: VideoProvider = {
      ...local,
      name: 'sometimes',
      generate: async (request, options) => {
        if (broken) throw vidbotError('VIDBOT_GENERATION_FAILED', 'flagged', { details: { refusal: 'content' } });
        return local.generate(request, options);
      },
    };
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider: sometimes } });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a lighthouse at dusk', from: 'whatsapp:+15550002222' });
    await expect(vidbot.runTask(task.taskId)).rejects.toMatchObject({ code: 'VIDBOT_GENERATION_FAILED' });
    broken = false;
    const queued = await vidbot.retryTask(task.taskId);
    expect(queued).toMatchObject({ status: 'queued', attempts: 0 });
    expect(queued.error).toBeUndefined();
    const done = await vidbot.runTask(task.taskId);
    expect(done.status).toBe('done');
    const sent = await vidbot.store.listOutbound({ taskId: task.taskId });
    // The failure notice, then the video and the offer of another version that follows it.
    expect(sent.map((m) => m.kind).sort()).toEqual(['choices', 'failure', 'result']);
    // Told it failed, then given the video: the video says so.
    expect(sent.find((m) => m.kind === 'failure')?.body).toContain('the video model turned that description down');
    expect(sent.find((m) => m.kind === 'result')?.body).toMatch(/^✅ It worked this time: here is your video!/);
    await expect(vidbot.retryTask(task.taskId)).rejects.toMatchObject({ code: 'VIDBOT_CONFLICT' });
  });

  it('keeps a retryable failure queued until the last attempt, then fails it and tells the sender once', async () => {
    const flaky: VideoProvider = {
      name: 'flaky',
      defaultModel: 'flaky-1',
      capabilities: () => ({ imageToVideo: false, ai: true }),
      generate: async () => {
        throw vidbotError('VIDBOT_PROVIDER_FAILED', 'The model is overloaded.');
      },
    };
    const { vidbot, cleanup } = await makeVidbot({}, { overrides: { provider: flaky } });
    cleanups.push(cleanup);
    const { task } = await vidbot.createTask({ prompt: 'a cat playing piano in space', from: 'whatsapp:+15550001111' });
    await expect(vidbot.runTask(task.taskId, { attempt: 1, maxAttempts: 2 })).rejects.toBeInstanceOf(VidbotError);
    expect((await vidbot.store.getTask(task.taskId))?.status).toBe('queued');
    expect(await vidbot.store.listOutbound({ taskId: task.taskId })).toEqual([]);

    await expect(vidbot.runTask(task.taskId, { attempt: 2, maxAttempts: 2 })).rejects.toMatchObject({
      code: 'VIDBOT_PROVIDER_FAILED',
    });
    const failed = await vidbot.store.getTask(task.taskId);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_PROVIDER_FAILED', error: 'The model is overloaded.' });
    const sent = await vidbot.store.listOutbound({ taskId: task.taskId });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toContain('the video service is busy or having trouble. Please try again in a few minutes.');
    expect(sent[0]?.body).not.toContain('overloaded');
  });

  it('delivers a queued task through the workers to the sender exactly once', async () => {
    const { vidbot, cleanup } = await makeVidbot({ PUBLIC_BASE_URL: 'https://bot.example.test' });
    cleanups.push(cleanup);
    const from = 'whatsapp:+15550002222';
    const { task } = await vidbot.submitTask({ prompt: 'ocean waves at dawn', from, messageId: 'SM0001' });
    const again = await vidbot.submitTask({ prompt: 'ocean waves at dawn', from, messageId: 'SM0001' });
    expect(again.created).toBe(false);
    expect(again.task.taskId).toBe(task.taskId);
    const worker = vidbot.startWorkers({ concurrency: 2 });
    const done = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'done' ? t : undefined;
    });
    await worker.close();
    // Running it again (as after a crash) must not send a second message.
    await vidbot.runTask(task.taskId);
    const sent = await vidbot.store.listOutbound({ to: from });
    expect(sent.map((m) => m.kind).sort()).toEqual(['choices', 'result']);
    expect(sent.find((m) => m.kind === 'result')).toMatchObject({ mediaUrl: done.videoUrl, status: 'delivered' });
    expect(await vidbot.store.listVideos()).toHaveLength(1);
  });
});
