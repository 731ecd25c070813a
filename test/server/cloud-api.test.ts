/**
 * Meta's Cloud API channel end to end: the real server and worker, the Graph API fake. Webhooks are
 * signed JSON answered 200 at once; the bot's replies go out through the API; the video is uploaded
 * and sent by media id with no public URL; statuses land on the task; media comes down in two
 * steps; a button tap makes the right new task; a Twilio user is served by the same process.
 * The videos are one clip of each orientation, rendered and compressed once and copied for each
 * task: what is tested is how the channel carries them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { helpText } from '../../src/lib/bot/replies.ts';
import { notAPromptTexts } from '../../src/lib/bot/replies-media.ts';
import { FAKE_TRANSCRIPT, startFakeOpenAI } from '../fakes/openai-api.ts';
import { type CloudInbound, type CloudStatusUpdate, type FakeGraph, cloudWebhookPayload, signCloudBody, startFakeGraph } from '../fakes/graph-api.ts';
import { type TestBot, useBots } from '../helpers/bot.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { makeVoiceNote } from '../helpers/speech.ts';
import { waitFor } from '../helpers/vidbot.ts';
import { testImage } from '../simulator/helpers.ts';

const USER = '15550003333';
const VERIFY = 'a-verify-token-of-ours';

const clip = useOneClip('vidbot-cloud-clip-');

describe('the Cloud API channel, served', () => {
  const start = useBots();
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });

  const startCloud = async (env: Record<string, string> = {}): Promise<{ bot: TestBot; graph: FakeGraph }> => {
    const graph = await startFakeGraph();
    closers.push(() => graph.close());
    const bot = await start({
      WHATSAPP_TOKEN: graph.token,
      WHATSAPP_PHONE_NUMBER_ID: graph.phoneNumberId,
      WHATSAPP_APP_SECRET: graph.appSecret,
      WHATSAPP_VERIFY_TOKEN: VERIFY,
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      VIDBOT_POLISH: 'false',
      ...env,
    }, { overrides: { provider: clip.provider, compressor: clip.compressor } });
    return { bot, graph };
  };

  const post = async (bot: TestBot, graph: FakeGraph, items: { messages?: CloudInbound[]; statuses?: CloudStatusUpdate[] }, secret = graph.appSecret) => {
    const raw = JSON.stringify(cloudWebhookPayload(graph.phoneNumberId, items));
    const response = await fetch(`${bot.base}/whatsapp/cloud`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signCloudBody(secret, raw) },
      body: raw,
    });
    return { status: response.status, text: await response.text() };
  };

  /** The task a Cloud API user's message made. */
  const taskOf = async (bot: TestBot, from = USER) => waitFor(async () => (await bot.vidbot.store.listTasks({ from: `whatsapp:+${from}`, limit: 1 }))[0], 20_000);

  it('answers Meta\'s verification with the challenge, and only with the verify token', async () => {
    const { bot } = await startCloud();
    const ok = await fetch(`${bot.base}/whatsapp/cloud?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${bot.base}/whatsapp/cloud?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('1');
  });

  it('answers what WhatsApp could not pass on for what it is, and greets a first visit, queueing nothing', async () => {
    const { bot, graph } = await startCloud({ VIDBOT_DAILY_LIMIT: '3' });
    const answer = await post(bot, graph, {
      messages: [
        { id: 'wamid.edit', from: USER, unsupported: 'edit' },
        { id: 'wamid.poll', from: USER, unsupported: 'poll_creation' },
        { id: 'wamid.lost', from: USER, unsupported: 'unknown', errorCode: 131060 },
        { id: 'wamid.hello', from: USER, welcomeRequest: true },
        { id: 'wamid.edit2', from: USER, edit: { original: 'wamid.first', text: 'a red fox in the snow' } },
      ],
    });
    expect(answer.status).toBe(200);
    const sent = await graph.waitForMessages(5);
    const replyTo = (id: string) => sent.find((m) => m.reference === `${id}:reply`)?.body.body;
    expect(replyTo('wamid.edit')).toBe(notAPromptTexts.edited);
    expect(replyTo('wamid.edit2')).toBe(notAPromptTexts.edited);
    expect(replyTo('wamid.poll')).toBe(notAPromptTexts.unsupported);
    expect(replyTo('wamid.lost')).toBe(notAPromptTexts.unavailable);
    expect(String(replyTo('wamid.hello'))).toContain(helpText({ imageToVideo: true }).split('\n')[0]);
    // Delivered again, answered once: the next new message's reply comes, and no second word on the edit.
    await post(bot, graph, { messages: [{ id: 'wamid.edit', from: USER, unsupported: 'edit' }] });
    await post(bot, graph, { messages: [{ id: 'wamid.poll2', from: USER, unsupported: 'poll_creation' }] });
    await graph.waitForMessages(6);
    expect(graph.messages.filter((m) => m.reference === 'wamid.edit:reply')).toHaveLength(1);
    expect(await bot.vidbot.store.countTasks({ from: `whatsapp:+${USER}` })).toBe(0);
    // Not taken for prompts: the day's allowance is whole.
    expect(await bot.vidbot.limits.allowance(`whatsapp:+${USER}`, Date.now())).toMatchObject({ used: 0 });
  });

  it('turns a text into a video uploaded and sent by media id, with no public URL, and follows its statuses', async () => {
    const { bot, graph } = await startCloud({ PUBLIC_BASE_URL: '' });
    const answer = await post(bot, graph, { messages: [{ id: 'wamid.first', from: USER, text: 'a lighthouse in a storm' }] });
    expect(answer.status).toBe(200);
    const task = await taskOf(bot);
    expect(task).toMatchObject({ channel: 'cloud-api', prompt: 'a lighthouse in a storm', messageId: 'wamid.first' });

    // The acknowledgement goes out through the API, then the video by the id of its upload.
    await graph.waitForMessages(2);
    const ack = graph.messages.find((m) => m.type === 'text');
    const video = graph.messages.find((m) => m.type === 'video');
    expect(ack).toMatchObject({ to: USER, type: 'text', reference: 'wamid.first:reply' });
    expect(String(ack?.body.body)).toContain('Generating your video');
    const done = await bot.until(task.taskId, 'done');
    expect(graph.uploads).toHaveLength(1);
    expect(graph.uploads[0]?.type).toBe('video/mp4');
    expect(graph.uploads[0]?.head.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(video).toMatchObject({ to: USER, type: 'video', body: { id: graph.uploads[0]?.id } });
    expect(video?.body.link).toBeUndefined();
    expect(done.videoUrl).toBeUndefined();
    // "typing…" on the user's message before the video went out.
    expect(graph.reads).toContainEqual({ messageId: 'wamid.first', typing: true });

    // Statuses out of order, as Meta sends them: the task ends read.
    const id = video?.id ?? '';
    await post(bot, graph, { statuses: [{ id, status: 'read', recipient: USER }, { id, status: 'delivered', recipient: USER }, { id, status: 'sent', recipient: USER }] });
    const read = await waitFor(async () => {
      const t = await bot.vidbot.store.getTask(task.taskId);
      return t?.delivery?.status === 'read' ? t : undefined;
    });
    expect(read.delivery).toMatchObject({ channel: 'cloud-api', status: 'read' });
    // Then the offer of another version, as reply buttons.
    const offer = await waitFor(async () => graph.messages.find((m) => m.type === 'interactive'));
    expect(offer).toMatchObject({ to: USER, type: 'interactive' });
  });

  it('handles a redelivered webhook once, and refuses a bad signature storing nothing', async () => {
    const { bot, graph } = await startCloud();
    const forged = await post(bot, graph, { messages: [{ id: 'wamid.forged', from: USER, text: 'a cat' }] }, 'not-the-secret');
    expect(forged.status).toBe(403);
    expect(await bot.vidbot.store.countTasks({})).toBe(0);

    const message: CloudInbound = { id: 'wamid.dup', from: USER, text: 'a paper boat in the rain' };
    const [first, second] = await Promise.all([post(bot, graph, { messages: [message] }), post(bot, graph, { messages: [message] })]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const task = await taskOf(bot);
    await bot.until(task.taskId, 'done');
    expect(await bot.vidbot.store.countTasks({})).toBe(1);
    // One acknowledgement, one video.
    expect(graph.messages.filter((m) => m.type === 'text')).toHaveLength(1);
    expect(graph.messages.filter((m) => m.type === 'video')).toHaveLength(1);
  });

  it('reads a photo and a voice note in two steps, with the token, and uses them', async () => {
    const openai = await startFakeOpenAI();
    closers.push(() => openai.close());
    const dir = await makeTempDir('vidbot-cloud-voice-');
    closers.push(() => removeDir(dir));
    const { bot, graph } = await startCloud({ OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url });

    const photo = graph.addMedia(testImage(160, 120).png, 'image/png');
    await post(bot, graph, { messages: [{ id: 'wamid.photo', from: USER, image: photo, mimeType: 'image/png', caption: 'make it dance' }] });
    const photoTask = await taskOf(bot);
    expect(photoTask.prompt).toBe('make it dance');
    expect(photoTask.options.firstFrameImage).toMatch(/\.png$/);
    await bot.until(photoTask.taskId, 'done');

    const note = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'ogg');
    const voice = graph.addMedia(note.bytes, 'audio/ogg');
    await post(bot, graph, { messages: [{ id: 'wamid.voice', from: '15550004444', audio: voice }] });
    const voiceTask = await taskOf(bot, '15550004444');
    expect(voiceTask.prompt).toBe(FAKE_TRANSCRIPT);
    expect(openai.transcriptions.at(-1)?.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    const heard = await waitFor(async () => graph.messages.find((m) => m.to === '15550004444' && m.type === 'text'));
    expect(String(heard.body.body)).toContain(`🎙️ I heard: "${FAKE_TRANSCRIPT}"`);
    // Step one asked Graph for each media id, step two fetched the file, both with the token.
    expect(graph.requests).toEqual(expect.arrayContaining([`GET /v24.0/${photo}`, `GET /media-download/${photo}`, `GET /v24.0/${voice}`]));
  });

  it('makes the landscape version of the video whose button was tapped', async () => {
    const { bot, graph } = await startCloud();
    await post(bot, graph, { messages: [{ id: 'wamid.one', from: USER, text: 'a fox in the snow' }] });
    const first = await taskOf(bot);
    await bot.until(first.taskId, 'done');
    const video = graph.messages.find((m) => m.type === 'video');
    await post(bot, graph, { statuses: [{ id: video?.id ?? '', status: 'delivered', recipient: USER }] });
    const offer = await waitFor(async () => graph.messages.find((m) => m.type === 'interactive'));
    const buttons = (offer.body.action as { buttons: { reply: { id: string; title: string } }[] }).buttons.map((b) => b.reply);
    expect(buttons.map((b) => b.id)).toEqual(['again', 'landscape']);

    const landscape = buttons[1] ?? { id: '', title: '' };
    await post(bot, graph, { messages: [{ id: 'wamid.tap', from: USER, buttonReply: landscape, context: offer.id }] });
    const second = await waitFor(async () => {
      const [latest] = await bot.vidbot.store.listTasks({ from: `whatsapp:+${USER}`, limit: 1 });
      return latest?.taskId !== first.taskId ? latest : undefined;
    });
    expect(second).toMatchObject({ prompt: 'a fox in the snow', channel: 'cloud-api', options: expect.objectContaining({ orientation: 'landscape' }) });
    await bot.until(second.taskId, 'done');
  });

  it('sends the approved template when Meta says the 24-hour window has closed (131047)', async () => {
    const { bot, graph } = await startCloud({ WHATSAPP_TEMPLATE_NAME: 'video_ready', PUBLIC_BASE_URL: '' });
    graph.failNext({ status: 400, code: 131047, message: '(#131047) Re-engagement message', type: 'video' });
    await post(bot, graph, { messages: [{ id: 'wamid.late', from: USER, text: 'a comet over the desert' }] });
    const task = await taskOf(bot);
    const done = await bot.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', delivery: expect.objectContaining({ fallback: 'template' }) });
    const template = graph.messages.find((m) => m.type === 'template');
    expect(template).toMatchObject({ to: USER, body: expect.objectContaining({ name: 'video_ready', language: { code: 'en_US' } }) });
  });

  it('serves a Twilio user and a Cloud API user at once, each on their own channel', async () => {
    const { bot, graph } = await startCloud();
    const [twiml] = await Promise.all([
      bot.say('whatsapp:+15550009999', 'a train through the mountains'),
      post(bot, graph, { messages: [{ id: 'wamid.both', from: USER, text: 'a whale in the clouds' }] }),
    ]);
    expect(twiml).toContain('Generating your video');
    const twilioTask = await taskOf(bot, '15550009999');
    const cloudTask = await taskOf(bot);
    await Promise.all([bot.until(twilioTask.taskId, 'done'), bot.until(cloudTask.taskId, 'done')]);
    expect(twilioTask.channel).toBe('twilio');
    expect(cloudTask.channel).toBe('cloud-api');
    const twilioVideo = await waitFor(async () => bot.fake.messages.find((m) => m.mediaUrls.length > 0));
    expect(twilioVideo.to).toBe('whatsapp:+15550009999');
    expect(graph.messages.some((m) => m.to === USER && m.type === 'video')).toBe(true);
    expect(graph.messages.some((m) => m.to === '15550009999')).toBe(false);
    expect(bot.fake.messages.some((m) => m.to.includes(USER))).toBe(false);
  });
});
