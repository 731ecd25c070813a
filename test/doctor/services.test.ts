import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCloudinary,
  checkNode,
  checkOpenAI,
  checkReplicate,
  checkTwilio,
  checkCloudApi,
  createDoctorContext,
} from '../../src/lib/doctor/index.ts';
import { freePort } from '../helpers/ports.ts';
import { configFrom, type Fakes, startFakes } from './setup.ts';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(() => fakes.close());

const ctx = (env: Record<string, string>, timeoutMs = 5_000) =>
  createDoctorContext(configFrom({ VIDBOT_DATA_DIR: '/nonexistent-doctor-dir', ...env }), { env: { PATH: '' }, timeoutMs });

describe('checkNode', () => {
  it('passes 22.13 and newer, and fails older versions with how to upgrade', () => {
    expect(checkNode('22.13.0').status).toBe('pass');
    expect(checkNode('v24.1.0')).toEqual({ status: 'pass', detail: 'v24.1.0 (needs >= 22.13)' });
    expect(checkNode('23.0.0').status).toBe('pass');
    const old = checkNode('22.12.1');
    expect(old).toMatchObject({ status: 'fail', detail: 'v22.12.1 is older than 22.13' });
    expect(old.fix).toMatch(/Install Node\.js 22\.13 or newer .*nvm install/);
    expect(checkNode('20.18.0').status).toBe('fail');
    expect(checkNode('garbage').status).toBe('fail');
  });
});

