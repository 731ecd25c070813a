/**
 * The task lifecycle's own rules, on the embedded adapters: the state machine's moves, a task and
 * its job written together, the sweep mending what a crash left, receipts for messages not yet
 * recorded, and what /status says about each delivery state. Where a video is made, it is one clip,
 * rendered and compressed once and copied: what is tested is the task around it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { taskStateText } from '../../src/lib/bot/replies.ts';
import type { TaskDelivery, TaskStatus } from '../../src/lib/domain.ts';
import type { Channel } from '../../src/lib/channel/port.ts';
import { VidbotError } from '../../src/lib/errors.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { type Config, defaults } from '../../src/lib/config/settings.ts';
import { loadConfig } from '../../src/lib/config/load.ts';
import { createVidbot } from '../../src/lib/create-vidbot.ts';
import { locateFfmpeg } from '../../src/lib/ffmpeg/locate.ts';
import { MOVES, canMove } from '../../src/lib/tasks/machine.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const USER = 'whatsapp:+15550009999';

/** A channel that answers with ids the test chooses, so a receipt can name a message before it is sent. */
const scriptedChannel = (ids: string[]): Channel & { sent: string[] } => {
  const sent: string[] = [];
  return {
    name: 'scripted',
    enforcesWindow: false,
    webhooks: [],
    sent,
    async send(message) {
      sent.push(message.body ?? '');
      return { messageId: ids.shift() ?? `SM${sent.length}`, status: 'queued' };
    },
  };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
const clip = useOneClip('vidbot-lifecycle-clip-');
const vidbotWith = async (env: Record<string, string> = {}, channel?: Channel) => {
  const made = await makeVidbot(env, { overrides: { provider: clip.provider, compressor: clip.compressor, ...(channel ? { channel } : {}) } });
  cleanups.push(made.cleanup);
  return made.vidbot;
};

describe('the state machine', () => {
  it('writes each move once, and final states move only by a retry or a receipt', () => {
    expect(canMove('start', 'queued')).toBe(true);
    expect(canMove('accepted', 'processing')).toBe(false);
    for (const status of ['done', 'failed', 'canceled'] as TaskStatus[]) {
      const moves = Object.entries(MOVES).filter(([, move]) => (move.from as readonly TaskStatus[]).includes(status)).map(([name]) => name);
      expect(moves.every((name) => ['retry', 'undelivered', 'follow', 'arrived'].includes(name)), `${status}: ${moves.join(', ')}`).toBe(true);
    }
  });

  it('lets one of two racing actors move a task: a cancel and a worker start', async () => {
    const vidbot = await vidbotWith();
    const { task } = await vidbot.submitTask({ prompt: 'a fox', from: USER });
    const [canceled, started] = await Promise.all([
      vidbot.store.transitionTask(task.taskId, MOVES.cancel.from, { status: 'canceled' }),
      vidbot.store.transitionTask(task.taskId, MOVES.start.from, { status: 'processing' }),
    ]);
    expect([canceled, started].filter((t) => t !== null)).toHaveLength(1);
  });
});

describe('submitting', () => {
  it('writes the task and its job in one transaction on the embedded queue', async () => {
    const vidbot = await vidbotWith();
    const { task } = await vidbot.submitTask({ prompt: 'a fox', from: USER });
    expect(task.jobId).toBe(task.taskId);
    expect(await vidbot.queue.get(task.taskId)).toMatchObject({ state: 'waiting', data: { taskId: task.taskId }, group: USER });
    // A job that cannot be written takes its task with it: the queue is closed here.
    await vidbot.queue.close();
    await expect(vidbot.submitTask({ prompt: 'a boat', from: USER, taskId: 'T-lost' })).rejects.toThrow(/closed/);
    expect(await vidbot.store.getTask('T-lost')).toBeNull();
  });

  it("refuses a library caller's bad choices before anything is stored, as the CLI refuses bad flags", async () => {
    const vidbot = await vidbotWith();
    const refused = (input: Parameters<typeof vidbot.createTask>[0]) => vidbot.createTask(input).then(() => 'stored', (error: VidbotError) => `${error.code}: ${error.message}`);
    expect(await refused({ prompt: 'a fox', options: { durationSec: 0 } })).toBe('VIDBOT_INPUT_INVALID: durationSec must be a number of seconds from 1 to 60, got 0.');
    expect(await refused({ prompt: 'a fox', options: { durationSec: 500 } })).toMatch(/^VIDBOT_INPUT_INVALID: durationSec /);
    expect(await refused({ prompt: 'a fox', options: { durationSec: Number.NaN } })).toMatch(/^VIDBOT_INPUT_INVALID: durationSec /);
    // A fraction (the preview renders tenths) and null (JSON's none: the default) are fine.
    expect(await refused({ prompt: 'a fox', options: { durationSec: 2.5, orientation: null as unknown as 'portrait' } })).toBe('stored');
    expect(await refused({ prompt: 'a fox', options: { orientation: 'square' as 'portrait' } })).toBe('VIDBOT_INPUT_INVALID: orientation must be portrait or landscape, got "square".');
    expect(await refused({ prompt: 42 as unknown as string })).toBe('VIDBOT_INVALID_ARGUMENT: The prompt must be a string, got number.');
    expect(await refused({ prompt: 'a fox', options: { durationSec: 60, orientation: 'landscape' } })).toBe('stored');
    expect(await refused({ prompt: 'a fox', options: { polish: 'no' as unknown as boolean } })).toBe('VIDBOT_INPUT_INVALID: polish must be a boolean, got "no".');
    expect(await refused({ prompt: 'a fox', options: { model: 5 as unknown as string } })).toBe('VIDBOT_INPUT_INVALID: model must be a string, got 5.');
    expect(await refused({ prompt: 'a fox', options: { inputs: ['fps', 24] as unknown as Record<string, string> } })).toBe('VIDBOT_INPUT_INVALID: inputs must be a plain object, got ["fps",24].');
    expect(await refused(undefined as unknown as { prompt: string })).toBe("VIDBOT_INVALID_ARGUMENT: A task is asked for with an object such as { prompt: 'a fox in the snow' }, got undefined.");
    expect(await vidbot.store.countTasks()).toBe(2);
    // A call without a task id is the call's mistake, not the store's failing.
    for (const call of [() => vidbot.runTask(undefined as unknown as string), () => vidbot.cancelTask(''), () => vidbot.retryTask(7 as unknown as string)]) {
      await expect(call()).rejects.toMatchObject({ code: 'VIDBOT_INVALID_ARGUMENT', message: expect.stringMatching(/^A task id must be a non-empty string/) });
    }
    await expect(createVidbot(undefined as unknown as Config)).rejects.toMatchObject({ code: 'VIDBOT_INVALID_ARGUMENT', message: 'createVidbot needs a configuration.' });
    // Made by hand, or spread with a change: said by name before anything is opened.
    const n = Object.keys(defaults).length - 3;
    await expect(createVidbot({ dataDir: '/nowhere/vidbot' } as Config)).rejects.toMatchObject({
      code: 'VIDBOT_CONFIG_INVALID',
      message: `The configuration given to createVidbot lacks provider (VIDBOT_PROVIDER), polish (VIDBOT_POLISH), orientation (VIDBOT_ORIENTATION) and ${n} more.`,
    });
    const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: '/nowhere/vidbot' }, dotenv: false });
    await expect(createVidbot({ ...config, orientation: 'diagonal' } as unknown as Config)).rejects.toMatchObject({
      code: 'VIDBOT_CONFIG_INVALID',
      message: 'The configuration given to createVidbot has a bad value: orientation (VIDBOT_ORIENTATION) must be one of portrait, landscape, got "diagonal".',
    });
    await expect(createVidbot({ ...config, workerCount: '4' } as unknown as Config)).rejects.toMatchObject({ message: expect.stringContaining('workerCount (WORKER_COUNT) must be a number, got "4"') });
  });

  it('says a video on the local channel was not sent (no messenger is set up), not that it was delivered', async () => {
    const vidbot = await vidbotWith();
    const { task } = await vidbot.submitTask({ prompt: 'a fox kept here', from: USER });
    const notes: string[] = [];
    const done = await vidbot.runTask(task.taskId, { onEvent: (event) => void (event.type === 'stage:done' && event.stage === 'deliver' && notes.push(event.note ?? '')) });
    expect(done.delivery).toMatchObject({ channel: 'local', status: 'delivered' });
    expect(notes).toEqual(['not sent (no messenger set up)']);
  });

  it('uses the ffmpeg it is handed as it is, without a lookup of its own', async () => {
    const found = await locateFfmpeg();
    // A lookup would refuse this FFMPEG_BIN; binaries handed in are taken as found.
    const made = await makeVidbot({ FFMPEG_BIN: '/nowhere/ffmpeg' }, { ffmpeg: found });
    cleanups.push(made.cleanup);
    expect(made.vidbot.ffmpeg).toEqual(found);
    await expect(makeVidbot({ FFMPEG_BIN: '/nowhere/ffmpeg' })).rejects.toMatchObject({ code: 'VIDBOT_FFMPEG_NOT_FOUND' });
  });

  it('warns when a task queued for another provider is made by this process, and labels the video by who made it', async () => {
    const warnings: string[] = [];
    const made = await makeVidbot({}, { overrides: { provider: clip.provider, compressor: clip.compressor }, onWarning: (message) => void warnings.push(message) });
    cleanups.push(made.cleanup);
    const { vidbot } = made;
    // Queued by a web process with a Replicate key, taken by one without: this one renders the preview.
    const { task } = await vidbot.store.createTask({
      taskId: 'T-elsewhere',
      prompt: 'a lantern festival',
      sessionId: 'cli',
      from: '',
      options: { provider: 'replicate', orientation: 'portrait', durationSec: 1, polish: false, useCache: false },
    });
    const done = await vidbot.runTask(task.taskId);
    expect(done.generation).toMatchObject({ provider: 'local' });
    expect(warnings).toContain(
      'Task T-elsewhere was queued for replicate (by another process, or before the settings changed); this process makes videos with local. Give every process the same VIDBOT_PROVIDER and keys.',
    );
  });

  it('keeps tasks run by their creator (vidbot generate) away from the queue and the sweep', async () => {
    const vidbot = await vidbotWith();
    const { task } = await vidbot.createTask({ prompt: 'a fox' });
    expect(task.jobId).toBeUndefined();
    expect(await vidbot.queue.get(task.taskId)).toBeNull();
    expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toEqual({ requeued: 0, abandoned: 0, noticesSent: 0, receiptsForgotten: 0 });
    expect(await vidbot.queue.get(task.taskId)).toBeNull();
  });

  it("forgets, a day on, the receipts kept for messages no record came to hold (another app's, on the same number)", async () => {
    const vidbot = await vidbotWith();
    const outcome = await vidbot.applyReceipt({ messageId: 'SMnot-ours', status: 'delivered' });
    expect(outcome.kept).toBe(true);
    await vidbot.store.keepReceipt({ messageId: 'SMlong-ago', status: 'read', receivedAt: Date.now() - 25 * 60 * 60 * 1000 });
    expect((await vidbot.tasks.sweep()).receiptsForgotten).toBe(1);
    expect(await vidbot.store.takeReceipts('SMlong-ago')).toEqual([]);
    expect(await vidbot.store.takeReceipts('SMnot-ours')).toHaveLength(1);
  });
});

