/**
 * The served bot with the real-service adapters, each on its official SDK against a loopback fake:
 * signed webhook -> OpenAI polish -> Replicate prediction (reported by signed webhook) -> download
 * -> real ffmpeg -> Cloudinary -> Twilio. Also: a restart in the middle of a prediction resumes it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { createVidbot } from '../../src/lib/create-vidbot.ts';
import { startServer } from '../../src/server/index.ts';
import { type FakeCloudinary, startFakeCloudinary } from '../fakes/cloudinary-api.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { TEST_AUTH_TOKEN, signedPost, twimlText, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const ACCOUNT = `AC${'e1'.repeat(16)}`;
const USER = 'whatsapp:+15550001111';
const POLISHED = 'A cinematic tracking shot of a red fox sprinting through rain-soaked neon streets at night';

let root: string;
let clip: Buffer;
let redis: TestRedis | undefined;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-ai-flow-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.cleanup();
  await rm(root, { recursive: true, force: true });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Services {
  readonly twilio: FakeTwilio;
  readonly replicate: FakeReplicate;
  readonly openai: FakeOpenAI;
  readonly cloudinary: FakeCloudinary;
}

const startServices = async (runMs: number): Promise<Services> => {
  const twilio = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN });
  const replicate = await startFakeReplicate({ runMs });
  replicate.setOutput(clip);
  const openai = await startFakeOpenAI({ reply: () => POLISHED });
  const cloudinary = await startFakeCloudinary();
  cleanups.push(() => twilio.close(), () => replicate.close(), () => openai.close(), () => cloudinary.close());
  return { twilio, replicate, openai, cloudinary };
};

/** One `vidbot serve`-like process on a data dir: server with webhooks, one worker. */
const startProcess = async (services: Services, dataDir: string, port: number, env: Record<string, string> = {}) => {
  const base = `http://127.0.0.1:${port}`;
  const { config } = loadConfig({
    env: {
      VIDBOT_DATA_DIR: dataDir,
      PUBLIC_BASE_URL: base,
      PORT: String(port),
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      TWILIO_API_BASE_URL: services.twilio.url,
      REPLICATE_API_TOKEN: services.replicate.token,
      REPLICATE_API_BASE_URL: services.replicate.url,
      OPENAI_API_KEY: services.openai.apiKey,
      OPENAI_BASE_URL: services.openai.url,
      CLOUDINARY_URL: services.cloudinary.cloudinaryUrl,
      ...env,
    },
    cwd: dataDir,
    dotenv: false,
  });
  // As `vidbot serve` starts: one library call; a stop hands running jobs back at once.
  const server = await startServer(config, { workers: 1, authToken: TEST_AUTH_TOKEN });
  const { vidbot } = server;
  const stop = () => server.close({ graceSec: 0 });
  cleanups.push(stop);
  const post = async (text: string) => {
    const request = signedPost(`${base}/whatsapp/webhook`, whatsappText(USER, text));
    const response = await fetch(`${base}${request.url}`, { method: 'POST', headers: request.headers, body: request.payload });
    return twimlText(await response.text()) ?? '';
  };
  return { vidbot, base, post, stop };
};

