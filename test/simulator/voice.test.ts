/**
 * A voice recording from the simulator page (`audio`: a data URL, as a browser's recorder makes)
 * goes in as Twilio would post a voice note: the bot fetches it from the simulator's own upload
 * URL over a real socket and transcribes it through the OpenAI fake.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TRANSCRIPT, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { type VoiceNote, makeVoiceNote } from '../helpers/speech.ts';
import { testImage, useSimulatorServers } from './helpers.ts';

const USER = 'whatsapp:+15550001234';

let dir: string;
let webm: VoiceNote;
let openai: FakeOpenAI;
beforeAll(async () => {
  dir = await makeTempDir('vidbot-sim-voice-');
  webm = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'webm');
});
afterAll(async () => {
  await removeDir(dir);
});
afterEach(async () => {
  await openai.close();
});

interface SendAnswer {
  status: number;
  reply: string;
  newTasks: number;
  taskId?: string;
  mediaUrl?: string;
}

describe('voice notes from the simulator', () => {
  const server = useSimulatorServers();

  const start = async () => {
    openai = await startFakeOpenAI();
    const started = await server({ OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url, VIDBOT_POLISH: 'false' });
    await started.app.listen({ port: 0, host: '127.0.0.1' });
    const address = started.app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const send = async (payload: Record<string, unknown>) => {
      const response = await fetch(`${origin}/simulator/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      return { status: response.status, answer: (await response.json()) as SendAnswer };
    };
    return { ...started, origin, send };
  };

  it('transcribes a WebM recording and queues its transcript as the prompt', async () => {
    const { vidbot, origin, send } = await start();
    const audio = `data:audio/webm;codecs=opus;base64,${webm.bytes.toString('base64')}`;
    const { status, answer } = await send({ from: USER, body: '', audio });
    expect(status).toBe(200);
    expect(answer).toMatchObject({ status: 200, newTasks: 1 });
    expect(answer.reply.startsWith(`🎙️ I heard: "${FAKE_TRANSCRIPT}"\n`)).toBe(true);
    expect(answer.mediaUrl?.startsWith(`${origin}/simulator/media/`)).toBe(true);

    const task = await vidbot.store.getTask(answer.taskId ?? '');
    expect(task).toMatchObject({ prompt: FAKE_TRANSCRIPT, channel: 'simulator' });
    expect(openai.transcriptions).toHaveLength(1);
    expect(openai.transcriptions[0]).toMatchObject({ fileName: 'voice-note.webm', fileType: 'audio/webm' });
    expect(openai.transcriptions[0]?.bytes.equals(webm.bytes)).toBe(true);

    // Posted as Twilio posts a voice note: the type its bytes show, on the simulator's own URL.
    const session = await vidbot.store.getSession(USER);
    expect(session?.messages[0]?.meta).toMatchObject({
      fields: { NumMedia: '1', MessageType: 'audio', MediaContentType0: 'audio/webm', MediaUrl0: answer.mediaUrl },
    });
    const served = await fetch(answer.mediaUrl ?? '');
    expect(served.headers.get('content-type')).toBe('audio/webm');
    expect(Buffer.from(await served.arrayBuffer()).equals(webm.bytes)).toBe(true);
  });

  it('refuses what is not a recording, and a photo and a recording together', async () => {
    const { vidbot, send } = await start();
    const { dataUrl } = testImage();
    const audio = `data:audio/webm;base64,${webm.bytes.toString('base64')}`;
    for (const payload of [
      { from: USER, audio: dataUrl },
      { from: USER, audio: 'https://example.com/voice.ogg' },
      { from: USER, audio: 42 },
      { from: USER, image: dataUrl, audio },
    ]) {
      expect((await send(payload)).status).toBe(400);
    }
    // Declared audio whose bytes are not: posted as declared, as Twilio would, and the bot refuses it.
    const { answer } = await send({ from: USER, audio: `data:audio/ogg;base64,${Buffer.from('not a recording').toString('base64')}` });
    expect(answer).toMatchObject({ status: 200, newTasks: 0 });
    expect(answer.reply).toContain("I couldn't play that audio");
    expect(openai.transcriptions).toHaveLength(0);
    expect(await vidbot.store.countTasks({ from: USER })).toBe(0);
  });
});
