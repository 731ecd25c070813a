/**
 * The OpenAI transcriber on the official SDK against the loopback OpenAI fake, with a real Opus
 * voice note (espeak-ng speech encoded by ffmpeg): what goes over the wire, the one short retry,
 * and how each failure maps to the error catalogue.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type VidbotError, isVidbotError } from '../../src/lib/errors.ts';
import { type OpenAITranscriberOptions, createOpenAITranscriber } from '../../src/lib/transcriber/openai.ts';
import { FAKE_TRANSCRIPT, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { type VoiceNote, makeVoiceNote } from '../helpers/speech.ts';

const KEY = 'sk-test-transcribe-0123456789';

let dir: string;
let ogg: VoiceNote;
let webm: VoiceNote;
let fake: FakeOpenAI;

beforeAll(async () => {
  dir = await makeTempDir('vidbot-transcribe-');
  ogg = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'ogg');
  webm = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'webm');
});
afterAll(async () => {
  await removeDir(dir);
});
beforeEach(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterEach(async () => {
  await fake.close();
});

const transcriber = (over: Partial<OpenAITranscriberOptions> = {}) =>
  createOpenAITranscriber({ apiKey: KEY, model: 'gpt-4o-mini-transcribe', baseUrl: fake.url, ...over });

const failure = async (run: Promise<unknown>): Promise<VidbotError> => {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVidbotError(error)) throw new Error(`expected a VidbotError, got ${String(error)}`);
  return error;
};

describe('createOpenAITranscriber', () => {
  it('uploads the Opus bytes as a named Ogg file with the model, and returns the text', async () => {
    fake.setTranscript(() => '  A red balloon over the sea.  ');
    const t = transcriber();
    expect(t).toMatchObject({ name: 'openai', model: 'gpt-4o-mini-transcribe' });
    expect(ogg.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');

    expect(await t.transcribe(ogg.file)).toEqual({ text: 'A red balloon over the sea.' });

    expect(fake.requests).toMatchObject([{ method: 'POST', path: '/v1/audio/transcriptions', authorization: `Bearer ${KEY}` }]);
    const [sent] = fake.transcriptions;
    expect(sent).toMatchObject({ model: 'gpt-4o-mini-transcribe', responseFormat: 'json', fileName: 'voice-note.ogg', fileType: 'audio/ogg' });
    expect(sent?.language).toBeUndefined();
    expect(sent?.bytes.equals(ogg.bytes)).toBe(true);
  });

  it("names a browser's WebM recording by its bytes, passes the language, and reports whisper-1's duration", async () => {
    const t = transcriber({ model: 'whisper-1' });
    const result = await t.transcribe(webm.file, { language: 'en' });
    expect(result).toMatchObject({ text: FAKE_TRANSCRIPT, language: 'en', durationSec: expect.any(Number) });
    expect(fake.transcriptions[0]).toMatchObject({ model: 'whisper-1', language: 'en', fileName: 'voice-note.webm', fileType: 'audio/webm' });
    expect(fake.transcriptions[0]?.bytes.equals(webm.bytes)).toBe(true);
  });

  it('retries a 429 once when its Retry-After is short, and fails at once when it is long', async () => {
    fake.failNext({ status: 429, retryAfter: 1 });
    const started = Date.now();
    expect((await transcriber().transcribe(ogg.file)).text).toBe(FAKE_TRANSCRIPT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // The 429 was answered before its form was read: only the retry's upload reached the model.
    expect(fake.transcriptions).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);

    fake.failNext({ status: 429, retryAfter: 20 });
    const error = await failure(transcriber().transcribe(ogg.file));
    expect(error).toMatchObject({ code: 'VIDBOT_TRANSCRIPTION_FAILED', retryable: true, details: { status: 429 } });
    expect(error.message).toBe('OpenAI rate limit (429).');
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up after one retry of a 5xx, and does not retry an exhausted quota', async () => {
    fake.failNext({ status: 500, times: 2 });
    const error = await failure(transcriber().transcribe(ogg.file));
    expect(error).toMatchObject({ code: 'VIDBOT_TRANSCRIPTION_FAILED', retryable: true, details: { status: 500 } });
    expect(error.message).toContain('OpenAI error 500');
    expect(fake.requests).toHaveLength(2);

    fake.failNext({ status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota.' });
    const quota = await failure(transcriber().transcribe(ogg.file));
    expect(quota).toMatchObject({ code: 'VIDBOT_TRANSCRIPTION_FAILED', retryable: false, message: 'OpenAI quota exceeded (429).' });
    expect(fake.requests).toHaveLength(3);
  });

  it('maps a rejected key and an unknown model to configuration errors with their fix', async () => {
    const badKey = await failure(transcriber({ apiKey: 'sk-wrong-key-0000' }).transcribe(ogg.file));
    expect(badKey).toMatchObject({ code: 'VIDBOT_CONFIG_INVALID', retryable: false, details: { status: 401 } });
    expect(badKey.message).toContain('OPENAI_API_KEY');
    expect(badKey.hint).toContain('OPENAI_API_KEY');

    const model = await failure(transcriber({ model: 'gpt-nonexistent-transcribe' }).transcribe(ogg.file));
    expect(model).toMatchObject({ code: 'VIDBOT_CONFIG_INVALID', details: { status: 404 } });
    expect(model.hint).toContain('OPENAI_TRANSCRIBE_MODEL');
    expect(fake.requests).toHaveLength(2);
  });

  it('passes on what the API says of a file that is not audio, without retrying', async () => {
    const text = join(dir, 'not-audio.ogg');
    await writeFile(text, 'this is not a voice note');
    const error = await failure(transcriber().transcribe(text));
    expect(error).toMatchObject({ code: 'VIDBOT_TRANSCRIPTION_FAILED', retryable: false, details: { status: 400 } });
    expect(error.message).toContain('Invalid file format');
    expect(fake.requests).toHaveLength(1);
  });

  it("stops at the caller's signal, and times out on its own limit", async () => {
    fake.hang();
    const controller = new AbortController();
    const pending = transcriber().transcribe(ogg.file, { signal: controller.signal });
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(1);
    controller.abort();
    expect((await failure(pending)).code).toBe('VIDBOT_CANCELED');

    const timedOut = await failure(transcriber({ timeoutMs: 300 }).transcribe(ogg.file));
    expect(timedOut).toMatchObject({ code: 'VIDBOT_TIMEOUT', retryable: true });
    expect(timedOut.message).toContain('300 ms');
  });
});
