/**
 * Reply buttons end to end, through the real server and worker with the loopback Twilio fake: the
 * offer after a delivered video (quick-reply content, once the phone confirmed the video), a signed
 * tap that acts on the task its message was about, another take that is really made again, the
 * retry offered with a failure, and the numbered text (with a typed answer) without the Content API.
 * The videos are one clip of each orientation, rendered and compressed once and copied for each
 * task (what is tested is what happens after a video is made), except another take's: that one is
 * really made again, and differs.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/lib/store/port.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import type { FakeTwilioMessage } from '../fakes/twilio-api.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { newMessageSid, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15557650001';
const OFFER_BODY = '🎬 Want another version?';

let root: string;
const clips = useOneClip('vidbot-choices-clip-');
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-choices-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const start = useBots();
/** A bot whose videos are copies of one clip per orientation. */
const withClips = (env: Record<string, string> = {}) => start(env, { overrides: { provider: clips.provider, compressor: clips.compressor } });

/** Sends a prompt and returns its task once it is done. */
const made = async (b: TestBot, text: string): Promise<Task> => {
  const before = await b.vidbot.store.countTasks({ from: USER });
  await b.say(USER, text);
  const tasks = await b.vidbot.store.listTasks({ from: USER, limit: 1 });
  expect(await b.vidbot.store.countTasks({ from: USER })).toBe(before + 1);
  return b.until(tasks[0]?.taskId ?? '', 'done');
};

/** The message Twilio holds for this task's result, and the offer that follows once the phone has it. */
const deliveredWithOffer = async (b: TestBot, task: Task): Promise<FakeTwilioMessage> => {
  const result = b.fake.messages.find((m) => m.sid === task.delivery?.messageId);
  if (!result) throw new Error('no result message');
  await b.fake.sendStatus(result.sid, 'delivered');
  return waitFor(async () => {
    const record = await b.vidbot.store.findOutbound({ id: `${task.jobId ?? task.taskId}:choices` });
    return b.fake.messages.find((m) => m.sid === record?.messageId);
  });
};

/** A signed tap on a quick reply, as Twilio posts it: the button's text as the body, its id as the payload. */
const tap = (b: TestBot, on: FakeTwilioMessage, id: string, title: string) =>
  b.post({ ...whatsappText(USER, title), MessageType: 'interactive', ButtonPayload: id, ButtonText: title, OriginalRepliedMessageSid: on.sid });

const newestTask = async (b: TestBot): Promise<Task> => {
  const [task] = await b.vidbot.store.listTasks({ from: USER, limit: 1 });
  if (!task) throw new Error('no task');
  return task;
};

const fileHash = async (path: string | undefined) => createHash('sha256').update(await readFile(path ?? '')).digest('hex');

