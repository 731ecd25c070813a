/**
 * Long jobs, through the real server and worker with the loopback Twilio fake: a user who has waited
 * VIDBOT_PROGRESS_AFTER_SEC gets one short message with the time left, recorded like every message,
 * and never a second one, however long the job runs on or however often it is tried again. The task
 * carries how far it has got, and /status says it.
 */
import { describe, expect, it } from 'vitest';
import { vidbotError } from '../../src/lib/errors.ts';
import type { Task } from '../../src/lib/store/port.ts';
import type { LifecycleDeps } from '../../src/lib/tasks/deps.ts';
import { watchRun } from '../../src/lib/tasks/progress.ts';
import { timeLeft } from '../../src/lib/tasks/progress-notice.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15557650002';

// The video at the end of each slow job: one clip of the local renderer, rendered and compressed once and copied.
const clip = useOneClip('vidbot-progress-clip-');

interface SlowPlan {
  /** How long each attempt works before rendering (for its prompt), reporting its percent as it goes (when `percent`). */
  readonly workMs: number | ((prompt: string) => number);
  readonly percent?: boolean;
  /** The first attempt ends in a failure after its work: one the queue retries, or a final one. */
  readonly failFirst?: 'retryable' | 'final';
}

/** A provider that takes its time, as Replicate does: a model at work, then the local renderer. */
const slowProvider = (local: VideoProvider, plan: SlowPlan): VideoProvider & { attempts: number } => {
  const provider = {
    ...local,
    attempts: 0,
    generate: async (request: Parameters<VideoProvider['generate']>[0], options: Parameters<VideoProvider['generate']>[1]) => {
      provider.attempts += 1;
      const started = Date.now();
      const workMs = typeof plan.workMs === 'number' ? plan.workMs : plan.workMs(request.prompt);
      while (Date.now() - started < workMs) {
        if (options.signal?.aborted) throw vidbotError('VIDBOT_CANCELED', 'Canceled.');
        if (plan.percent !== false) options.onProgress?.({ percent: Math.round(20 + (60 * (Date.now() - started)) / workMs), message: 'processing' });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (plan.failFirst === 'retryable' && provider.attempts === 1) throw vidbotError('VIDBOT_PROVIDER_FAILED', 'The model is overloaded.');
      if (plan.failFirst === 'final' && provider.attempts === 1) throw vidbotError('VIDBOT_GENERATION_FAILED', 'The prediction failed.');
      return local.generate(request, options);
    },
  };
  return provider;
};

const progressMessages = (b: TestBot) => b.fake.messages.filter((m) => m.body?.includes('Still working on'));

describe('the progress message of a long job', () => {
  const bot = useBots();

  const ask = async (b: TestBot, prompt: string) => {
    await b.say(USER, prompt);
    const [task] = await b.vidbot.store.listTasks({ from: USER, limit: 1 });
    if (!task) throw new Error('no task was created');
    return task;
  };

  it('is sent once, recorded, with the time left, before the video, however long the job runs on; /status shows the percent', async () => {
    const provider = slowProvider(clip.provider, { workMs: 6_000 });
    // The threshold counts from the message (the user's wait): it must pass once the model has said how far it
    // got, or there is no time left to tell. 3 s leaves a loaded machine the time to start the job.
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: '3' }, { overrides: { provider, compressor: clip.compressor } });
    const task = await ask(b, 'a lighthouse in a storm, waves crashing over the rocks');

    const running = await waitFor(async () => {
      const t = await b.vidbot.store.getTask(task.taskId);
      return t?.status === 'processing' && t.stage === 'generate' && (t.progress ?? 0) > 5 ? t : undefined;
    });
    expect(running.progress).toBeLessThan(100);
    expect(await b.say(USER, '/status')).toMatch(/⚙️ in progress \(generating the video, \d+%\)/);

    const done = await b.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', progress: 100 });
    // The job ran past the threshold several times over: still one message, then the video.
    expect(progressMessages(b)).toHaveLength(1);
    expect(b.fake.messages.map((m) => (m.mediaUrls.length > 0 ? 'video' : 'progress'))).toEqual(['progress', 'video']);
    const [progress] = progressMessages(b);
    // With the time left, from the model's percent. On a machine so loaded that the job started after
    // the threshold, the notice waits half of it into the run, and may still come before any percent.
    const withTime = /^🎬 Still working on "a lighthouse in a storm, waves crashing…", (under a minute|about \d+ min) left\.$/;
    const without = /^🎬 Still working on "a lighthouse in a storm, waves crashing…"; I'll send it here as soon as it's ready\.$/;
    const startedLate = (done.startedAt ?? 0) - task.createdAt > 3_000;
    if (startedLate) expect([withTime.test(progress?.body ?? ''), without.test(progress?.body ?? '')]).toContain(true);
    else expect(progress?.body).toMatch(withTime);
    const record = await b.vidbot.store.findOutbound({ id: `${task.taskId}:progress` });
    expect(record).toMatchObject({ kind: 'progress', taskId: task.taskId, messageId: progress?.sid, to: USER });
    expect(b.warnings).toEqual([]);
  });

  it('is not sent again when the queue tries the job again', async () => {
    const provider = slowProvider(clip.provider, { workMs: 2_000, failFirst: 'retryable' });
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: '1' }, { overrides: { provider, compressor: clip.compressor } });
    const task = await ask(b, 'a paper lantern drifting over a lake');
    const done = await b.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', attempts: 2 });
    expect(provider.attempts).toBe(2);
    const [progress] = progressMessages(b);
    // Sent during the first attempt; the second, already past the threshold at its start, sent none.
    expect(progress?.dateCreated.getTime()).toBeLessThan(done.startedAt ?? 0);
    expect(progressMessages(b)).toHaveLength(1);
    expect((await b.vidbot.store.listOutbound({ taskId: task.taskId })).map((m) => m.kind).sort()).toEqual(['progress', 'result']);
  });

  it('is not sent again when the operator retries the task', async () => {
    const provider = slowProvider(clip.provider, { workMs: 2_000, failFirst: 'final' });
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: '1' }, { overrides: { provider, compressor: clip.compressor } });
    const task = await ask(b, 'a paper lantern drifting over a lake');
    expect((await b.until(task.taskId, 'failed')).errorCode).toBe('VIDBOT_GENERATION_FAILED');
    await b.fake.waitForMessages(2);
    const retried = await b.app.inject({ method: 'POST', url: `/api/tasks/${task.taskId}/retry` });
    expect(retried.statusCode).toBe(202);
    // A new job: it runs past the threshold again, and the user hears nothing but the video.
    const done = await b.until(task.taskId, 'done');
    expect(provider.attempts).toBe(2);
    expect((done.finishedAt ?? 0) - (done.startedAt ?? 0)).toBeGreaterThan(2_000);
    const kinds = b.fake.messages.map((m) => (m.mediaUrls.length > 0 ? 'video' : m.body?.startsWith('🎬 Still') ? 'progress' : 'failure'));
    expect(kinds).toEqual(['progress', 'failure', 'video']);
  });

  it('sends none for a video that waited in line behind the same user\'s other one and then comes quickly', async () => {
    const provider = slowProvider(clip.provider, { workMs: (prompt) => (prompt.includes('long') ? 5_000 : 200) });
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: '4' }, { overrides: { provider, compressor: clip.compressor } });
    const long = await ask(b, 'a long one: a lighthouse in a storm');
    const quick = await ask(b, 'a quick one: a paper boat');
    // One job of a sender at a time: the quick one starts past its threshold, and runs for less than half of it.
    const done = await b.until(quick.taskId, 'done', 'failed');
    expect(done.startedAt ?? 0).toBeGreaterThan(quick.createdAt + 4_000);
    expect(progressMessages(b).map((m) => m.body)).toEqual([expect.stringContaining('a long one')]);
    expect(await b.vidbot.store.findOutbound({ id: `${quick.taskId}:progress` })).toBeNull();
    expect((await b.vidbot.store.getTask(long.taskId))?.status).toBe('done');
  });

  it('says kindly that it is still working when nothing tells how long is left', async () => {
    const provider = slowProvider(clip.provider, { workMs: 2_500, percent: false });
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: '1' }, { overrides: { provider, compressor: clip.compressor } });
    const task = await ask(b, 'a kite in the wind');
    await b.until(task.taskId, 'done', 'failed');
    const [progress] = progressMessages(b);
    // The first job of this bot: no usual to be longer than.
    expect(progress?.body).toBe(`🎬 Still working on "a kite in the wind"; I'll send it here as soon as it's ready.`);
    expect(progressMessages(b)).toHaveLength(1);
  });

  it.each([
    ['a job done before the threshold', '30', 1_500],
    ['a slow job with the message turned off (0)', '0', 2_500],
  ])('is not sent for %s', async (_name, after, workMs) => {
    const provider = slowProvider(clip.provider, { workMs });
    const b = await bot({ VIDBOT_PROGRESS_AFTER_SEC: after }, { overrides: { provider, compressor: clip.compressor } });
    const task = await ask(b, 'a fox in the snow');
    expect((await b.until(task.taskId, 'done', 'failed')).status).toBe('done');
    expect(b.fake.messages).toHaveLength(1);
    expect(b.fake.messages[0]?.mediaUrls).toHaveLength(1);
    expect(await b.vidbot.store.findOutbound({ id: `${task.taskId}:progress` })).toBeNull();
  });
});

