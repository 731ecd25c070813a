/**
 * Delivery is part of the task: through the real server and worker, with the loopback Twilio fake
 * refusing, failing late in callbacks and answering out of order as Twilio does, on the embedded
 * queue and on BullMQ. Each prompt gets one video, or the truth about why not. The video is one
 * clip, rendered and compressed once and copied for each task: what is tested is what happens
 * after it is made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobActivity } from '../../src/lib/activity/events.ts';
import { createVidbotFeed } from '../../src/lib/activity/vidbot-feed.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { useBots } from '../helpers/bot.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15557654321';
const CONTENT_SID = `HX${'c3'.repeat(16)}`;

let redis: TestRedis | undefined;
const clip = useOneClip('vidbot-delivery-clip-');
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.cleanup();
});

const backends = [
  ['the embedded queue', () => ({})],
  ['BullMQ', () => ({ REDIS_URL: redis?.url ?? '' })],
] as const;

describe.each(backends)('delivery on %s', (_name, queueEnv) => {
  const start = useBots();
  const bot = (env: Record<string, string> = {}) => start({ ...queueEnv(), ...env }, { overrides: { provider: clip.provider, compressor: clip.compressor } });

  /** Sends a prompt and returns its task once the worker has a first word from Twilio on it. */
  const prompt = async (b: Awaited<ReturnType<typeof bot>>, text: string, from = USER): Promise<Task> => {
    await b.say(from, text);
    const [task] = await b.vidbot.store.listTasks({ from, limit: 1 });
    if (!task) throw new Error('no task was created');
    return task;
  };
  const generations = (b: Awaited<ReturnType<typeof bot>>, taskId: string) =>
    b.events.filter((e) => e.taskId === taskId && e.event.type === 'stage:start' && e.event.stage === 'compress').length;

  it.each([
    [21211, 'an invalid recipient'],
    [21606, 'a sender the account does not own'],
    [21610, 'a user who blocked the sender'],
  ])('a refusal on create (%i, %s) fails the task, never reads done, and a retry only re-sends the video', async (code) => {
    const b = await bot();
    b.fake.failNext({ status: 400, code, message: 'Refused by the fake.' });
    const task = await prompt(b, 'a fox running through a neon city at night');
    const failed = await b.until(task.taskId, 'failed', 'done');

    expect(failed).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_DELIVERY_REFUSED', delivery: { status: 'failed', errorCode: String(code) } });
    expect(failed.videoId).toBeDefined();
    // Refused once, not tried again as text: a text cannot reach this user either.
    expect(b.fake.requests).toHaveLength(1);
    expect(await b.say(USER, '/status')).toContain("couldn't be delivered");
    expect(await b.say(USER, '/status')).not.toMatch(/✅|done/);

    const retried = await b.app.inject({ method: 'POST', url: `/api/tasks/${task.taskId}/retry` });
    expect(retried.statusCode).toBe(202);
    const done = await b.until(task.taskId, 'done', 'failed');
    // Its retry ran once (sending, not making): counted as a run.
    expect(done).toMatchObject({ status: 'done', attempts: 1, delivery: { status: 'queued', attempt: 2 } });
    expect(b.fake.messages).toHaveLength(1);
    expect(b.fake.messages[0]?.mediaUrls).toEqual([done.videoUrl]);
    expect(generations(b, task.taskId)).toBe(1);
    expect(await b.vidbot.store.listVideos()).toHaveLength(1);
  });

  it('without a public URL Twilio cannot fetch the video: the task fails for the operator, and the user is told kindly', async () => {
    const b = await bot({ PUBLIC_BASE_URL: '' });
    const task = await prompt(b, 'a lantern on a dark lake');
    const failed = await b.until(task.taskId, 'failed', 'done');
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_CONFIG_INVALID' });
    expect(failed.error).toContain('PUBLIC_BASE_URL');
    const [notice] = await b.fake.waitForMessages(1);
    expect(notice?.mediaUrls).toEqual([]);
    expect(notice?.body).toContain("was made, but I couldn't get it to you here");
    expect(notice?.body).not.toMatch(/PUBLIC_BASE_URL|URL/);
    expect(b.fake.messages).toHaveLength(1);
  });

  it('a media refusal reported later (63019) sends exactly one text with the link', async () => {
    const b = await bot();
    const task = await prompt(b, 'a paper boat on a rainy street');
    const done = await b.until(task.taskId, 'done');
    const [first] = await b.fake.waitForMessages(1);
    expect(first?.mediaUrls).toHaveLength(1);

    expect(await b.fake.sendStatus(first?.sid ?? '', 'undelivered', '63019')).toBe(204);
    const [, link] = await b.fake.waitForMessages(2);
    expect(link?.mediaUrls).toEqual([]);
    expect(link?.body).toContain(done.videoUrl ?? 'no url');
    const linked = await b.until(task.taskId, 'done');
    await waitFor(async () => (await b.vidbot.store.getTask(task.taskId))?.delivery?.messageId === link?.sid);
    // Twilio repeats a callback it could not confirm; nothing more is sent.
    expect(await b.fake.sendStatus(first?.sid ?? '', 'undelivered', '63019')).toBe(204);
    await b.fake.sendStatus(link?.sid ?? '', 'read');
    const read = await waitFor(async () => {
      const t = await b.vidbot.store.getTask(task.taskId);
      return t?.delivery?.status === 'read' ? t : undefined;
    });
    expect(read).toMatchObject({ status: 'done', delivery: { fallback: 'link', status: 'read', outboundId: `${task.taskId}:link:1` } });
    expect(linked.delivery?.fallback).toBe('link');
    // One link; then, the link read, the offer of another version (the only other message).
    const [, , offer] = await b.fake.waitForMessages(3);
    expect(await b.vidbot.store.findOutbound({ messageId: offer?.sid ?? '' })).toMatchObject({ kind: 'choices', taskId: task.taskId });
    expect(b.fake.messages).toHaveLength(3);
    expect(await b.say(USER, '/status')).toContain('👀 seen');
  });

  it("a refusal whose word never reached its task (the process died between the two) is acted on when Twilio repeats it, or when the task's job runs again", async () => {
    const b = await bot();
    /** The task done, and its result's record refused as if its receipt had been applied and the task never told. */
    const refusedUntold = async (from: string, text: string) => {
      const task = await prompt(b, text, from);
      const done = await b.until(task.taskId, 'done');
      const record = await b.vidbot.store.findOutbound({ id: done.delivery?.outboundId ?? '' });
      expect(await b.vidbot.store.updateOutbound(record?.id ?? '', { status: 'undelivered', errorCode: '63019' })).toBe(true);
      return { task: done, sid: record?.messageId ?? '' };
    };
    const linkOf = async (taskId: string) =>
      waitFor(async () => {
        const latest = await b.vidbot.store.getTask(taskId);
        return latest?.status === 'done' && latest.delivery?.fallback === 'link' ? latest : undefined;
      }, 10_000);

    // Senders of its own: BullMQ's runs share one Redis, where each sender's allowance is counted.
    const repeated = await refusedUntold('whatsapp:+15557650001', 'a paper boat on a rainy street');
    expect(await b.fake.sendStatus(repeated.sid, 'undelivered', '63019')).toBe(204);
    expect(await linkOf(repeated.task.taskId)).toMatchObject({ status: 'done', delivery: { fallback: 'link' } });

    const rerun = await refusedUntold('whatsapp:+15557650002', 'a kite over the dunes');
    await b.vidbot.runTask(rerun.task.taskId);
    expect(await linkOf(rerun.task.taskId)).toMatchObject({ status: 'done', delivery: { fallback: 'link' } });
    // Each got its one link, nothing more.
    const links = (await b.fake.waitForMessages(4)).filter((message) => message.mediaUrls.length === 0);
    expect(links.map((message) => message.to).sort()).toEqual(['whatsapp:+15557650001', 'whatsapp:+15557650002']);
  });

  it('a late 63016 sends the approved template once', async () => {
    const b = await bot({ TWILIO_CONTENT_SID: CONTENT_SID });
    const task = await prompt(b, 'a lighthouse in a storm');
    await b.until(task.taskId, 'done');
    const [first] = await b.fake.waitForMessages(1);
    await b.fake.sendStatus(first?.sid ?? '', 'failed', '63016');
    const [, template] = await b.fake.waitForMessages(2);
    expect(template?.contentSid).toBe(CONTENT_SID);
    await waitFor(async () => (await b.vidbot.store.getTask(task.taskId))?.delivery?.messageId === template?.sid);
    await b.fake.sendStatus(first?.sid ?? '', 'failed', '63016');
    await b.fake.sendStatus(template?.sid ?? '', 'delivered');
    const delivered = await waitFor(async () => {
      const t = await b.vidbot.store.getTask(task.taskId);
      return t?.delivery?.status === 'delivered' ? t : undefined;
    });
    expect(delivered).toMatchObject({ status: 'done', delivery: { fallback: 'template' } });
    expect(b.fake.messages).toHaveLength(2);
  });

  it('a late 63016 without a template fails the task with the reason recorded, and tells nobody', async () => {
    const b = await bot();
    // What the dashboard and `status --watch` draw from: the job completed, then its video failed.
    const feed = createVidbotFeed(b.vidbot);
    const jobEvents: JobActivity[] = [];
    feed.subscribe((event) => event.type === 'job' && jobEvents.push(event));
    const task = await prompt(b, 'a lighthouse in a storm');
    await b.until(task.taskId, 'done');
    const [first] = await b.fake.waitForMessages(1);
    await b.fake.sendStatus(first?.sid ?? '', 'failed', '63016');
    const failed = await b.until(task.taskId, 'failed');
    expect(failed).toMatchObject({ errorCode: 'VIDBOT_DELIVERY_REFUSED', delivery: { status: 'failed', errorCode: '63016' } });
    // The code with what it means, for the operator's log and `vidbot status`.
    expect(failed.error).toBe("The channel reported the result failed (error 63016: outside WhatsApp's 24-hour window, and no approved template to send instead).");
    const undelivered = await waitFor(async () => {
      const told = jobEvents.filter((event) => event.kind === 'undelivered');
      return told.length > 0 ? told : undefined;
    });
    expect(undelivered).toEqual([expect.objectContaining({ jobId: task.jobId, error: expect.stringContaining('63016') })]);
    feed.close();
    // Outside the window nothing free-form can reach the user; no notice is attempted.
    expect(b.fake.messages).toHaveLength(1);
  });

  it('a status callback that comes before the create is answered is applied', async () => {
    const b = await bot();
    b.fake.behaveNext({ callbackFirst: { status: 'failed', errorCode: '63019' } });
    const task = await prompt(b, 'an origami crane taking flight');
    const [first, link] = await b.fake.waitForMessages(2);
    expect(first?.mediaUrls).toHaveLength(1);
    expect(link?.mediaUrls).toEqual([]);
    const done = await waitFor(async () => {
      const t = await b.vidbot.store.getTask(task.taskId);
      return t?.status === 'done' && t.delivery?.fallback === 'link' ? t : undefined;
    });
    expect(await b.vidbot.store.findOutbound({ messageId: first?.sid ?? '' })).toMatchObject({ status: 'failed', errorCode: '63019' });
    expect(done.delivery?.messageId).toBe(link?.sid);

    b.fake.behaveNext({ callbackFirst: { status: 'delivered' } });
    const second = await prompt(b, 'a second prompt, delivered early');
    const delivered = await waitFor(async () => {
      const t = await b.vidbot.store.getTask(second.taskId);
      return t?.status === 'done' && t.delivery?.status === 'delivered' ? t : undefined;
    });
    expect(delivered.delivery?.messageId).toBe(b.fake.messages[2]?.sid);
    // Delivered at once, so the offer of another version follows it, once.
    const [, , , offer] = await b.fake.waitForMessages(4);
    // The fake holds the message before the send's answer reaches the record: wait for the record to know it.
    expect(await waitFor(async () => (await b.vidbot.store.findOutbound({ messageId: offer?.sid ?? '' })) ?? undefined)).toMatchObject({ kind: 'choices', taskId: second.taskId });
    expect(b.fake.messages).toHaveLength(4);
  });

  it('a 5xx on create is retried after looking the message up: one video', async () => {
    const b = await bot();
    // Twilio made the message, then answered 500: the retry must find it rather than send again.
    b.fake.failNext({ status: 500, code: 20500, created: true });
    const task = await prompt(b, 'a hot air balloon over the desert');
    const done = await b.until(task.taskId, 'done', 'failed');
    expect(done.status).toBe('done');
    expect(b.fake.messages).toHaveLength(1);
    expect(done.delivery?.messageId).toBe(b.fake.messages[0]?.sid);
  });

  it("a 5xx on create looked up right after the same video went to the same user takes the new message, not the other task's", async () => {
    const b = await bot();
    const from = 'whatsapp:+15557650003';
    const first = await prompt(b, 'a red kite over the sea', from);
    const firstDone = await b.until(first.taskId, 'done', 'failed');
    // The same video again (the cached one, the same caption), asked through the library: typed again, the
    // words would be told the video is in the chat already. Twilio makes the message, then answers 500.
    b.fake.failNext({ status: 500, code: 20500, created: true });
    const { task: second } = await b.vidbot.submitTask({ prompt: 'a red kite over the sea', from, channel: first.channel ?? 'twilio' });
    const secondDone = await b.until(second.taskId, 'done', 'failed');
    const sent = await b.fake.waitForMessages(2);
    expect(sent[0]?.body).toBe(sent[1]?.body);
    expect(firstDone.delivery?.messageId).toBe(sent[0]?.sid);
    expect(secondDone.delivery?.messageId).toBe(sent[1]?.sid);
    expect(b.fake.messages).toHaveLength(2);
  });
});