describe('reply buttons', () => {
  it("offers another version after the newest video only, once, and not to a sender with none left today", async () => {
    const b = await withClips({ VIDBOT_DAILY_LIMIT: '3' });
    const first = await made(b, 'a red kite over the sea');
    const second = await made(b, 'a blue kite over the sea');
    // The first video's receipt comes after the second was asked for: its offer would stack under the next.
    await b.fake.sendStatus(first.delivery?.messageId ?? '', 'delivered');
    expect(await b.vidbot.store.findOutbound({ id: `${first.jobId ?? first.taskId}:choices` })).toBeNull();
    const offer = await deliveredWithOffer(b, second);
    // A later receipt of the older video (read) adds no offer after the newest one's.
    await b.fake.sendStatus(first.delivery?.messageId ?? '', 'read');
    expect(b.fake.messages.filter((m) => m.body === OFFER_BODY).map((m) => m.sid)).toEqual([offer.sid]);
    // The last of today's three: a tap on "Another take" would only say there are none left.
    const third = await made(b, 'a green kite over the sea');
    await b.fake.sendStatus(third.delivery?.messageId ?? '', 'delivered');
    expect(await b.vidbot.store.findOutbound({ id: `${third.jobId ?? third.taskId}:choices` })).toBeNull();
    expect(b.fake.messages.filter((m) => m.body === OFFER_BODY)).toHaveLength(1);
  });

  it('offers another version after the newest video when the request made after it was canceled', async () => {
    const b = await withClips();
    const kite = await made(b, 'a red kite over the sea');
    // Asked for after the kite and canceled before it was made: the kite is still the newest video the user has.
    const options = { provider: 'local', orientation: 'portrait', durationSec: 1, polish: false, useCache: true } as const;
    const { task: dropped } = await b.vidbot.store.createTask({ prompt: 'a blue kite over the sea', from: USER, sessionId: USER, options });
    await b.vidbot.store.updateTask(dropped.taskId, { status: 'canceled' });
    const offer = await deliveredWithOffer(b, kite);
    expect(await b.vidbot.store.findOutbound({ messageId: offer.sid })).toMatchObject({ kind: 'choices', taskId: kite.taskId });
  });

  it('offers another take and the other orientation once the video has arrived, as quick-reply content, once', async () => {
    const b = await withClips();
    const task = await made(b, 'a fox running through a neon city at night');
    // Twilio took the video, the phone has not confirmed it: WhatsApp keeps no order, so nothing follows yet.
    expect(b.fake.messages).toHaveLength(1);
    expect(b.fake.contents).toHaveLength(0);

    const offer = await deliveredWithOffer(b, task);
    const [content] = b.fake.contents;
    expect(offer).toMatchObject({ to: USER, contentSid: content?.sid, body: OFFER_BODY });
    expect(JSON.parse(offer.contentVariables ?? '{}')).toEqual({ '1': OFFER_BODY });
    expect(content?.types['twilio/quick-reply']?.actions).toEqual([
      { id: 'again', title: '🔁 Another take' },
      { id: 'landscape', title: '↔️ Landscape' },
    ]);
    expect(await b.vidbot.store.findOutbound({ messageId: offer.sid })).toMatchObject({ kind: 'choices', taskId: task.taskId, body: OFFER_BODY });

    // The read receipt, and the offer's own receipts, send nothing more.
    await b.fake.sendStatus(b.fake.messages[0]?.sid ?? '', 'read');
    await b.fake.sendStatus(offer.sid, 'delivered');
    await waitFor(async () => (await b.vidbot.store.getTask(task.taskId))?.delivery?.status === 'read');
    await waitFor(async () => (await b.vidbot.store.findOutbound({ messageId: offer.sid }))?.status === 'delivered');
    expect(b.fake.messages).toHaveLength(2);
  });

  it('a tap makes the video its message was about in the other orientation, even when the user has a newer one', async () => {
    const b = await withClips();
    const fox = await made(b, 'a fox running through a neon city at night');
    const offer = await deliveredWithOffer(b, fox);
    const boat = await made(b, 'a paper boat on a rainy street');

    const answer = await tap(b, offer, 'landscape', '↔️ Landscape');
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^↔️ "a fox running through a neon city at night" in landscape coming up!/);
    const landscape = await newestTask(b);
    expect(landscape.taskId).not.toBe(boat.taskId);
    expect(landscape).toMatchObject({ prompt: fox.prompt, options: { orientation: 'landscape' }, channel: 'twilio' });
    const done = await b.until(landscape.taskId, 'done');
    const video = await b.vidbot.store.getVideo(done.videoId ?? '');
    expect((video?.width ?? 0) > (video?.height ?? 0)).toBe(true);

    // Twilio retrying the same tap queues nothing more.
    const retried = await b.post({
      ...whatsappText(USER, '↔️ Landscape', landscape.messageId),
      ButtonPayload: 'landscape',
      ButtonText: '↔️ Landscape',
      OriginalRepliedMessageSid: offer.sid,
    });
    expect(retried.text).toBe(answer.text);
    expect(await b.vidbot.store.countTasks({ from: USER })).toBe(3);

    // A second tap of the same button (a new message) makes nothing twice, and counts nothing.
    const twice = await tap(b, offer, 'landscape', '↔️ Landscape');
    expect(twice.text).toBe('✅ You already have "a fox running through a neon city at night" in landscape: it\'s in our chat above.');
    // Nor does "portrait" under the landscape version: that is the video the user started from.
    const back = await tap(b, await deliveredWithOffer(b, done), 'portrait', '↕️ Portrait');
    expect(back.text).toBe('✅ You already have "a fox running through a neon city at night" in portrait: it\'s in our chat above.');
    expect(await b.vidbot.store.countTasks({ from: USER })).toBe(3);
  });

  it('"another take" makes a new video of the same prompt instead of the cached one', async () => {
    // The local preview itself: another take of a prompt is a video of its own.
    const b = await start();
    const first = await made(b, 'a lighthouse in a storm');
    const offer = await deliveredWithOffer(b, first);

    const answer = await tap(b, offer, 'again', '🔁 Another take');
    expect(answer.text).toMatch(/^🔁 Another take of "a lighthouse in a storm" coming up!/);
    const second = await b.until((await newestTask(b)).taskId, 'done');
    expect(second).toMatchObject({ prompt: first.prompt, options: { orientation: 'portrait', take: 2 }, cacheHit: false });
    expect(b.events.filter((e) => e.taskId === second.taskId && e.event.type === 'stage:start' && e.event.stage === 'generate')).toHaveLength(1);
    expect(await fileHash(second.filePath)).not.toBe(await fileHash(first.filePath));

    // Tapping it again asks for take 3, not take 2 from the cache.
    await tap(b, offer, 'again', '🔁 Another take');
    const third = await b.until((await newestTask(b)).taskId, 'done');
    expect(third).toMatchObject({ options: { take: 3 }, cacheHit: false });
  });

  it('without the Content API the choices arrive as numbered text, and a typed "1" works', async () => {
    const b = await withClips();
    b.fake.refuseContent(403);
    const task = await made(b, 'a hot air balloon over the desert');
    const offer = await deliveredWithOffer(b, task);
    expect(offer.contentSid).toBeUndefined();
    expect(offer.body).toBe(`${OFFER_BODY}\n\nReply 1 for 🔁 Another take, 2 for ↔️ Landscape.`);

    expect(await b.say(USER, '1')).toMatch(/^🔁 Another take of "a hot air balloon over the desert" coming up!/);
    expect(await newestTask(b)).toMatchObject({ prompt: task.prompt, options: { take: 2 } });
    expect(await b.say(USER, 'Landscape')).toMatch(/in landscape coming up!/);
    expect(await newestTask(b)).toMatchObject({ prompt: task.prompt, options: { orientation: 'landscape' } });
  });

  it('a bare number with nothing to answer gets a hint, not a video', async () => {
    const b = await start({}, { workers: false });
    expect(await b.say(USER, '2')).toContain('not sure what "2" means');
    // A button's words, whole, where no offer stands.
    expect(await b.say('whatsapp:+15550007171', 'Another take')).toContain('not sure what "Another take" means here');
    expect(await b.vidbot.store.countTasks({ from: USER })).toBe(0);
  });

  it('a video that could not be delivered offers to try again, and the tap sends it again', async () => {
    const b = await withClips();
    const task = await made(b, 'a kite over the dunes');
    const result = b.fake.messages.find((m) => m.sid === task.delivery?.messageId);
    // Lost on the way (Twilio's 30008, an unknown error): the video never reached the phone.
    await b.fake.sendStatus(result?.sid ?? '', 'undelivered', '30008');
    const notice = await waitFor(async () => {
      const record = await b.vidbot.store.findOutbound({ taskId: task.taskId, kind: 'undelivered' });
      return b.fake.messages.find((m) => m.sid === record?.messageId);
    });
    expect(notice.body).toContain("couldn't get it to you here. Try again in a little while and I'll send it.");
    const content = b.fake.contents.find((c) => c.sid === notice.contentSid);
    expect(content?.types['twilio/quick-reply']?.actions).toEqual([{ id: 'retry', title: '🔄 Try again' }]);

    // The video is sent again, not made again.
    const answer = await tap(b, notice, 'retry', '🔄 Try again');
    // Said as what happens: it is sent again, not "being made right now".
    expect(answer.text).toMatch(/^📤 Sending "a kite over the dunes" to you again!/);
    expect(answer.text).not.toMatch(/being made|in line|Ready in/);
    const again = await b.until(task.taskId, 'done');
    expect(again.videoId).toBe(task.videoId);
    expect(b.fake.messages.filter((m) => m.mediaUrls.includes(task.videoUrl ?? '-'))).toHaveLength(2);
  });

  describe('after a failure', () => {
    let replicate: FakeReplicate;
    let clip: Buffer;
    beforeAll(async () => {
      clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
    });

    it('the failure notice offers to try again, and the tap retries that task', async () => {
      replicate = await startFakeReplicate({ runMs: 100 });
      replicate.setOutput(clip);
      replicate.setOutcome('fail');
      try {
        const b = await start({ REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.url }, { overrides: { compressor: clips.compressor } });
        await b.say(USER, 'something the model refuses at first');
        const failed = await b.until((await newestTask(b)).taskId, 'failed');
        const [notice] = await b.fake.waitForMessages(1);
        expect(notice?.body).toContain("couldn't make that video");
        const content = b.fake.contents.find((c) => c.sid === notice?.contentSid);
        expect(content?.types['twilio/quick-reply']?.actions).toEqual([{ id: 'retry', title: '🔄 Try again' }]);
        // Another task later: the tap still retries the one its notice was about.
        replicate.setOutcome('succeed');
        const later = await made(b, 'a quiet lake');

        const answer = await tap(b, notice as FakeTwilioMessage, 'retry', '🔄 Try again');
        expect(answer.text).toMatch(/^🔄 Trying "something the model refuses at first" again!/);
        const retried = await b.until(failed.taskId, 'done', 'failed');
        expect(retried.status).toBe('done');
        expect(retried.jobId).toBe(`${failed.taskId}#2`);
        // A new prediction: resuming the failed one would only fail again.
        expect(replicate.creates()).toBe(3);
        expect(retried.remoteJobId).not.toBe(failed.remoteJobId);
        expect(await b.vidbot.store.countTasks({ from: USER })).toBe(2);
        expect((await b.vidbot.store.getTask(later.taskId))?.status).toBe('done');

        // Tapped again once it is done: nothing to retry, said kindly.
        expect((await tap(b, notice as FakeTwilioMessage, 'retry', '🔄 Try again')).text).toContain('has already arrived');
      } finally {
        await replicate.close();
      }
    });
  });

  it('a tap on a message the bot does not know says so rather than guessing', async () => {
    const b = await start({}, { workers: false });
    const answer = await b.post({
      ...whatsappText(USER, '🔁 Another take', newMessageSid()),
      ButtonPayload: 'again',
      ButtonText: '🔁 Another take',
      OriginalRepliedMessageSid: `SM${'9'.repeat(32)}`,
    });
    expect(answer.text).toContain("couldn't tell which video that button was for");
    expect(await b.vidbot.store.countTasks({ from: USER })).toBe(0);
  });
});
