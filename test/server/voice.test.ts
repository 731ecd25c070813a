/**
 * Voice-note prompts over real sockets: a signed Twilio webhook carries a real Opus voice note
 * (espeak-ng speech encoded by ffmpeg) hosted by the Twilio fake; the bot fetches it under
 * Twilio's media rules, transcribes it through the official OpenAI SDK against the OpenAI fake,
 * and queues the transcript as the prompt for the worker.
 */
import { readdir } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITED_PREFIX, alreadyHaveText } from '../../src/lib/bot/replies.ts';
import { notAPromptTexts, voiceTexts } from '../../src/lib/bot/replies-media.ts';
import { FAKE_TRANSCRIPT, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { useBots } from '../helpers/bot.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { type FormParams, newMessageSid, whatsappText } from '../helpers/server.ts';
import { type VoiceNote, makeAmrNote, makeVoiceNote } from '../helpers/speech.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550002222';
/** Words a WhatsApp user cannot act on: settings, tools, operator steps. */
const OPERATOR_WORDING = /OPENAI|VIDBOT_|API[ _]key|ffmpeg|environment|\bset\b|\.env|config/i;

const startBot = useBots();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

let dir: string;
let voice: VoiceNote;
beforeAll(async () => {
  dir = await makeTempDir('vidbot-voice-');
  voice = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'ogg');
  expect(voice.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
});
afterAll(async () => {
  await removeDir(dir);
});

const startOpenAI = async (): Promise<FakeOpenAI> => {
  const openai = await startFakeOpenAI();
  cleanups.push(() => openai.close());
  return openai;
};

/** OpenAI for voice notes only: polishing is off so the task's prompt is the transcript itself. */
const openaiEnv = (openai: FakeOpenAI): Record<string, string> => ({ OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url, VIDBOT_POLISH: 'false' });

/** The fields Twilio posts for a WhatsApp voice note. */
const voiceNote = (url: string, contentType = 'audio/ogg', messageSid = newMessageSid()): FormParams => ({
  ...whatsappText(USER, '', messageSid),
  MessageType: 'audio',
  NumMedia: '1',
  MediaUrl0: url,
  MediaContentType0: contentType,
});

describe('voice-note prompts through the Twilio webhook', () => {
  it('transcribes the Opus voice note through OpenAI, echoes it, and makes the video from the transcript', async () => {
    const openai = await startOpenAI();
    const warnings: string[] = [];
    const bot = await startBot(openaiEnv(openai), { onWarning: (w) => warnings.push(w) });
    // Twilio answers its media URL with a redirect to an unauthenticated CDN URL, as the real one does.
    const url = bot.fake.addMedia(voice.bytes, 'audio/ogg', { redirect: true });
    const sid = newMessageSid();

    const ack = await bot.post(voiceNote(url, 'audio/ogg', sid));
    expect(ack.status).toBe(200);
    expect(ack.text.startsWith(`🎙️ I heard: "${FAKE_TRANSCRIPT}"\n`)).toBe(true);
    expect(ack.text).toContain('Generating your video');

    // The real Opus bytes reached the transcription API, named so it can tell the format.
    expect(openai.transcriptions).toHaveLength(1);
    expect(openai.transcriptions[0]).toMatchObject({ model: 'gpt-4o-mini-transcribe', fileName: 'voice-note.ogg', fileType: 'audio/ogg' });
    expect(openai.transcriptions[0]?.bytes.equals(voice.bytes)).toBe(true);

    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    expect(task).toMatchObject({ prompt: FAKE_TRANSCRIPT, messageId: sid, channel: 'twilio' });
    expect(task?.options.firstFrameImage).toBeUndefined();
    // The session log keeps what was said; the recording itself is not kept.
    const session = await bot.vidbot.store.getSession(USER);
    expect(session?.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', ''],
      ['user', FAKE_TRANSCRIPT],
      ['bot', ack.text],
    ]);
    expect(session?.messages[1]?.meta).toMatchObject({
      messageSid: sid,
      voiceNote: { contentType: 'audio/ogg', transcriber: 'openai', model: 'gpt-4o-mini-transcribe' },
    });
    expect(await readdir(join(bot.vidbot.paths.dataDir, 'inbound'))).toEqual([]);

    // Twilio retrying the webhook gets the same answer; nothing is transcribed or queued again.
    expect(await bot.post(voiceNote(url, 'audio/ogg', sid))).toEqual({ status: 200, text: ack.text });
    expect(openai.transcriptions).toHaveLength(1);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);

    const message = await waitFor(async () => bot.fake.messages[0], 60_000);
    expect(message.body).toContain(`"${FAKE_TRANSCRIPT}"`);
    expect(message.mediaUrls).toHaveLength(1);
    expect(await bot.until(task?.taskId ?? '', 'done')).toMatchObject({ prompt: FAKE_TRANSCRIPT });
    expect(await bot.say(USER, '/help')).toContain('🎙️ Or just say it in a voice note');
    expect(warnings).toEqual([]);
  });

  it('answers a spoken "thank you" or "status" as typed ones are, queueing nothing', async () => {
    const openai = await startOpenAI();
    const bot = await startBot(openaiEnv(openai), { workers: false });
    const url = bot.fake.addMedia(voice.bytes, 'audio/ogg');
    openai.setTranscript(() => 'Thank you!');
    expect((await bot.post(voiceNote(url))).text).toBe(notAPromptTexts.thanks);
    openai.setTranscript(() => 'Status.');
    expect((await bot.post(voiceNote(url))).text).toContain("haven't asked for any videos yet");
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
  });

  it('says a spoken prompt is on its way when it repeats one typed a moment ago, and what it heard', async () => {
    const openai = await startOpenAI();
    const bot = await startBot(openaiEnv(openai), { workers: false });
    expect(await bot.say(USER, 'a red kite over the sea')).toContain('Generating your video');
    openai.setTranscript(() => 'A red kite over the sea.');
    const spoken = (await bot.post(voiceNote(bot.fake.addMedia(voice.bytes, 'audio/ogg')))).text;
    expect(spoken).toBe(`${voiceTexts.heard('A red kite over the sea.')}\n⏳ Already on it: "a red kite over the sea" is next in line.\nYou'll get it once, no need to send it again.`);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
  });

  it('tells a spoken prompt whose video arrived a moment ago that it is in the chat, rather than send it again', async () => {
    const openai = await startOpenAI();
    const bot = await startBot(openaiEnv(openai));
    await bot.say(USER, 'a lighthouse in a storm');
    const [typed] = await bot.vidbot.store.listTasks({ from: USER });
    const done = await bot.until(typed?.taskId ?? '', 'done');
    openai.setTranscript(() => 'A lighthouse in a storm.');
    const spoken = (await bot.post(voiceNote(bot.fake.addMedia(voice.bytes, 'audio/ogg')))).text;
    expect(spoken).toBe(`${voiceTexts.heard('A lighthouse in a storm.')}\n${alreadyHaveText(done)}`);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(1);
  });

  it('converts an AMR voice note, which OpenAI does not take, to Ogg Opus before transcribing it', async () => {
    const openai = await startOpenAI();
    const bot = await startBot(openaiEnv(openai), { workers: false });
    const ack = await bot.post(voiceNote(bot.fake.addMedia(makeAmrNote(), 'audio/amr'), 'audio/amr'));
    expect(ack.text.startsWith(`🎙️ I heard: "${FAKE_TRANSCRIPT}"`)).toBe(true);
    expect(openai.transcriptions[0]).toMatchObject({ fileName: 'voice-note.ogg', fileType: 'audio/ogg' });
    expect(openai.transcriptions[0]?.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    const session = await bot.vidbot.store.getSession(USER);
    expect(session?.messages[1]?.meta).toMatchObject({ voiceNote: { contentType: 'audio/amr' } });
    // Neither the recording nor its conversion is kept.
    expect(await readdir(join(bot.vidbot.paths.dataDir, 'inbound'))).toEqual([]);
  });

  it('answers kindly and queues nothing when voice notes are off, and tells the operator why', async () => {
    const warnings: string[] = [];
    const bot = await startBot({}, { workers: false, onWarning: (w) => warnings.push(w) });
    const url = bot.fake.addMedia(voice.bytes, 'audio/ogg');
    const reply = await bot.post(voiceNote(url));
    expect(reply).toEqual({ status: 200, text: voiceTexts.off });
    expect(reply.text).not.toMatch(OPERATOR_WORDING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('OPENAI_API_KEY');
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
    expect((await bot.say(USER, '/help'))).not.toContain('voice note');

    // With a key but voice notes switched off: the same reply, and OpenAI is never asked.
    const openai = await startOpenAI();
    const off: string[] = [];
    const quiet = await startBot({ ...openaiEnv(openai), VIDBOT_VOICE_NOTES: 'false' }, { workers: false, onWarning: (w) => off.push(w) });
    expect((await quiet.post(voiceNote(quiet.fake.addMedia(voice.bytes, 'audio/ogg')))).text).toBe(voiceTexts.off);
    expect(off[0]).toContain('VIDBOT_VOICE_NOTES');
    expect(openai.requests).toHaveLength(0);
    expect(await quiet.vidbot.store.countTasks({ from: USER })).toBe(0);
  });

  it('refuses audio as photos are refused: bytes that are not audio, over the size cap, or from another host', async () => {
    const openai = await startOpenAI();
    const bot = await startBot({ ...openaiEnv(openai), VIDBOT_VOICE_NOTE_MAX_BYTES: String(voice.bytes.length + 500) }, { workers: false });

    const notAudio = await bot.post(voiceNote(bot.fake.addMedia('<html>not a voice note</html>', 'audio/ogg')));
    expect(notAudio.text).toBe(voiceTexts.format);
    const big = bot.fake.addMedia(Buffer.concat([voice.bytes, Buffer.alloc(1_000)]), 'audio/ogg');
    const tooBig = await bot.post(voiceNote(big));
    expect(tooBig.text).toBe(voiceTexts.tooLarge(voice.bytes.length + 500));
    expect(tooBig.text).toContain('That voice note is too long for me');

    // A MediaUrl on another host is never requested, however it is dressed.
    let hits = 0;
    const bait = createHttpServer((_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'audio/ogg' }).end(voice.bytes);
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => bait.close(() => resolve())));
    const baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/voice.ogg`;
    for (const url of [baitUrl, 'https://api.twilio.com.evil.example/voice.ogg', 'file:///etc/passwd']) {
      const refused = await bot.post(voiceNote(url));
      expect(refused).toEqual({ status: 200, text: voiceTexts.failed });
    }
    expect(hits).toBe(0);
    for (const text of [notAudio.text, tooBig.text, voiceTexts.failed]) expect(text).not.toMatch(OPERATOR_WORDING);
    expect(openai.transcriptions).toHaveLength(0);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
  });

  it('says when no words were heard, the transcript is too long, OpenAI fails or is slow', async () => {
    const openai = await startOpenAI();
    const warnings: string[] = [];
    const env = { ...openaiEnv(openai), VIDBOT_PROMPT_MAX_CHARS: '40', VIDBOT_VOICE_NOTE_TIMEOUT_SEC: '1' };
    const bot = await startBot(env, { workers: false, onWarning: (w) => warnings.push(w) });
    const url = bot.fake.addMedia(voice.bytes, 'audio/ogg');
    const say = async () => (await bot.post(voiceNote(url))).text;

    openai.setTranscript(() => ' … ');
    expect(await say()).toBe(voiceTexts.noWords);
    openai.setTranscript(() => 'a red balloon drifting slowly over a calm blue sea at sunset');
    expect(await say()).toBe('📏 That description is 60 characters long. Please keep it to 40 characters or fewer and send it again.');

    openai.failNext({ status: 500, times: 2 });
    expect(await say()).toBe(voiceTexts.failed);
    expect(warnings.at(-1)).toContain('OpenAI error 500');

    // The webhook answers within the voice-note budget, long before Twilio's 15 s timeout.
    openai.hang();
    const started = Date.now();
    expect(await say()).toBe(voiceTexts.tooSlow);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings.at(-1)).toContain('VIDBOT_VOICE_NOTE_TIMEOUT_SEC');
    openai.hang(false);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
    for (const text of [voiceTexts.noWords, voiceTexts.failed, voiceTexts.tooSlow]) expect(text).not.toMatch(OPERATOR_WORDING);
  });

  it('applies the per-sender limits before transcribing: a voice note over them costs no transcription', async () => {
    const openai = await startOpenAI();
    const bot = await startBot({ ...openaiEnv(openai), VIDBOT_RATE_LIMIT: '2', VIDBOT_DAILY_LIMIT: '5' }, { workers: false });
    const url = bot.fake.addMedia(voice.bytes, 'audio/ogg');
    const say = async (messageSid = newMessageSid()) => (await bot.post(voiceNote(url, 'audio/ogg', messageSid))).text;

    // A transcript is a prompt like a typed one, under the same limits, taken once per message.
    const first = await say();
    expect(first).toContain('Generating your video');
    expect(first).toContain('4 of 5 videos left today');
    expect(await bot.say(USER, 'a fox in the snow')).toContain('Generating your video');
    expect(openai.transcriptions).toHaveLength(1);
    expect(await say()).toContain(RATE_LIMITED_PREFIX);
    expect(openai.transcriptions).toHaveLength(1);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);
  });
});
