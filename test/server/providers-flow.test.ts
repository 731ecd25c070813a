/**
 * The served bot generating on fal and on a self-hosted Cog server, each through its real client
 * against its loopback fake, with webhooks to the real server: a WhatsApp prompt -> one remote job
 * -> real ffmpeg -> the video delivered.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCog, startFakeCog } from '../fakes/cog-server.ts';
import { type FakeFal, startFakeFal } from '../fakes/fal-api.ts';
import { useBots } from '../helpers/bot.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550002222';
let root: string;
let clip: Buffer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-providers-flow-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let fal: FakeFal | undefined;
let cog: FakeCog | undefined;
afterEach(async () => {
  await fal?.close();
  await cog?.close();
  fal = undefined;
  cog = undefined;
});
const bots = useBots();

describe('a WhatsApp prompt made into a video by another provider', () => {
  it('on fal.ai: one queued request, reported by a signed webhook, one video delivered', async () => {
    fal = await startFakeFal({ runMs: 300 });
    fal.setOutput(clip);
    const bot = await bots({ FAL_KEY: fal.key, FAL_API_BASE_URL: fal.url });
    expect(bot.vidbot.provider.name).toBe('fal');
    expect(await bot.say(USER, 'a fox running through a neon city at night')).toContain('Generating your video');
    const [message] = await bot.fake.waitForMessages(1, 60_000);
    expect(message?.mediaUrls).toHaveLength(1);
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    const done = await bot.until(task?.taskId ?? '', 'done');
    const [request] = [...fal.requests.values()];
    expect(fal.requests.size).toBe(1);
    expect(done.remoteJobId).toBe(`${request?.id}@fal-ai/kling-video/v2.5-turbo/pro/text-to-video`);
    expect(request?.webhook).toBe(`${bot.base}/fal/webhook`);
    await waitFor(async () => fal?.webhookStatuses.includes(200), 10_000);
  });

  it('on a Cog server: one prediction, joined by its id, one video delivered', async () => {
    cog = await startFakeCog({ runMs: 300 });
    cog.setOutput(clip);
    const bot = await bots({ VIDBOT_COG_URL: cog.url });
    expect(bot.vidbot.provider.name).toBe('cog');
    expect(await bot.say(USER, 'a lighthouse in a storm')).toContain('Generating your video');
    const [message] = await bot.fake.waitForMessages(1, 60_000);
    expect(message?.mediaUrls).toHaveLength(1);
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    const done = await bot.until(task?.taskId ?? '', 'done');
    expect(cog.runs).toHaveLength(1);
    expect(done.remoteJobId).toBe(cog.runs[0]?.id);
    expect(cog.runs[0]?.webhook).toMatch(new RegExp(`^${bot.base}/cog/webhook\\?prediction=`));
    await waitFor(async () => cog?.webhookStatuses.includes(200), 10_000);
  });

  it("tells the user in their words when fal's model refuses the prompt", async () => {
    fal = await startFakeFal({ runMs: 150 });
    fal.setOutcome('refuse');
    const bot = await bots({ FAL_KEY: fal.key, FAL_API_BASE_URL: fal.url });
    await bot.say(USER, 'something the model refuses');
    const [message] = await bot.fake.waitForMessages(1, 60_000);
    expect(message?.body).toContain('turned that description down');
    expect(message?.body).not.toContain('content checker');
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect((await bot.until(task?.taskId ?? '', 'failed')).errorCode).toBe('VIDBOT_CONTENT_REFUSED');
    expect(fal.requests.size).toBe(1);
  });
});
