/**
 * A made video whose channel cannot be reached is sent again in rounds (new jobs, later), so a blip
 * of a few seconds does not fail it; once the time allowed is up the task ends undelivered and the
 * user is told, that notice too waiting for the channel to come back. A failure that may have
 * reached the user is not sent round after round, unless the channel can tell first whether it did.
 * The video is one clip, rendered and compressed once and copied for each task: what is tested is
 * its delivery.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/lib/channel/port.ts';
import { VidbotError } from '../../src/lib/errors.ts';
import { createChannelSet } from '../../src/lib/channel/set.ts';
import type { Task } from '../../src/lib/store/port.ts';
import type { LateDelivery } from '../../src/lib/tasks/deps.ts';
import { roundsMayFollow, waitBeforeRound } from '../../src/lib/tasks/delivery-retry.ts';
import { undeliveredMessage } from '../../src/lib/tasks/messages.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550006666';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
let redis: TestRedis | undefined;
const clip = useOneClip('vidbot-delivery-retry-clip-');
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.cleanup();
});
const backends = [
  ['the embedded queue', () => ({})],
  // Rounds are delayed jobs with ids of their own, outside the sender's group: BullMQ's too.
  ['BullMQ', () => ({ REDIS_URL: redis?.url ?? '' })],
] as const;

/** A channel that cannot be reached for its first `downFor` sends (as when the messenger is down), then takes each. */
const outageChannel = (downFor: number, ambiguous = false): Channel & { tried: number; sent: string[]; down: boolean } => {
  const channel = {
    name: 'outage',
    enforcesWindow: false,
    webhooks: [],
    tried: 0,
    sent: [] as string[],
    down: true,
    async send(message: { body?: string; mediaFile?: string; mediaUrl?: string }) {
      channel.tried += 1;
      if (channel.down && channel.tried <= downFor) {
        throw new VidbotError('VIDBOT_MESSENGER_FAILED', 'Could not reach the messenger: fetch failed (ECONNREFUSED)', { retryable: true, details: { ambiguous } });
      }
      channel.sent.push(message.mediaFile || message.mediaUrl ? 'video' : (message.body ?? ''));
      return { messageId: `SM${channel.tried}`, status: 'queued' as const };
    },
  };
  return channel;
};

const start = async (env: Record<string, string>, channel: Channel, warnings: string[] = []) => {
  const made = await makeVidbot({ VIDBOT_VIDEO_SECONDS: '1', ...env }, { overrides: { channel, provider: clip.provider, compressor: clip.compressor }, onWarning: (message) => void warnings.push(message) });
  cleanups.push(made.cleanup);
  const workers = made.vidbot.startWorkers({ concurrency: 1 });
  cleanups.push(() => workers.close());
  return made.vidbot;
};

describe('delivery through an outage', () => {
  it('waits longer before each round, and no longer than the time allowed', () => {
    const minute = 60_000;
    const waits = Array.from({ length: 12 }, (_, index) => waitBeforeRound(index + 1, 30 * minute));
    expect(waits.slice(0, 7)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    const used = waits.filter((wait): wait is number => wait !== undefined);
    expect(used.reduce((sum, wait) => sum + wait, 0)).toBe(30 * minute);
    expect(waits.at(-1)).toBeUndefined();
    // A short allowance is one short wait; none, no round at all.
    expect([waitBeforeRound(1, 2000), waitBeforeRound(2, 2000)]).toEqual([2000, undefined]);
    expect(waitBeforeRound(1, 0)).toBeUndefined();
  });

  it('sends no round after a failure that may have reached the user, on a channel that cannot look it up', { timeout: 60_000 }, async () => {
    const channel = outageChannel(Number.POSITIVE_INFINITY, true);
    const vidbot = await start({ VIDBOT_DELIVERY_RETRY_SEC: '1800' }, channel);
    const { task } = await vidbot.submitTask({ prompt: 'a red kite', from: USER });
    const failed = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'failed' ? latest : undefined;
    }, 50_000);
    // The job's three attempts, no round: a message that may have arrived is not sent for half an hour.
    expect(failed).toMatchObject({ errorCode: 'VIDBOT_MESSENGER_FAILED', jobId: task.taskId });
    expect(channel.tried).toBe(3);
    // Nor is the user told it never came: it may have.
    expect(await vidbot.store.findOutbound({ id: `${task.taskId}:undelivered` })).toBeNull();

    // It had: the channel's receipt for it comes (naming vidbot's reference, as Meta's does), and the task reads done.
    const late: LateDelivery[] = [];
    vidbot.tasks.onLateDelivery((event) => late.push(event));
    const outcome = await vidbot.applyReceipt({ messageId: 'wamid.arrived-after-all', reference: failed.delivery?.outboundId ?? '', status: 'delivered' });
    expect(outcome.task).toMatchObject({ status: 'done', delivery: { status: 'delivered', messageId: 'wamid.arrived-after-all' } });
    // The queue has nothing more to tell of the job: the dashboard hears it from the lifecycle, once.
    expect(late).toEqual([{ taskId: task.taskId, jobId: task.taskId, arrived: true }]);
    await vidbot.applyReceipt({ messageId: 'wamid.arrived-after-all', reference: failed.delivery?.outboundId ?? '', status: 'read' });
    expect(late).toHaveLength(1);
    const done = await vidbot.store.getTask(task.taskId);
    expect(done).toMatchObject({ status: 'done' });
    expect(done?.error).toBeUndefined();
    expect(done?.errorCode).toBeUndefined();
  });
});