describe('a channel this process does not have', () => {
  it("fails the task for the operator, never answering on another channel (a simulated number would get a real message)", async () => {
    const channel = scriptedChannel([]);
    const vidbot = await vidbotWith({}, channel);
    const { task } = await vidbot.submitTask({ prompt: 'a fox who wrote on the simulator', from: USER, channel: 'simulator' });
    const worker = vidbot.startWorkers({ concurrency: 1 });
    cleanups.push(() => worker.close());
    const failed = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'failed' ? latest : undefined;
    }, 30_000);
    expect(failed.errorCode).toBe('VIDBOT_CONFIG_INVALID');
    expect(failed.error).toBe('It came through the simulator channel, which this process does not have (it answers on scripted): set that channel up where the workers run, then retry the task.');
    // Nothing made for it, nothing sent anywhere, and its job ended.
    expect(failed.videoId).toBeUndefined();
    expect(channel.sent).toEqual([]);
    expect(await vidbot.store.listOutbound({ limit: 10 })).toEqual([]);
    await waitFor(async () => (await vidbot.queue.get(task.jobId ?? ''))?.state === 'completed', 10_000);
  });

  it('lets the sweep end such a task whose job is gone, untold here, and go on to the others', async () => {
    const channel = scriptedChannel([]);
    const warnings: string[] = [];
    const made = await makeVidbot({}, { overrides: { channel }, onWarning: (message) => void warnings.push(message) });
    cleanups.push(made.cleanup);
    const { vidbot } = made;
    const { task: elsewhere } = await vidbot.submitTask({ prompt: 'a fox from the simulator', from: USER, channel: 'simulator' });
    expect(await vidbot.queue.cancel(elsewhere.jobId ?? '')).toBe('canceled');
    // A second open task whose job was lost: the sweep must still reach it.
    const { task: lost } = await vidbot.createTask({ prompt: 'a boat', from: USER });
    await vidbot.store.updateTask(lost.taskId, { jobId: lost.taskId });
    // And one whose job cannot be read just now: it is left for the next sweep, the others are not.
    const { task: unreadable } = await vidbot.submitTask({ prompt: 'a kite', from: USER });
    const queue = vidbot.queue as { get: typeof vidbot.queue.get };
    const read = queue.get.bind(vidbot.queue);
    queue.get = async (id) => {
      if (id === unreadable.jobId) throw new Error('Redis went away');
      return read(id);
    };

    // A cutoff a moment ahead: the tasks just written count as old enough.
    expect(await vidbot.tasks.sweep({ olderThanMs: -1000 })).toMatchObject({ abandoned: 1, requeued: 1 });
    expect(await vidbot.store.getTask(elsewhere.taskId)).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_JOB_ABANDONED' });
    expect(await vidbot.queue.get(lost.taskId)).toMatchObject({ state: 'waiting' });
    expect(warnings).toContainEqual(expect.stringContaining(`The sweep could not settle task ${unreadable.taskId}: Redis went away`));
    // Its notice is recorded for a process with that channel to send (this one's sweeps leave it alone).
    expect(channel.sent).toEqual([]);
    expect(await vidbot.store.findOutbound({ taskId: elsewhere.taskId, kind: 'failure' })).toMatchObject({ channel: 'simulator', status: 'pending' });
    await vidbot.tasks.sweep({ olderThanMs: -1000 });
    expect(channel.sent).toEqual([]);
    expect(await vidbot.store.findOutbound({ taskId: elsewhere.taskId, kind: 'failure' })).toMatchObject({ status: 'pending' });
    expect(warnings.some((warning) => warning.includes('No channel "simulator" is configured here'))).toBe(true);
  });
});