describe('the bot on the real-service adapters', () => {
  it('polishes, generates on Replicate with webhooks, compresses and delivers once', async () => {
    const services = await startServices(300);
    const dataDir = await mkdtemp(join(root, 'data-'));
    const bot = await startProcess(services, dataDir, await freePort());
    expect(bot.vidbot.provider.name).toBe('replicate');
    expect(bot.vidbot.polisher.name).toBe('openai');

    expect(await bot.post('a fox running through a neon city at night')).toContain('Generating your video');
    const message = await waitFor(async () => services.twilio.messages[0], 60_000);
    expect(message.body).toContain("Here's your AI-generated video!");
    expect(message.body).not.toContain('not AI');
    // The video went to Cloudinary, and WhatsApp is sent its secure_url, which serves the compressed MP4.
    const [upload] = services.cloudinary.uploads;
    expect(upload).toMatchObject({ resourceType: 'video' });
    const [mediaUrl] = message.mediaUrls;
    expect(mediaUrl?.startsWith(services.cloudinary.url)).toBe(true);
    const served = Buffer.from(await (await fetch(mediaUrl ?? '')).arrayBuffer());
    expect(served.length).toBe(upload?.bytes);

    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect(task).toMatchObject({ status: 'done', prompt: 'a fox running through a neon city at night', polishedPrompt: POLISHED, videoUrl: mediaUrl });
    const [prediction] = [...services.replicate.predictions.values()];
    expect(prediction?.input.prompt).toBe(POLISHED);
    expect(task?.remoteJobId).toBe(prediction?.id);
    // The task's id rides in the webhook URL, so an ambiguous create can find its prediction again.
    expect(prediction?.webhook).toBe(`${bot.base}/replicate/webhook?vidbot_task=${task?.taskId}`);
    expect(services.replicate.webhookStatuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(services.openai.requests[0]?.body).toMatchObject({ input: 'a fox running through a neon city at night' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(services.twilio.messages).toHaveLength(1);
  });

  it('falls back to its own /media URL when Cloudinary fails', async () => {
    const services = await startServices(150);
    services.cloudinary.failNext(500, 5);
    const bot = await startProcess(services, await mkdtemp(join(root, 'data-')), await freePort());
    await bot.post('a kite over a beach');
    const message = await waitFor(async () => services.twilio.messages[0], 30_000);
    expect(message.mediaUrls[0]).toMatch(new RegExp(`^${bot.base}/media/`));
    expect((await fetch(message.mediaUrls[0] ?? '', { method: 'HEAD' })).status).toBe(200);
  });

  it('tells the user and fails the task when the prediction fails', async () => {
    const services = await startServices(150);
    services.replicate.setOutcome('refuse');
    const bot = await startProcess(services, await mkdtemp(join(root, 'data-')), await freePort());
    await bot.post('something the model refuses');
    const message = await waitFor(async () => services.twilio.messages[0], 30_000);
    expect(message.body).toContain("couldn't make that video: the video model turned that description down");
    expect(message.body).not.toContain('E005');
    // The same words would be turned down again: no "Try again" button, only the advice to reword.
    expect(message.contentSid).toBeUndefined();
    expect(message.body).not.toContain('Try again');
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect(task).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_CONTENT_REFUSED' });
    expect(services.replicate.creates()).toBe(1);
  });

  it('keeps operator details from the user when the token is wrong', async () => {
    const services = await startServices(150);
    const bot = await startProcess(services, await mkdtemp(join(root, 'data-')), await freePort(), { REPLICATE_API_TOKEN: 'r8_wrong' });
    await bot.post('a quiet lake');
    const message = await waitFor(async () => services.twilio.messages[0], 30_000);
    expect(message.body).toContain("isn't set up correctly");
    expect(message.body).not.toContain('REPLICATE_API_TOKEN');
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect(task).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_PROVIDER_AUTH' });
    expect(task?.error).toContain('REPLICATE_API_TOKEN');
  });

  it('resumes the same prediction after a restart, and the user gets one video', async () => {
    const services = await startServices(3_000);
    const dataDir = await mkdtemp(join(root, 'data-'));
    const port = await freePort();
    const first = await startProcess(services, dataDir, port, { VIDBOT_SHUTDOWN_GRACE_SEC: '0' });
    await first.post('a lighthouse in a storm');
    const [queued] = await first.vidbot.store.listTasks({ from: USER });
    const taskId = queued?.taskId ?? '';
    const remote = await waitFor(async () => (await first.vidbot.store.getTask(taskId))?.remoteJobId, 20_000);
    await first.stop();
    expect((await (async () => {
      const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dataDir }, cwd: dataDir, dotenv: false });
      const peek = await createVidbot(config);
      try {
        return await peek.store.getTask(taskId);
      } finally {
        await peek.close();
      }
    })())?.status).toBe('queued');
    expect(services.replicate.predictions.get(remote)?.status).not.toBe('canceled');

    const second = await startProcess(services, dataDir, port);
    const done = await waitFor(async () => {
      const task = await second.vidbot.store.getTask(taskId);
      return task?.status === 'done' ? task : undefined;
    }, 30_000);
    expect(done.remoteJobId).toBe(remote);
    expect(services.replicate.creates()).toBe(1);
    await waitFor(async () => services.twilio.messages.length === 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(services.twilio.messages).toHaveLength(1);
  });
});

describe.each([
  ['the embedded queue', () => ({})],
  ['BullMQ', () => ({ REDIS_URL: redis?.url ?? '' })],
] as const)('an ambiguous Replicate create on %s', (_name, queueEnv) => {
  it.each([
    ['before making the prediction', false],
    ['after making the prediction', true],
  ])('rides out a create that answers 500 %s: one prediction, one video', async (_when, made) => {
    const services = await startServices(150);
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 }, { made });
    const bot = await startProcess(services, await mkdtemp(join(root, 'data-')), await freePort(), queueEnv());
    await bot.post('a red balloon drifting over rooftops');
    const message = await waitFor(async () => services.twilio.messages[0], 60_000);
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    await waitFor(async () => (await bot.vidbot.store.getTask(task?.taskId ?? ''))?.status === 'done');
    expect(services.replicate.predictions.size).toBe(1);
    expect(services.replicate.creates()).toBe(made ? 1 : 2);
    expect((await bot.vidbot.store.getTask(task?.taskId ?? ''))?.remoteJobId).toBe([...services.replicate.predictions.keys()][0]);
    expect(message.mediaUrls).toHaveLength(1);
    expect(services.twilio.messages).toHaveLength(1);
  });
});
