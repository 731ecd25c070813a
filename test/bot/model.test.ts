/**
 * /model end to end, through the real server and worker with the loopback Twilio and Replicate
 * fakes: the list of allowed models as quick-reply buttons (or numbered text when there are more
 * than three), a pick by a tap and by a typed number, the next prompt made with the picked model,
 * and a model not allowed refused in the user's words.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/lib/store/port.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import type { FakeTwilioMessage } from '../fakes/twilio-api.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15557650009';
let root: string;
let clip: Buffer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-model-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let replicate: FakeReplicate | undefined;
afterEach(async () => {
  await replicate?.close();
  replicate = undefined;
});
const bots = useBots();

const start = async (allowed: string): Promise<TestBot> => {
  replicate = await startFakeReplicate({ runMs: 150 });
  replicate.setOutput(clip);
  return bots({ REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.apiUrl, VIDBOT_ALLOWED_MODELS: allowed });
};

/** Sends /model: the webhook's answer is empty, and the list arrives as a message of its own. */
const askForModels = async (bot: TestBot): Promise<FakeTwilioMessage> => {
  const before = bot.fake.messages.length;
  expect(await bot.say(USER, '/model')).toBe('');
  const [list] = (await bot.fake.waitForMessages(before + 1, 30_000)).slice(before);
  if (!list) throw new Error('no list');
  // Recorded once Twilio's answer is in: a typed number then finds the list it answers.
  expect(await waitFor(async () => bot.vidbot.store.findOutbound({ messageId: list.sid }))).toMatchObject({ kind: 'models', to: USER });
  return list;
};

/** Sends a prompt and returns its finished task. */
const made = async (bot: TestBot, prompt: string): Promise<Task> => {
  expect(await bot.say(USER, prompt)).toContain('Generating your video');
  const [task] = await bot.vidbot.store.listTasks({ from: USER, limit: 1 });
  return bot.until(task?.taskId ?? '', 'done', 'failed');
};

describe('/model', () => {
  it('offers the allowed models as buttons; a tap picks one, and the next prompt is made with it', async () => {
    const bot = await start('minimax/video-01,minimax/hailuo-02,google/veo-3-fast');
    expect(await bot.say(USER, '/help')).toContain('/model — choose the video model');

    const list = await askForModels(bot);
    expect(list.body).toBe('🎞️ Which video model should I use for your next videos? Now: MiniMax Hailuo video-01.');
    const content = bot.fake.contents.find((c) => c.sid === list.contentSid);
    expect(content?.types['twilio/quick-reply']?.actions).toEqual([
      { id: 'model:minimax/video-01', title: 'MiniMax Hailuo vide…' },
      { id: 'model:minimax/hailuo-02', title: 'MiniMax Hailuo 02' },
      { id: 'model:google/veo-3-fast', title: 'Google Veo 3 Fast' },
    ]);

    const tap = await bot.post({
      ...whatsappText(USER, 'Google Veo 3 Fast'),
      MessageType: 'interactive',
      ButtonPayload: 'model:google/veo-3-fast',
      ButtonText: 'Google Veo 3 Fast',
      OriginalRepliedMessageSid: list.sid,
    });
    expect(tap.text).toBe('✅ Got it: your next videos will be made with Google Veo 3 Fast.');

    const task = await made(bot, 'a lighthouse in a storm');
    expect(task).toMatchObject({ status: 'done', options: { model: 'google/veo-3-fast' }, generation: { provider: 'replicate', model: 'google/veo-3-fast' } });
    expect([...(replicate?.predictions.values() ?? [])].map((p) => p.model)).toEqual(['google/veo-3-fast']);
    // The list now says which one is in use; another user's prompts keep the configured model.
    expect((await askForModels(bot)).body).toContain('Now: Google Veo 3 Fast.');
    await bot.say('whatsapp:+15557650010', 'a quiet lake');
    const [other] = await bot.vidbot.store.listTasks({ from: 'whatsapp:+15557650010' });
    expect(other?.options.model).toBeUndefined();
  });

  it('takes a typed number or name, lists more than three models as numbered text, and refuses one not allowed', async () => {
    const bot = await start('minimax/video-01,minimax/hailuo-02,google/veo-3-fast,acme/custom');
    const list = await askForModels(bot);
    expect(list.contentSid).toBeUndefined();
    expect(list.body).toBe(
      [
        '🎞️ Video models you can pick:',
        '1. MiniMax Hailuo video-01 (now)',
        '2. MiniMax Hailuo 02',
        '3. Google Veo 3 Fast',
        '4. custom',
        '',
        'Reply with a number to pick one.',
      ].join('\n'),
    );
    expect(await bot.say(USER, '2')).toBe('✅ Got it: your next videos will be made with MiniMax Hailuo 02.');
    expect(await bot.say(USER, '/model veo')).toBe('✅ Got it: your next videos will be made with Google Veo 3 Fast.');
    expect(await bot.say(USER, '/model 2')).toBe('✅ Got it: your next videos will be made with MiniMax Hailuo 02.');

    // Neither a model the operator did not allow, nor a button left over from an older list.
    expect(await bot.say(USER, '/model sora-2')).toBe(`🤔 I can't make videos with "sora-2" here. Send /model to see the models you can pick.`);
    const stale = await bot.post({ ...whatsappText(USER, 'Kling'), ButtonPayload: 'model:kwaivgi/kling-v2.1', ButtonText: 'Kling', OriginalRepliedMessageSid: list.sid });
    expect(stale.text).toMatch(/^🤔 I can't make videos with "Kling 2\.1" here\./);

    const task = await made(bot, 'a paper boat on a rainy street');
    expect(task.generation?.model).toBe('minimax/hailuo-02');
    await waitFor(async () => replicate?.predictions.size === 1);
    expect([...(replicate?.predictions.values() ?? [])][0]?.model).toBe('minimax/hailuo-02');
  });

  it('says there is one model when only the configured one is allowed, and /help does not mention /model', async () => {
    replicate = await startFakeReplicate({ runMs: 150 });
    const bot = await bots({ REPLICATE_API_TOKEN: replicate.token, REPLICATE_API_BASE_URL: replicate.apiUrl });
    expect(await bot.say(USER, '/help')).not.toContain('/model');
    expect(await bot.say(USER, '/model')).toBe('🎞️ I make videos with one model here: MiniMax Hailuo video-01.');
    // Another asked for by name: not sent to a /model that would list nothing to pick.
    expect(await bot.say(USER, '/model veo')).toBe(`🤔 I can't make videos with "veo" here: I make them with one model, MiniMax Hailuo video-01.`);
    expect(bot.fake.messages).toHaveLength(0);
  });
});