describe('service credentials, with the official SDKs against the fakes', () => {
  it('skips services that are not configured', async () => {
    for (const check of [checkTwilio, checkCloudApi, checkReplicate, checkOpenAI, checkCloudinary]) {
      const outcome = await check(ctx({}));
      expect(outcome.status).toBe('skip');
      expect(outcome.detail).toMatch(/^not configured: /);
    }
  });

  it('Twilio: passes good credentials, fails a rejected token naming the variables, warns when unreachable', async () => {
    expect((await checkTwilio(ctx(fakes.env))).status).toBe('pass');
    const wrong = 'fedcba9876543210fedcba9876543210';
    const rejected = await checkTwilio(ctx({ ...fakes.env, TWILIO_AUTH_TOKEN: wrong }));
    expect(rejected.status).toBe('fail');
    expect(rejected.detail).toMatch(/^Twilio rejected TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN \(401\): error 20003/);
    expect(rejected.fix).toContain('TWILIO_AUTH_TOKEN');
    expect(JSON.stringify(rejected)).not.toContain(wrong);

    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await checkTwilio(ctx({ ...fakes.env, TWILIO_API_BASE_URL: closed }));
    expect(down).toMatchObject({ status: 'warn', detail: `could not reach Twilio at ${closed}: ECONNREFUSED; TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN not checked` });
    expect(down.fix).toContain('TWILIO_API_BASE_URL');
  });

  it('Twilio: warns about a partial setup, and fails malformed values before calling, partial or not', async () => {
    // Alone, the token only checks webhook signatures: any secret will do.
    const partial = await checkTwilio(ctx({ TWILIO_AUTH_TOKEN: 'the-servers-own-token' }));
    expect(partial.status).toBe('warn');
    expect(partial.detail).toContain('TWILIO_ACCOUNT_SID, TWILIO_WHATSAPP_FROM not set');
    const shapes = await checkTwilio(ctx({ TWILIO_ACCOUNT_SID: 'foo', TWILIO_AUTH_TOKEN: 'short-secret' }));
    expect(shapes).toEqual({
      status: 'fail',
      detail:
        'TWILIO_ACCOUNT_SID "foo..." is not an account SID (AC followed by 32 hex digits); ' +
        'TWILIO_AUTH_TOKEN is not an auth token (32 hex digits; it has 12 characters, not all hex digits)',
      fix: 'Copy the Account SID (AC...) from your Twilio console. Copy the Auth Token from your Twilio console (Account Info, "Show").',
    });
    expect(JSON.stringify(shapes)).not.toContain('short-secret');
    const sender = await checkTwilio(ctx({ ...fakes.env, TWILIO_WHATSAPP_FROM: '+1415' }));
    expect(sender).toMatchObject({ status: 'fail', detail: 'TWILIO_WHATSAPP_FROM=+1415 is not a number in international format (whatsapp:+ and its digits)' });
    // Told offline: with Twilio out of reach the answer is the same.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const offline = await checkTwilio(ctx({ ...fakes.env, TWILIO_AUTH_TOKEN: 'abc', TWILIO_API_BASE_URL: closed }));
    expect(offline).toMatchObject({ status: 'fail', detail: 'TWILIO_AUTH_TOKEN is not an auth token (32 hex digits; it has 3 characters)' });
    const sid = await checkTwilio(ctx({ ...fakes.env, TWILIO_ACCOUNT_SID: 'SK123' }));
    expect(sid.status).toBe('fail');
    expect(sid.detail).toContain('TWILIO_ACCOUNT_SID');
    const sms = await checkTwilio(ctx({ ...fakes.env, TWILIO_WHATSAPP_FROM: '+14155238886' }));
    expect(sms.status).toBe('warn');
    expect(sms.detail).toContain('no whatsapp: prefix');
  });

  it('Replicate: passes, fails a rejected REPLICATE_API_TOKEN, warns on a timeout', async () => {
    expect(await checkReplicate(ctx(fakes.env))).toEqual({ status: 'pass', detail: 'token accepted: user fake-user; model minimax/video-01' });
    const rejected = await checkReplicate(ctx({ ...fakes.env, REPLICATE_API_TOKEN: 'r8_wrong' }));
    expect(rejected).toMatchObject({ status: 'fail', detail: 'Replicate rejected REPLICATE_API_TOKEN (401): You did not pass a valid authentication token' });
    expect(rejected.fix).toContain('REPLICATE_API_TOKEN');

    fakes.replicate.hangNext();
    const slow = await checkReplicate(ctx(fakes.env, 300));
    expect(slow.status).toBe('warn');
    expect(slow.detail).toContain('did not answer');
    const provider = await checkReplicate(ctx({ VIDBOT_PROVIDER: 'replicate' }));
    expect(provider).toMatchObject({ status: 'fail', detail: 'VIDBOT_PROVIDER=replicate but REPLICATE_API_TOKEN is not set' });
  });

  it('OpenAI: passes, fails a rejected OPENAI_API_KEY and an unknown OPENAI_MODEL', async () => {
    expect(await checkOpenAI(ctx(fakes.env))).toEqual({
      status: 'pass',
      detail: 'key accepted; model gpt-4.1-mini available; voice notes on, transcribed by gpt-4o-mini-transcribe',
    });
    const rejected = await checkOpenAI(ctx({ ...fakes.env, OPENAI_API_KEY: 'sk-wrong-key-0000' }));
    expect(rejected.status).toBe('fail');
    expect(rejected.detail).toMatch(/^OpenAI rejected OPENAI_API_KEY \(401\): Incorrect API key provided/);
    const model = await checkOpenAI(ctx({ ...fakes.env, OPENAI_MODEL: 'gpt-nonexistent' }));
    expect(model).toMatchObject({ status: 'fail', detail: 'OpenAI accepted OPENAI_API_KEY but has no model OPENAI_MODEL=gpt-nonexistent for it (404)' });
    const transcribe = await checkOpenAI(ctx({ ...fakes.env, OPENAI_TRANSCRIBE_MODEL: 'whisper-9' }));
    expect(transcribe).toMatchObject({ status: 'fail', detail: expect.stringContaining('OPENAI_TRANSCRIBE_MODEL=whisper-9') });
    expect(transcribe.fix).toContain('VIDBOT_VOICE_NOTES=false');
    const off = await checkOpenAI(ctx({ ...fakes.env, OPENAI_TRANSCRIBE_MODEL: 'whisper-9', VIDBOT_VOICE_NOTES: 'false' }));
    expect(off).toMatchObject({ status: 'pass', detail: expect.stringContaining('voice notes off (VIDBOT_VOICE_NOTES=false)') });
    expect((await checkOpenAI(ctx({}))).detail).toContain('voice notes are off (set OPENAI_API_KEY to transcribe them)');
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const down = await checkOpenAI(ctx({ ...fakes.env, OPENAI_BASE_URL: closed }));
    expect(down.status).toBe('warn');
    expect(down.detail).toMatch(/^could not reach OpenAI at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('Cloudinary: pings with CLOUDINARY_URL, fails a wrong secret without printing it, fails a malformed URL', async () => {
    expect((await checkCloudinary(ctx(fakes.env))).status).toBe('pass');
    const wrong = fakes.cloudinary.cloudinaryUrl.replace(fakes.cloudinary.apiSecret, 'not-the-secret');
    const rejected = await checkCloudinary(ctx({ ...fakes.env, CLOUDINARY_URL: wrong }));
    expect(rejected.status).toBe('fail');
    expect(rejected.detail).toMatch(/^Cloudinary rejected CLOUDINARY_URL \(API key and secret\) \(401\)/);
    expect(JSON.stringify(rejected)).not.toContain('not-the-secret');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await checkCloudinary(ctx({ CLOUDINARY_URL: `cloudinary://k:s@c?upload_prefix=${closed}` }));
    expect(down).toMatchObject({ status: 'warn', detail: `could not reach Cloudinary at ${closed}: ECONNREFUSED; CLOUDINARY_URL (API key and secret) not checked` });
    fakes.cloudinary.hangNext();
    const slow = await checkCloudinary(ctx(fakes.env, 300));
    expect(slow).toMatchObject({ status: 'warn', detail: expect.stringContaining('no answer within 300 ms') });
    const malformed = await checkCloudinary(ctx({ CLOUDINARY_URL: 'https://nope' }));
    expect(malformed).toMatchObject({ status: 'fail', detail: 'CLOUDINARY_URL is invalid: it must start with cloudinary://.' });
  });
});
