/**
 * What made no video costs its sender nothing, in this process's memory or in Redis: a message
 * refused after the limits were checked (a photo or a voice note too large to fetch) gives back its
 * turn of the per-minute limit and its video of the day, and a prompt canceled before its video
 * was made gives back its video.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITED_PREFIX } from '../../src/lib/bot/replies.ts';
import { mediaTexts, voiceTexts } from '../../src/lib/bot/replies-media.ts';
import { startFakeOpenAI } from '../fakes/openai-api.ts';
import { startFakeReplicate } from '../fakes/replicate-api.ts';
import { useBots } from '../helpers/bot.ts';
import { makeCompliantClip, makeTempDir, removeDir } from '../helpers/media.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { type FormParams, newMessageSid, whatsappText } from '../helpers/server.ts';
import { makeVoiceNote } from '../helpers/speech.ts';
import { waitFor } from '../helpers/vidbot.ts';

// A sender of its own for each test: the Redis server, and what it counts, outlives each bot.
let senders = 0;
const nextSender = (): string => `whatsapp:+155500033${String((senders += 1)).padStart(2, '0')}`;
const MAX_BYTES = 1_000;

let redis: TestRedis;
let dir: string;
let photo: Buffer;
let voice: Buffer;
let clip: Buffer;
beforeAll(async () => {
  redis = await startRedis();
  dir = await makeTempDir('vidbot-refusals-');
  photo = Buffer.from((await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-c:v', 'png', '-f', 'image2pipe', '-'], { encoding: 'buffer' })).stdout);
  voice = (await makeVoiceNote(dir, 'a fox in the snow')).bytes;
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', dir));
  // Both past the limit set below, so each is refused once fetched.
  expect(Math.min(photo.length, voice.length)).toBeGreaterThan(MAX_BYTES);
});
afterAll(async () => {
  await redis.cleanup();
  await removeDir(dir);
});

const media = (from: string, url: string, contentType: string, body = ''): FormParams => ({
  ...whatsappText(from, body, newMessageSid()),
  NumMedia: '1',
  MediaUrl0: url,
  MediaContentType0: contentType,
  ...(contentType.startsWith('audio/') ? { MessageType: 'audio' } : {}),
});

describe.each([
  ['in memory', () => ({})],
  ['in Redis', () => ({ REDIS_URL: redis.url })],
])('what made no video costs nothing, with limits %s', (_name, limitsEnv) => {
  const startBot = useBots();
  const fakes: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (fakes.length) await fakes.pop()?.();
  });

  /** A bot making its videos with Replicate's loopback fake, whose predictions run `runMs`. */
  const replicateBot = async (runMs: number, env: Record<string, string>) => {
    const replicate = await startFakeReplicate({ runMs });
    fakes.push(() => replicate.close());
    replicate.setOutput(clip);
    const bot = await startBot({ ...limitsEnv(), ...env, REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.apiUrl });
    return { bot, replicate };
  };

  it('three photos too large, then a prompt: it is queued, with the whole allowance left', async () => {
    const user = nextSender();
    const bot = await startBot({ ...limitsEnv(), VIDBOT_RATE_LIMIT: '3', VIDBOT_DAILY_LIMIT: '3', VIDBOT_INBOUND_MEDIA_MAX_BYTES: String(MAX_BYTES) }, { workers: false });
    const url = bot.fake.addMedia(photo, 'image/png');
    for (let n = 0; n < 3; n += 1) {
      expect((await bot.post(media(user, url, 'image/png', 'make it dance'))).text).toBe(mediaTexts.tooLarge(MAX_BYTES));
    }
    const answer = await bot.say(user, 'a fox in the snow');
    expect(answer).not.toContain(RATE_LIMITED_PREFIX);
    expect(answer).toContain('2 of 3 videos left today');
    expect(await bot.vidbot.store.countTasks({ from: user })).toBe(1);
  });

  it('a prompt canceled before its video was made gives its video back; tried again, it counts again', async () => {
    const user = nextSender();
    const bot = await startBot({ ...limitsEnv(), VIDBOT_DAILY_LIMIT: '2' }, { workers: false });
    expect(await bot.say(user, 'a fox in the snow')).toContain('1 of 2 videos left today');
    expect(await bot.say(user, '/cancel')).toContain('Canceled');
    expect(await bot.say(user, '/status')).toContain('2 of 2 videos left today');
    const [canceled] = await bot.vidbot.store.listTasks({ from: user, limit: 1 });
    await bot.vidbot.retryTask(canceled?.taskId ?? '');
    expect(await bot.say(user, '/status')).toContain('1 of 2 videos left today');
  });

  it('a prompt canceled once its provider was asked for the video still counts: it may be billed', async () => {
    const user = nextSender();
    const { bot } = await replicateBot(60_000, { VIDBOT_DAILY_LIMIT: '2' });
    expect(await bot.say(user, 'a fox in the snow')).toContain('1 of 2 videos left today');
    const [task] = await bot.vidbot.store.listTasks({ from: user, limit: 1 });
    await waitFor(async () => (await bot.vidbot.store.getTask(task?.taskId ?? ''))?.remoteJobId);
    expect(await bot.say(user, '/cancel')).toMatch(/Cancel|Stopping/);
    await bot.until(task?.taskId ?? '', 'canceled');
    expect(await bot.say(user, '/status')).toContain('1 of 2 videos left today');
  });

  it("a failed prompt's video is given back, and a tap on its \"Try again\" counts it once", async () => {
    const user = nextSender();
    const { bot, replicate } = await replicateBot(100, { VIDBOT_DAILY_LIMIT: '3' });
    replicate.setOutcome('fail');
    expect(await bot.say(user, 'a fox in the snow')).toContain('2 of 3 videos left today');
    const [task] = await bot.vidbot.store.listTasks({ from: user, limit: 1 });
    await bot.until(task?.taskId ?? '', 'failed');
    const [notice] = await bot.fake.waitForMessages(1);
    expect(await bot.say(user, '/status')).toContain('3 of 3 videos left today');
    replicate.setOutcome('succeed');
    const tap = { ...whatsappText(user, '🔄 Try again', newMessageSid()), MessageType: 'interactive', ButtonPayload: 'retry', ButtonText: '🔄 Try again', OriginalRepliedMessageSid: notice?.sid ?? '' };
    const again = (await bot.post(tap)).text;
    expect(again).toContain('2 of 3 videos left today');
    // Its place is its new job's (the first job failed): waiting or already being made.
    expect(again).toMatch(/📋 You're next in line|⚙️ Starting on it now|⚙️ It's being made right now/);
    await bot.until(task?.taskId ?? '', 'done');
    expect(await bot.say(user, '/status')).toContain('2 of 3 videos left today');
  });

  it('voice notes too large, then a prompt: it is queued, with the whole allowance left', async () => {
    const user = nextSender();
    const openai = await startFakeOpenAI();
    try {
      const bot = await startBot(
        { ...limitsEnv(), VIDBOT_RATE_LIMIT: '2', VIDBOT_DAILY_LIMIT: '2', OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url, VIDBOT_POLISH: 'false', VIDBOT_VOICE_NOTE_MAX_BYTES: String(MAX_BYTES) },
        { workers: false },
      );
      const url = bot.fake.addMedia(voice, 'audio/ogg');
      for (let n = 0; n < 2; n += 1) {
        expect((await bot.post(media(user, url, 'audio/ogg'))).text).toBe(voiceTexts.tooLarge(MAX_BYTES));
      }
      const answer = await bot.say(user, 'a fox in the snow');
      expect(answer).not.toContain(RATE_LIMITED_PREFIX);
      expect(answer).toContain('1 of 2 videos left today');
      expect(await bot.say(user, '/status')).not.toContain("You've had all");
    } finally {
      await openai.close();
    }
  });
});