describe('the sweep on BullMQ', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it('adds the job of a task whose process died between the two writes, and the task is delivered', async () => {
    const vidbot = await vidbotWith({ REDIS_URL: redis.url });
    // As a crash after the store write and before the Redis one leaves it.
    const { task } = await vidbot.store.createTask({
      taskId: 'T-orphan',
      jobId: 'T-orphan',
      prompt: 'a lantern festival',
      sessionId: USER,
      from: USER,
      options: { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true },
    });
    expect(await vidbot.queue.get(task.taskId)).toBeNull();
    expect(await vidbot.tasks.sweep()).toMatchObject({ requeued: 0 });
    expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toMatchObject({ requeued: 1 });
    expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toMatchObject({ requeued: 0 });
    const worker = vidbot.startWorkers({ concurrency: 1 });
    const done = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'done' ? t : undefined;
    });
    await worker.close();
    expect(done.delivery?.status).toBe('delivered');
  });

  it('ends, telling the user, a task whose job is missing for longer than a finished job is kept, instead of running it twice', async () => {
    const vidbot = await vidbotWith({ REDIS_URL: redis.url });
    const { task } = await vidbot.store.createTask({
      taskId: 'T-ancient',
      jobId: 'T-ancient',
      prompt: 'a lantern festival',
      sessionId: USER,
      from: USER,
      options: { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true },
    });
    // Eight days on: longer than the queue keeps a finished job (7), so the job ran and was forgotten.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 8 * 24 * 3600 * 1000 });
    try {
      expect(await vidbot.tasks.sweep()).toMatchObject({ requeued: 0, abandoned: 1 });
    } finally {
      vi.useRealTimers();
    }
    expect(await vidbot.store.getTask(task.taskId)).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_JOB_ABANDONED' });
    expect(await vidbot.queue.get(task.taskId)).toBeNull();
  });

  it('runs again, under a new job, a task whose job completed while it stayed open', async () => {
    const vidbot = await vidbotWith({ REDIS_URL: redis.url });
    const { task } = await vidbot.submitTask({ prompt: 'a snow globe', from: USER });
    // A handler that returned without finishing the task (a crash between the two writes).
    const worker = vidbot.queue.work(async () => {}, { concurrency: 1 });
    await waitFor(async () => (await vidbot.queue.get(task.taskId))?.state === 'completed');
    await worker.close();
    expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toMatchObject({ requeued: 1 });
    const rerun = await vidbot.store.getTask(task.taskId);
    expect(rerun?.jobId).toBe(`${task.taskId}#2`);
    expect(await vidbot.queue.get(`${task.taskId}#2`)).toMatchObject({ state: 'waiting' });
  });
});

