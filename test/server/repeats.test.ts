/**
 * The same words sent again while their video is on its way, through the Twilio webhook: one video,
 * and the second message hears it is coming (a double tap on send, two at once, or "is it working?"
 * typed as the prompt again). It costs the sender nothing of their allowance. Once the video has
 * arrived, the same words make another. "Another take" tapped twice while the take is on its way
 * makes one take. The same photo sent twice (its bytes, whatever its link) with the same caption is
 * one request too.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { alreadyHaveText } from '../../src/lib/bot/replies.ts';
import { choiceTexts } from '../../src/lib/tasks/messages.ts';
import { useBots } from '../helpers/bot.ts';
import { whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550007272';

describe('the same words again', () => {
  const startBot = useBots();

  it('queue one video while it is on its way, cost nothing, and make another once it has arrived', async () => {
    const bot = await startBot({ VIDBOT_DAILY_LIMIT: '3' }, { workers: false });
    expect(await bot.say(USER, 'a fox in the snow')).toContain('2 of 3 videos left today');
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    if (task === undefined) throw new Error('no task');
    const again = await bot.say(USER, 'A fox in the snow!');
    // Where it stands, as /status tells it: the question behind a prompt sent again is "when?".
    expect(again).toBe(`⏳ Already on it: "a fox in the snow" is next in line.\nYou'll get it once, no need to send it again.`);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);

    await bot.vidbot.store.updateTask(task.taskId, { status: 'done' });
    // The allowance counts videos: the repeat took none of it.
    expect(await bot.say(USER, 'a fox in the snow')).toContain('1 of 3 videos left today');
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);
  });

  it('tell a sender who has the video already, rather than send the same one again', async () => {
    const bot = await startBot({ VIDBOT_DAILY_LIMIT: '3' });
    await bot.say(USER, 'a quiet lake at dawn');
    const [first] = await bot.vidbot.store.listTasks({ from: USER });
    const done = await bot.until(first?.taskId ?? '', 'done');
    // Made again it would be the same video (the cache has it): the user is told where it is, and how to get another.
    expect(await bot.say(USER, 'A quiet lake at dawn.')).toBe(alreadyHaveText(done));
    expect(alreadyHaveText(done)).toBe(`✅ You already have "a quiet lake at dawn": it's in our chat above. For a new version, describe it in other words (capitals and punctuation don't count).`);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
    // Once the phone has it and "Another take" was offered under it, the way to a new version is that tap.
    await bot.fake.sendStatus(done.delivery?.messageId ?? '', 'delivered');
    await waitFor(async () => (await bot.vidbot.store.findOutbound({ id: `${done.jobId ?? done.taskId}:choices` }))?.messageId !== undefined);
    expect(await bot.say(USER, 'a quiet lake at dawn')).toBe(
      `✅ You already have "a quiet lake at dawn": it's in our chat above. For a new version, tap 🔁 Another take under it, or describe it in other words (capitals and punctuation don't count).`,
    );
    // Other words are a new video, and the allowance counted only the one.
    expect(await bot.say(USER, 'a quiet lake at dusk')).toContain('1 of 3 videos left today');
  });

  it('take nothing of the per-minute limit, and a message the limit refused makes no repeat of its words', async () => {
    const bot = await startBot({ VIDBOT_RATE_LIMIT: '1' }, { workers: false });
    expect(await bot.say(USER, 'a fox in the snow')).toContain('Generating your video');
    expect(await bot.say(USER, 'a fox in the snow')).toContain('⏳ Already on it: "a fox in the snow"');
    // The one video of the minute is the fox's: other words are over the limit, each time.
    for (let i = 0; i < 2; i++) expect(await bot.say(USER, 'a boat at dawn')).toContain('You can ask for up to 1 video a minute');
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
  });

  it('make one video of the same photo sent twice while it is on its way; another photo or caption is another video', async () => {
    const frame = (source: string) =>
      execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `${source}=size=320x240`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { encoding: 'buffer' }).then(
        ({ stdout }) => Buffer.from(stdout),
      );
    const [png, other] = await Promise.all([frame('testsrc2'), frame('smptebars')]);
    const bot = await startBot({ VIDBOT_DAILY_LIMIT: '5' }, { workers: false });
    const send = (caption: string, url: string) => bot.post({ ...whatsappText(USER, caption), NumMedia: '1', MediaUrl0: url, MediaContentType0: 'image/png' });
    // Each message's media has a link of its own, as Twilio gives it: the bytes tell the same photo.
    const photo = () => bot.fake.addMedia(png, 'image/png');

    expect((await send('', photo())).text).toContain('Generating your video');
    expect((await send('', photo())).text).toBe(`⏳ Already on it: your photo is next in line.\nYou'll get it once, no need to send it again.`);
    expect((await send('make it dance', photo())).text).toContain('Generating your video');
    expect((await send('Make it dance!', photo())).text).toBe(`⏳ Already on it: "make it dance" is #2 in line.\nYou'll get it once, no need to send it again.`);
    expect((await send('', bot.fake.addMedia(other, 'image/png'))).text).toContain('Generating your video');
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(3);
    // The repeats' copies are not kept: one photo file for each task.
    expect(await readdir(join(bot.vidbot.paths.dataDir, 'inbound'))).toHaveLength(3);
    // Its allowance counted the three videos only.
    expect((await send('a caption of its own', photo())).text).toContain('1 of 5 videos left today');
    expect((await send('yet another caption', photo())).text).toContain('That was your last video for today (5 a day).');
    // Refused (none left today): its download is not kept either.
    expect((await send('one too many', photo())).text).toContain("🎟️ You've had all 5 of today's videos.");
    expect(await readdir(join(bot.vidbot.paths.dataDir, 'inbound'))).toHaveLength(5);
  });

  it('answer two at once with one video and one word that it is coming', async () => {
    const bot = await startBot({}, { workers: false });
    const answers = await Promise.all([bot.say(USER, 'a paper boat on a rainy street'), bot.say(USER, 'a paper boat on a rainy street')]);
    expect(answers.filter((text) => text.includes('Generating your video'))).toHaveLength(1);
    expect(answers.filter((text) => text.startsWith('⏳ Already on it: "a paper boat on a rainy street"'))).toHaveLength(1);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
    // A redelivery of the first is answered as the first was, not as a repeat.
    const sid = 'SM' + 'ab'.repeat(16);
    const first = await bot.post(whatsappText(USER, 'a lamp in the fog', sid));
    expect((await bot.post(whatsappText(USER, 'a lamp in the fog', sid))).text).toBe(first.text);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);
  });

  it('say a take is on its way when "Another take" comes twice for one video', async () => {
    const bot = await startBot({}, { workers: false });
    await bot.say(USER, 'a lighthouse in a storm');
    const [made] = await bot.vidbot.store.listTasks({ from: USER });
    await bot.vidbot.store.updateTask(made?.taskId ?? '', { status: 'done' });
    await bot.vidbot.store.recordOutbound({ id: 'offer', kind: 'choices', to: USER, body: 'offer', taskId: made?.taskId ?? '', channel: 'twilio', status: 'pending' });
    await bot.vidbot.store.updateOutbound('offer', { status: 'sent', messageId: 'SM' + 'cd'.repeat(16) });
    const tap = () => bot.post({ ...whatsappText(USER, '🔁 Another take'), ButtonPayload: 'again', ButtonText: '🔁 Another take', OriginalRepliedMessageSid: 'SM' + 'cd'.repeat(16) });

    // Two taps at once: one take, and a word that it is coming.
    const [one, two] = await Promise.all([tap(), tap()]);
    const [take] = await bot.vidbot.store.listTasks({ from: USER, limit: 1 });
    expect(take?.options.take).toBe(2);
    const answers = [one?.text ?? '', two?.text ?? ''];
    expect(answers.filter((text) => text === choiceTexts.takeOnItsWay(take ?? made!))).toHaveLength(1);
    expect(answers.filter((text) => text.startsWith('🔁 Another take of "a lighthouse in a storm" coming up!'))).toHaveLength(1);
    // And a tap later, while it is still on its way.
    expect((await tap()).text).toBe(choiceTexts.takeOnItsWay(take ?? made!));
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);
    // Once the take has arrived, another tap makes the next.
    await bot.vidbot.store.updateTask(take?.taskId ?? '', { status: 'done' });
    expect((await tap()).text).toMatch(/coming up!/);
    expect((await bot.vidbot.store.listTasks({ from: USER, limit: 1 }))[0]?.options.take).toBe(3);
  });
});