describe('how long a running task has left', () => {
  const now = 1_000_000;
  const running = { startedAt: now - 30_000 } as Task;
  /** A store whose done tasks took `seconds` each (none when empty). */
  const history = (...seconds: number[]) => ({
    store: { listTasks: async () => seconds.map((s) => ({ startedAt: 0, finishedAt: s * 1000 }) as Task) },
  });

  it('goes by what recent jobs took, then by the job\'s own percent, and says when it cannot tell', async () => {
    expect(await timeLeft(history(40, 60), running, 0, now)).toEqual({ seconds: 20 });
    // Past the usual: the percent tells, once it is a real share of the work.
    expect(await timeLeft(history(20), running, 50, now)).toEqual({ seconds: 30 });
    expect(await timeLeft(history(20), running, 5, now)).toEqual({ beyond: 'usual' });
    // No job finished yet: nothing to call it longer than.
    expect(await timeLeft(history(), running, 0, now)).toEqual({ beyond: 'nothing-to-go-by' });
  });
});

describe('the progress message once the video is made', () => {
  it('is not sent while the made video is compressed, uploaded and sent: it would arrive just before it', async () => {
    const { vidbot, cleanup } = await makeVidbot({ VIDBOT_PROGRESS_AFTER_SEC: '0' });
    try {
      const deps = { ...vidbot, progressAfterMs: 200 } as unknown as LifecycleDeps;
      const typing = { possible: false, show: async () => {} };
      const running = async (prompt: string) => {
        const { task } = await vidbot.createTask({ prompt, from: USER });
        return (await vidbot.store.transitionTask(task.taskId, ['queued'], { status: 'processing', startedAt: Date.now() })) ?? task;
      };
      const made = await running('a heron at dawn, its video made');
      const making = await running('a heron at dusk, still being made');
      const madeWatch = watchRun(deps, made, { typing });
      for (const event of [{ type: 'stage:start', stage: 'generate' }, { type: 'stage:done', stage: 'generate', durationMs: 5 }, { type: 'stage:start', stage: 'compress' }] as const) madeWatch.onEvent(event);
      // Started after, with the same wait: once its notice is out, the other's moment has passed too.
      const makingWatch = watchRun(deps, making, { typing });
      makingWatch.onEvent({ type: 'stage:start', stage: 'generate' });
      await waitFor(async () => vidbot.store.findOutbound({ id: `${making.taskId}:progress` }));
      expect(await vidbot.store.findOutbound({ id: `${made.taskId}:progress` })).toBeNull();
      await Promise.all([madeWatch.stop(), makingWatch.stop()]);
    } finally {
      await cleanup();
    }
  });
});