describe('the sweep, sending what never went out', () => {
  it('goes on past a send that fails (tried again at the next sweep), and drops an answer its task has outlived', async () => {
    const sent: string[] = [];
    let down = true;
    const flaky: Channel = {
      name: 'flaky',
      enforcesWindow: false,
      webhooks: [],
      async send(message) {
        if (down) {
          down = false;
          throw new VidbotError('VIDBOT_MESSENGER_FAILED', 'Could not reach the messenger (ECONNREFUSED).', { retryable: true, details: { ambiguous: false } });
        }
        sent.push(message.body ?? '');
        return { messageId: `SM${sent.length}`, status: 'queued' };
      },
    };
    const vidbot = await vidbotWith({}, flaky);
    const pending = async (task: Task, kind: string, body: string) =>
      vidbot.store.recordOutbound({ id: `${task.taskId}:${kind}`, kind, to: USER, body, taskId: task.taskId, channel: 'flaky', status: 'pending' });
    const open = (await vidbot.submitTask({ prompt: 'a fox', from: USER })).task;
    const ended = (await vidbot.submitTask({ prompt: 'a boat', from: USER })).task;
    const told = (await vidbot.submitTask({ prompt: 'a kite', from: USER })).task;
    await pending(open, 'reply', 'Generating your fox...');
    await pending(ended, 'reply', 'Generating your boat...');
    await pending(told, 'failure', 'Sorry, the kite failed.');
    await waitFor(async () => (await vidbot.store.listOutbound({ status: 'pending', limit: 10 })).length === 3);
    // The boat's task ended after its answer was recorded (and never sent): that answer is news no more.
    for (const task of [ended, told]) await vidbot.store.transitionTask(task.taskId, ['queued'], { status: 'failed', finishedAt: Date.now() + 1 });
    // The comet's failure was told while the channel was down; a retry then got its video through.
    const retried = (await vidbot.submitTask({ prompt: 'a comet', from: USER })).task;
    await pending(retried, 'failure', 'Sorry, the comet failed.');
    await vidbot.store.transitionTask(retried.taskId, ['queued'], { status: 'done', finishedAt: Date.now() + 1 });
    await waitFor(async () => (await vidbot.store.listOutbound({ status: 'pending', limit: 10 })).length === 4);

    const first = await vidbot.tasks.sweep({ olderThanMs: 0 });
    expect(first.noticesSent).toBe(1);
    const second = await vidbot.tasks.sweep({ olderThanMs: 0 });
    expect(second.noticesSent).toBe(1);
    expect(sent.sort()).toEqual(['Generating your fox...', 'Sorry, the kite failed.']);
    expect(await vidbot.store.findOutbound({ id: `${ended.taskId}:reply` })).toMatchObject({ status: 'failed', errorCode: 'not-sent' });
    expect(await vidbot.store.findOutbound({ id: `${retried.taskId}:failure` })).toMatchObject({ status: 'failed', errorCode: 'not-sent' });
    expect((await vidbot.tasks.sweep({ olderThanMs: 0 })).noticesSent).toBe(0);

    // A notice the channel could not take for a whole day is news no more either.
    await pending(told, 'undelivered', 'Sorry, the kite never came.');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
      expect((await vidbot.tasks.sweep({ olderThanMs: 0 })).noticesSent).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(await vidbot.store.findOutbound({ id: `${told.taskId}:undelivered` })).toMatchObject({ status: 'failed', errorCode: 'not-sent' });
    expect(sent).toHaveLength(2);
  });
});

