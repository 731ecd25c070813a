/**
 * The whole bot over real sockets: a signed webhook -> TwiML ack -> queued job -> local renderer ->
 * compression -> /media URL -> Twilio's REST API (the loopback fake, through the real SDK) -> the
 * media URL serves a valid MP4 -> a delivery status callback updates the record.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BOT_NUMBER, useBots } from '../helpers/bot.ts';
import { newMessageSid, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';
import { DEFAULT_IMAGE_PROMPT } from '../../src/lib/bot/replies.ts';

const USER = 'whatsapp:+15557654321';

const startBot = useBots();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const probe = async (url: string) => {
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', url]);
  return JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; profile?: string; pix_fmt?: string }[] };
};

describe('the WhatsApp bot end to end', () => {
  it('turns a signed webhook into a video Twilio is asked to send, with a fetchable media URL', async () => {
    const bot = await startBot();
    const ack = await bot.post(whatsappText(USER, 'a fox running through a neon city at night'));
    expect(ack.status).toBe(200);
    expect(ack.text).toContain('Generating your video');

    const message = await waitFor(async () => bot.fake.messages[0], 60_000);
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    // The status callback names the message's record, so a receipt that beats the answer finds it.
    expect(message).toMatchObject({ to: USER, from: BOT_NUMBER, statusCallback: `${bot.base}/whatsapp/status?ref=${encodeURIComponent(`${task?.taskId}:result:1`)}` });
    expect(message.body).toBe('✅ Here\'s your video! (a quick preview, not AI)\n🎬 "a fox running through a neon city at night"');
    const [mediaUrl] = message.mediaUrls;
    expect(mediaUrl).toMatch(new RegExp(`^${bot.base}/media/[A-Za-z0-9_-]{22}\\.mp4$`));

    const head = await fetch(mediaUrl ?? '', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('video/mp4');
    const length = Number(head.headers.get('content-length'));
    const got = await fetch(mediaUrl ?? '');
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(bytes.length).toBe(length);
    expect(length).toBeLessThanOrEqual(16_700_000);
    const info = await probe(mediaUrl ?? '');
    const video = info.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
    expect(info.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');

    // Twilio reports delivery; the outbound record and the task follow, and a stale report does not undo it.
    const taskId = task?.taskId ?? '';
    await waitFor(async () => (await bot.vidbot.store.getTask(taskId))?.status === 'done');
    expect(await bot.fake.sendStatus(message.sid, 'delivered')).toBe(204);
    expect(await bot.fake.sendStatus(message.sid, 'sent')).toBe(204);
    const record = await bot.vidbot.store.findOutbound({ messageId: message.sid });
    expect(record).toMatchObject({ status: 'delivered', taskId, mediaUrl });
    expect((await bot.vidbot.store.getTask(taskId))?.delivery).toMatchObject({ status: 'delivered', messageId: message.sid, channel: 'twilio' });
    // The phone has the video: the offer of another version follows it, once.
    const [, offer] = await bot.fake.waitForMessages(2);
    expect(offer?.body).toBe('🎬 Want another version?');
    expect(offer?.contentSid).toMatch(/^HX/);
    expect(bot.fake.messages).toHaveLength(2);
  });

  it('animates a photo from Twilio, and never fetches media from anywhere else', async () => {
    const { stdout: png } = await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], {
      encoding: 'buffer',
    });
    // A cap just above this photo, so a slightly bigger one is refused.
    const bot = await startBot({ VIDBOT_INBOUND_MEDIA_MAX_BYTES: String(png.length + 1_000) });
    const photo = bot.fake.addMedia(Buffer.from(png), 'image/png', { redirect: true });
    const ack = await bot.post({ ...whatsappText(USER, 'make it dance'), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'image/png' });
    expect(ack.text).toContain('Generating your video');
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect(task?.options.firstFrameImage).toMatch(/inbound\/SM[0-9a-f]+-[0-9a-f]{8}\.png$/);
    await waitFor(async () => (await bot.vidbot.store.getTask(task?.taskId ?? ''))?.status === 'done', 60_000);

    // An attacker-controlled MediaUrl on another port of this machine is never requested.
    let hits = 0;
    const bait = createHttpServer((_req, res) => {
      hits += 1;
      res.end('secret');
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => bait.close(() => resolve())));
    const baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/latest/meta-data`;
    for (const url of [baitUrl, 'http://169.254.169.254/latest/meta-data/', 'https://api.twilio.com.evil.example/x.png', 'file:///etc/passwd']) {
      const refused = await bot.post({ ...whatsappText(USER, 'steal this'), NumMedia: '1', MediaUrl0: url, MediaContentType0: 'image/png' });
      expect(refused.status).toBe(200);
      expect(refused.text).toContain("couldn't use that image");
    }
    expect(hits).toBe(0);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);

    const big = bot.fake.addMedia(Buffer.concat([Buffer.from(png), Buffer.alloc(2_000)]), 'image/png');
    const tooBig = await bot.post({ ...whatsappText(USER, 'too big'), NumMedia: '1', MediaUrl0: big, MediaContentType0: 'image/png' });
    expect(tooBig.text).toContain('That image is too large (the limit is');

    // Without a transcriber a voice note gets a kind refusal; a video is not a starting point.
    const voice = await bot.post({ ...whatsappText(USER, ''), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'audio/ogg' });
    expect(voice.text).toContain("I can't listen to voice notes here yet");
    const clip = await bot.post({ ...whatsappText(USER, ''), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'video/mp4' });
    expect(clip.text).toContain('I can only use photos');
    // A photo cut short (its first bytes right, its data not): told at once, and no task that fails three times later.
    const cut = bot.fake.addMedia(Buffer.from(png).subarray(0, 400), 'image/png');
    expect((await bot.post({ ...whatsappText(USER, 'animate this'), NumMedia: '1', MediaUrl0: cut, MediaContentType0: 'image/png' })).text).toContain(
      "I couldn't open that photo: it seems damaged or cut short",
    );
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
    const sid = newMessageSid();
    expect((await bot.post({ ...whatsappText(USER, '', sid), NumMedia: '1', MediaUrl0: bot.fake.addMedia('not an image', 'image/png'), MediaContentType0: 'image/png' })).text).toContain(
      "That image format isn't supported",
    );
    // A caption of no words is no caption: the photo is animated as one sent without.
    const dotted = await bot.post({ ...whatsappText(USER, ' . '), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'image/png' });
    expect(dotted.text).toContain('Generating your video');
    expect((await bot.vidbot.store.listTasks({ from: USER, limit: 1 }))[0]?.prompt).toBe(DEFAULT_IMAGE_PROMPT);
    // A command in a photo's caption is answered, and the photo not silently dropped.
    const helped = await bot.post({ ...whatsappText(USER, '/help'), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'image/png' });
    expect(helped.text).toContain('/status');
    expect(helped.text).toContain("I didn't use the photo that came with the command");
  });
});