describe('a failure that may have reached the user, on a channel whose receipts name the message (Meta)', () => {
  it("leaves a video whose answer was lost to the rounds after the job's attempts (each round hears for its receipt before sending; the time up, the user is told)", () => {
    const lost = new VidbotError('VIDBOT_MESSENGER_FAILED', 'The messenger did not answer in time.', { retryable: true, details: { ambiguous: true } });
    const task = { taskId: 't1', jobId: 't1', channel: 'meta' } as Task;
    const deps = (channel: Partial<Channel>, deliveryRetryMs = 1_800_000) => ({
      channels: createChannelSet([{ name: 'meta', enforcesWindow: false, webhooks: [], send: async () => ({ messageId: 'x', status: 'sent' as const }), ...channel }]),
      deliveryRetryMs,
    });
    // Before, only a channel that can be asked what it took had rounds: Meta's gave up untold after the job's attempts.
    expect(roundsMayFollow(deps({ receiptsCarryReference: true }), task, lost)).toBe(true);
    expect(roundsMayFollow(deps({}), task, lost)).toBe(false);
    expect(roundsMayFollow(deps({ receiptsCarryReference: true }, 0), task, lost)).toBe(false);
  });

  it('waits for the receipt before sending again, and takes the message it names: one video', { timeout: 60_000 }, async () => {
    // Meta took the video, then its answer was lost (a timeout): the channel cannot be asked, only heard.
    const sending = outageChannel(1, true);
    let failedAt = 0;
    const channel: Channel = {
      name: sending.name,
      enforcesWindow: false,
      webhooks: [],
      receiptsCarryReference: true,
      send: (message) =>
        sending.send(message).catch((error: unknown) => {
          failedAt = Date.now();
          throw error;
        }),
    };
    const vidbot = await start({}, channel);
    const secondTry = new Promise<void>((resolve) => vidbot.queue.on('active', (event) => event.attempt === 2 && resolve()));
    const { task } = await vidbot.submitTask({ prompt: 'a kite in the fog', from: USER });
    await secondTry;
    const record = await waitFor(async () => vidbot.store.findOutbound({ id: `${task.taskId}:result:1` }), 10_000);
    expect(record.status).toBe('pending');
    // The wait runs from when the failed try ended (an upload and a timeout may outlast it), not from the record's making.
    expect(record.updatedAt).toBeGreaterThanOrEqual(failedAt);
    // Meta's status for it comes now, naming vidbot's reference.
    await vidbot.applyReceipt({ messageId: 'wamid.took-it', reference: record.id, status: 'sent' });
    const done = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'done' ? latest : undefined;
    }, 30_000);
    expect(done.delivery).toMatchObject({ messageId: 'wamid.took-it' });
    // Tried once: the second try waited for the receipt instead of sending a second video.
    expect(sending.tried).toBe(1);
  });
});

describe.each(backends)('delivery through an outage on %s', (_name, queueEnv) => {
  it("sends the video in a later round when the channel is back after the job's attempts", { timeout: 60_000 }, async () => {
    const channel = outageChannel(3);
    const warnings: string[] = [];
    const vidbot = await start({ ...queueEnv(), VIDBOT_DELIVERY_RETRY_SEC: '2' }, channel, warnings);
    const { task } = await vidbot.submitTask({ prompt: 'a lighthouse in a storm', from: USER });
    const done = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'done' ? latest : undefined;
    }, 50_000);
    // Three attempts refused by the outage, then the second round's job got it through: one video.
    expect(channel.tried).toBe(4);
    expect(channel.sent).toEqual(['video']);
    expect(done).toMatchObject({ jobId: `${task.taskId}#2`, delivery: { rounds: 1 } });
    // The operator is told of the outage and of the round to come.
    expect(warnings).toContain(`The video of task ${task.taskId} could not be sent (Could not reach the messenger: fetch failed (ECONNREFUSED)); it is sent again in 2 s.`);
  });

  it('ends the task as undelivered once the time is up, and tells the user when the channel is back', { timeout: 60_000 }, async () => {
    const channel = outageChannel(Number.POSITIVE_INFINITY);
    const vidbot = await start({ ...queueEnv(), VIDBOT_DELIVERY_RETRY_SEC: '2' }, channel);
    const { task } = await vidbot.submitTask({ prompt: 'a paper boat', from: USER });
    const failed = await waitFor(async () => {
      const latest = await vidbot.store.getTask(task.taskId);
      return latest?.status === 'failed' ? latest : undefined;
    }, 50_000);
    // One round (all the 2 s allowed), then undelivered: the video was made, and is kept for a retry.
    expect(failed).toMatchObject({ errorCode: 'VIDBOT_MESSENGER_FAILED', jobId: `${task.taskId}#2`, delivery: { status: 'failed', rounds: 1 } });
    expect(failed.videoId).toBeDefined();
    // Two jobs' three attempts each, and the notice's own try.
    expect(channel.tried).toBe(7);
    // The notice could not go out either: it waits, and the sweep sends it once the channel answers.
    expect(await vidbot.store.findOutbound({ id: `${task.taskId}#2:undelivered` })).toMatchObject({ status: 'pending' });
    channel.down = false;
    expect((await vidbot.tasks.sweep({ olderThanMs: 0 })).noticesSent).toBe(1);
    expect(channel.sent).toEqual([undeliveredMessage(failed)]);
  });
});