describe('the sweep, a cancel\'s word and its running again', () => {
  it('sends each left pending while it is still true, and drops the one its task has outlived', async () => {
    const sent: string[] = [];
    const channel: Channel = {
      name: 'steady',
      enforcesWindow: false,
      webhooks: [],
      async send(message) {
        sent.push(message.body ?? '');
        return { messageId: `SM${sent.length}`, status: 'queued' };
      },
    };
    const vidbot = await vidbotWith({}, channel);
    const left = async (status: TaskStatus, kind: string, body: string) => {
      const { task } = await vidbot.submitTask({ prompt: body, from: USER });
      if (status !== 'queued') await vidbot.store.transitionTask(task.taskId, ['queued'], { status, finishedAt: Date.now() });
      await vidbot.store.recordOutbound({ id: `${task.taskId}:${kind}`, kind, to: USER, body, taskId: task.taskId, channel: 'steady', status: 'pending' });
      return task;
    };
    await left('canceled', 'canceled', 'canceled, still canceled');
    const runsAgain = await left('queued', 'canceled', 'canceled, then tried again');
    await left('queued', 'resumed', 'tried again, still on its way');
    const made = await left('done', 'resumed', 'tried again, and made');
    const going = await left('delivering', 'resumed', 'tried again, its video on its way');
    // The sweep takes what was last changed before now: a millisecond on.
    const recorded = Date.now();
    await waitFor(async () => Date.now() > recorded);
    expect((await vidbot.tasks.sweep({ olderThanMs: 0 })).noticesSent).toBe(2);
    expect(sent.sort()).toEqual(['canceled, still canceled', 'tried again, still on its way']);
    for (const { taskId, kind } of [{ taskId: runsAgain.taskId, kind: 'canceled' }, { taskId: made.taskId, kind: 'resumed' }, { taskId: going.taskId, kind: 'resumed' }]) {
      expect(await vidbot.store.findOutbound({ id: `${taskId}:${kind}` })).toMatchObject({ status: 'failed', errorCode: 'not-sent' });
    }
  });
});

describe('receipts', () => {
  it('keeps a receipt for a message no record holds yet, and applies it when the record gets that id', async () => {
    const channel = scriptedChannel(['SMlate']);
    const vidbot = await vidbotWith({}, channel);
    // Twilio's callback beat everything, and named no record (a message sent before `ref` existed).
    expect(await vidbot.applyReceipt({ messageId: 'SMlate', status: 'read' })).toEqual({ applied: false, kept: true });
    const { task } = await vidbot.submitTask({ prompt: 'a paper plane', from: USER });
    const worker = vidbot.startWorkers({ concurrency: 1 });
    const done = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'done' ? t : undefined;
    });
    await worker.close();
    expect(done.delivery).toMatchObject({ messageId: 'SMlate', status: 'read' });
    expect(await vidbot.store.takeReceipts('SMlate')).toEqual([]);
    // Late and stale receipts change nothing; a failure cannot overrule the phone's "read".
    expect(await vidbot.applyReceipt({ messageId: 'SMlate', status: 'delivered' })).toMatchObject({ applied: false });
    expect(await vidbot.applyReceipt({ messageId: 'SMlate', status: 'failed', errorCode: '30008' })).toMatchObject({ applied: false });
    // The result once; the phone had read it, so the offer of another version followed it.
    expect(channel.sent).toHaveLength(2);
    expect(channel.sent[1]).toBe('🎬 Want another version?');
  });
});

describe('a video resent after a failure the user was never told of', () => {
  it('comes as the video, not as "it worked this time": the offer that followed it the first time told no failure', async () => {
    // An ordered channel offers another version as soon as the video is taken (the simulator; Meta's waits for "delivered").
    const sent: string[] = [];
    const channel: Channel = {
      name: 'ordered',
      enforcesWindow: false,
      ordered: true,
      webhooks: [],
      async send(message) {
        sent.push(message.body ?? '');
        return { messageId: `wamid.${sent.length}`, status: 'sent' };
      },
      // Outside the window, with no template to fall back on: failed, and the user cannot be told.
      refusalKind: (code) => (code === '131047' ? 'window' : 'other'),
    };
    const vidbot = await vidbotWith({}, channel);
    const worker = vidbot.startWorkers({ concurrency: 1 });
    const { task } = await vidbot.submitTask({ prompt: 'a paper plane', from: USER });
    await waitFor(async () => sent.length === 2);
    expect(sent[1]).toBe('🎬 Want another version?');
    const failed = await vidbot.applyReceipt({ messageId: 'wamid.1', status: 'failed', errorCode: '131047' });
    expect(failed.task).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_DELIVERY_REFUSED' });
    expect(sent).toHaveLength(2);
    // The operator sends it again (the dashboard's r): the user sees their video, with no word of a failure they never heard of.
    await vidbot.retryTask(task.taskId);
    await waitFor(async () => sent.length >= 3);
    await worker.close();
    expect(sent[2]).toMatch(/^✅ Here's your video! \(a quick preview, not AI\)/);
  });
});

describe('what /status says', () => {
  const base = { taskId: 't', prompt: 'a fox', sessionId: USER, from: USER, attempts: 1, createdAt: 1, updatedAt: 1 } as const;
  const task = (status: TaskStatus, over: Partial<Task> = {}): Task =>
    ({ ...base, status, options: { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true }, ...over }) as Task;
  const delivery = (status: TaskDelivery['status'], over: Partial<TaskDelivery> = {}): TaskDelivery => ({
    status,
    attempt: 1,
    outboundId: 't:result:1',
    channel: 'twilio',
    updatedAt: 1,
    ...over,
  });

  it.each([
    [task('delivering', { delivery: delivery('pending') }), '📤 sending it to you'],
    [task('delivering', { delivery: delivery('failed', { rounds: 2 }) }), "📤 ready, but it couldn't be sent yet: trying again"],
    [task('done', { delivery: delivery('queued') }), '📤 sent'],
    [task('done', { delivery: delivery('sent', { fallback: 'link' }) }), '📤 sent as a link'],
    [task('done', { delivery: delivery('delivered') }), '✅ delivered'],
    [task('done', { delivery: delivery('read') }), '👀 seen'],
    [task('done'), '✅ done'],
    // Kept by the local channel, which sends nothing: not "delivered".
    [task('done', { delivery: delivery('delivered', { channel: 'local' }) }), '✅ done'],
    [task('failed', { videoId: 'v', delivery: delivery('failed', { errorCode: '63016' }), errorCode: 'VIDBOT_DELIVERY_REFUSED' }), "⚠️ made, but it couldn't be delivered"],
  ])('%#: %s', (given, text) => {
    expect(taskStateText(given, null)).toBe(text);
  });

  it('tells why a video was not made in words for the user, never the operator\'s', () => {
    const text = taskStateText(task('failed', { error: 'Replicate rejected REPLICATE_API_TOKEN (401)', errorCode: 'VIDBOT_PROVIDER_AUTH' }), null);
    expect(text).toMatch(/^❌ failed: /);
    expect(text).not.toMatch(/REPLICATE|401|VIDBOT_/);
    expect(taskStateText(task('failed', { error: 'x', errorCode: 'VIDBOT_JOB_ABANDONED' }), null)).toContain('something went wrong on my side');
  });
});
