import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isVidbotError, type VidbotError } from '../../src/lib/errors.ts';
import { createTwilioMessenger, type TwilioMessengerOptions } from '../../src/lib/messenger/twilio.ts';
import { applyStatusCallback, parseStatusCallback } from '../../src/lib/messenger/twilio-status.ts';
import type { Store } from '../../src/lib/store/port.ts';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'secret-token';
const FROM = 'whatsapp:+14155238886';
const USER = 'whatsapp:+15550001111';
const VIDEO = 'https://cdn.example.com/v/clip.mp4';
const HOUR = 3600 * 1000;

let dir: string;
let store: Store;
let fake: FakeTwilio;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-twilio-'));
  store = createSqliteStore({ file: join(dir, 'vidbot.db') });
  fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
  // The user wrote in just now: the 24-hour window is open unless a test says otherwise.
  await store.claimInbound({ messageSid: `SM${'0'.repeat(32)}`, from: USER });
});

afterEach(async () => {
  await fake.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const messenger = (over: Partial<TwilioMessengerOptions> = {}) =>
  createTwilioMessenger({ accountSid: ACCOUNT, authToken: TOKEN, from: FROM, store, apiBaseUrl: fake.url, ...over });

const caught = async (promise: Promise<unknown>): Promise<VidbotError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVidbotError(error)) throw new Error(`expected a VidbotError, got ${String(error)}`);
  return error;
};

const expectCode = (error: VidbotError, code: ErrorCode, retryable: boolean): void => {
  expect(error.code).toBe(code);
  expect(error.retryable).toBe(retryable);
};

describe('createTwilioMessenger: sending', () => {
  it('sends text through the SDK, signed with basic auth, and records it', async () => {
    const sent = await messenger().send({ to: USER, body: 'Working on it…', kind: 'progress' });

    expect(sent).toMatchObject({ status: 'queued', duplicate: false });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.authorized).toBe(true);
    expect(fake.messages).toEqual([expect.objectContaining({ sid: sent.sid, to: USER, from: FROM, body: 'Working on it…' })]);
    expect(await store.findOutbound({ sid: sent.sid })).toMatchObject({ to: USER, kind: 'progress', status: 'queued' });
  });

  it('sends media with a status callback and prefixes bare numbers for a WhatsApp sender', async () => {
    const statusCallbackUrl = 'https://bot.example.com/whatsapp/status';
    const sent = await messenger({ statusCallbackUrl }).send({ to: '+15550001111', body: 'Here it is', mediaUrl: VIDEO });

    const form = fake.requests[0]?.form;
    expect(form?.getAll('MediaUrl')).toEqual([VIDEO]);
    expect(form?.get('StatusCallback')).toBe(statusCallbackUrl);
    expect(form?.get('To')).toBe(USER);
    expect(await store.findOutbound({ sid: sent.sid })).toMatchObject({ mediaUrl: VIDEO, body: 'Here it is', to: USER });
  });

  it('sends a task result once, however often it is asked to', async () => {
    const m = messenger();
    const message = { to: USER, body: 'Your video', mediaUrl: VIDEO, taskId: 'task-1', kind: 'result' } as const;
    const first = await m.send(message);
    const second = await m.send(message);
    const third = await messenger().send(message); // another process, same store

    expect(second).toEqual({ sid: first.sid, status: first.status, duplicate: true });
    expect(third.duplicate).toBe(true);
    expect(fake.messages).toHaveLength(1);
    // Progress and notices for the same task are not deduplicated.
    await m.send({ to: USER, body: 'still here', taskId: 'task-1', kind: 'notice' });
    await m.send({ to: USER, body: 'still here', taskId: 'task-1', kind: 'notice' });
    expect(fake.messages).toHaveLength(3);
  });

  it('falls back to a text message holding the link when Twilio refuses the media', async () => {
    fake.failNext({ status: 400, code: 63019, message: 'Media failed to download' });
    const sent = await messenger().send({ to: USER, body: 'Your video', mediaUrl: VIDEO, taskId: 't', kind: 'result' });

    expect(fake.requests).toHaveLength(2);
    expect(fake.messages).toEqual([expect.objectContaining({ sid: sent.sid, body: `Your video\n${VIDEO}`, mediaUrls: [] })]);
    expect(await store.findOutbound({ taskId: 't', kind: 'result' })).toMatchObject({ sid: sent.sid, body: `Your video\n${VIDEO}` });
  });
});

describe('createTwilioMessenger: errors', () => {
  it('maps 401/20003 to VIDBOT_MESSENGER_AUTH with a hint naming the settings', async () => {
    const error = await caught(messenger({ authToken: 'wrong' }).send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_MESSENGER_AUTH', false);
    expect(error.message).toContain('20003');
    expect(error.hint).toMatch(/TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN/);
    expect(fake.requests[0]?.authorized).toBe(false);
    expect(await store.listOutbound()).toEqual([]);
  });

  it.each([
    [500, 20500],
    [503, 20503],
    [429, 20429],
  ])('maps HTTP %i to a retryable VIDBOT_MESSENGER_FAILED, even with media', async (status, code) => {
    fake.failNext({ status, code, message: 'Try later' });
    const error = await caught(messenger().send({ to: USER, body: 'hi', mediaUrl: VIDEO }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', true);
    expect(fake.requests).toHaveLength(1); // no text fallback for transient failures
    expect(await store.listOutbound()).toEqual([]);
  });

  it('maps other 4xx to a final failure carrying Twilio code and message, and records it', async () => {
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const error = await caught(messenger().send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', false);
    expect(error.message).toContain('21211');
    expect(error.message).toContain('not a valid phone number');
    expect((await store.listOutbound())[0]).toMatchObject({ status: 'failed', errorCode: '21211' });
  });

  it('maps an unreachable API to a retryable failure', async () => {
    await fake.close();
    const error = await caught(messenger().send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', true);
    fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
  });

  it('rejects incomplete configuration up front', () => {
    expect(() => messenger({ accountSid: 'SKnope' })).toThrow(expect.objectContaining({ code: 'VIDBOT_CONFIG_INVALID' }));
  });

  it('honours the abort signal: before sending and while a request is in flight', async () => {
    const error = await caught(messenger().send({ to: USER, body: 'hi' }, { signal: AbortSignal.abort() }));
    expectCode(error, 'VIDBOT_CANCELED', false);
    expect(fake.requests).toHaveLength(0);

    fake.setDelay(5000);
    const started = Date.now();
    const inFlight = await caught(messenger().send({ to: USER, body: 'hi' }, { signal: AbortSignal.timeout(100) }));
    expectCode(inFlight, 'VIDBOT_CANCELED', false);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await store.listOutbound()).toEqual([]);
  });
});

describe('createTwilioMessenger: the 24-hour window', () => {
  const later = (hours: number) => () => Date.now() + hours * HOUR;

  it('sends free-form messages within 24 hours of the last inbound message', async () => {
    await messenger({ now: later(23) }).send({ to: USER, body: 'hi' });
    expect(fake.messages).toHaveLength(1);
  });

  it.each([
    ['an old conversation', USER, later(25)],
    ['a recipient who never wrote in', 'whatsapp:+15559999999', Date.now],
  ])('without a template, refuses %s without calling Twilio', async (_, to, now) => {
    const error = await caught(messenger({ now }).send({ to, body: 'Your video', mediaUrl: VIDEO, taskId: 'w', kind: 'result' }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', false);
    expect(error.message).toContain('24 hours');
    expect(error.hint).toContain('TWILIO_CONTENT_SID');
    expect(fake.requests).toHaveLength(0);
    expect(await store.findOutbound({ taskId: 'w', kind: 'result' })).toMatchObject({ to, status: 'failed', errorCode: '63016' });
  });

  it('lets a failed result be sent on a later attempt, replacing the failure record', async () => {
    const message = { to: USER, body: 'Your video', mediaUrl: VIDEO, taskId: 'w', kind: 'result' } as const;
    await caught(messenger({ now: later(25) }).send(message));
    const sent = await messenger().send(message);
    expect(sent.duplicate).toBe(false);
    expect(await store.listOutbound({ taskId: 'w' })).toEqual([
      expect.objectContaining({ sid: sent.sid, status: 'queued', kind: 'result' }),
    ]);
    expect((await store.listOutbound({ taskId: 'w' }))[0]?.errorCode).toBeUndefined();
  });

  it('sends the approved template outside the window when TWILIO_CONTENT_SID is set', async () => {
    const contentSid = `HX${'b2'.repeat(16)}`;
    const sent = await messenger({ now: later(30), contentSid }).send({ to: USER, body: 'Your video:', mediaUrl: VIDEO });
    const form = fake.requests[0]?.form;
    expect(form?.get('ContentSid')).toBe(contentSid);
    expect(form?.get('Body')).toBeNull();
    expect(JSON.parse(form?.get('ContentVariables') ?? '')).toEqual({ 1: `Your video: ${VIDEO}` });
    expect(await store.findOutbound({ sid: sent.sid })).toMatchObject({ status: 'queued' });
  });

  it('with enforceWindow off, sends anyway and maps Twilio\'s own 63016 answer', async () => {
    fake.failNext({ status: 400, code: 63016, message: 'Outside the allowed window' });
    const error = await caught(messenger({ enforceWindow: false }).send({ to: 'whatsapp:+15559999999', body: 'hi' }));
    expect(error.hint).toContain('TWILIO_CONTENT_SID');
    expect(fake.requests).toHaveLength(1);
    // SMS has no window.
    await messenger({ from: '+15550000000' }).send({ to: '+15559999999', body: 'hi' });
    expect(fake.messages).toHaveLength(1);
  });
});

describe('status callbacks', () => {
  let receiver: Server;
  let callbackUrl: string;

  beforeEach(async () => {
    // A stand-in for the server's POST /whatsapp/status route: checks the signature, applies the update.
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const fields = Object.fromEntries(new URLSearchParams(raw));
        if (req.headers['x-twilio-signature'] !== getExpectedTwilioSignature(TOKEN, callbackUrl, fields)) {
          res.writeHead(403).end();
          return;
        }
        applyStatusCallback(store, fields).then(
          () => res.writeHead(204).end(),
          () => res.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/whatsapp/status`;
  });

  afterEach(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('moves delivery state forward only, whatever order the callbacks arrive in', async () => {
    const { sid } = await messenger({ statusCallbackUrl: callbackUrl }).send({ to: USER, body: 'hi' });
    const statusOf = async () => (await store.findOutbound({ sid }))?.status;

    expect(await fake.sendStatus(sid, 'sent')).toBe(204);
    expect(await statusOf()).toBe('sent');
    await fake.sendStatus(sid, 'read');
    await fake.sendStatus(sid, 'delivered'); // late
    await fake.sendStatus(sid, 'sent'); // later still
    expect(await statusOf()).toBe('read');
    await fake.sendStatus(sid, 'undelivered', '30008'); // cannot follow a read receipt
    expect(await store.findOutbound({ sid })).toMatchObject({ status: 'read' });
    expect((await store.findOutbound({ sid }))?.errorCode).toBeUndefined();
  });

  it('records failures with their error code and keeps them final', async () => {
    const { sid } = await messenger({ statusCallbackUrl: callbackUrl }).send({ to: USER, body: 'hi', mediaUrl: VIDEO });
    await fake.sendStatus(sid, 'failed', '63019');
    await fake.sendStatus(sid, 'sent');
    expect(await store.findOutbound({ sid })).toMatchObject({ status: 'failed', errorCode: '63019' });
  });

  it('parses the form and ignores unknown messages and inbound statuses', async () => {
    expect(parseStatusCallback({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({
      sid: 'SM1',
      status: 'undelivered',
      errorCode: '30003',
    });
    expect(parseStatusCallback({ SmsSid: 'SM1', SmsStatus: 'accepted', ErrorCode: '' })).toEqual({ sid: 'SM1', status: 'queued' });
    expect(parseStatusCallback({ MessageSid: 'SM1', MessageStatus: 'received' })).toBeNull();
    expect(() => parseStatusCallback({ MessageStatus: 'sent' })).toThrow(expect.objectContaining({ code: 'VIDBOT_INPUT_INVALID' }));
    expect(await applyStatusCallback(store, { MessageSid: 'SMunknown', MessageStatus: 'read' })).toMatchObject({ applied: false });
  });
});

describe('the fake Twilio API', () => {
  it('serves inbound media behind basic auth, optionally through a redirect to a CDN', async () => {
    const authorization = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;
    const direct = fake.addMedia(Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg');
    expect(direct).toMatch(/\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Messages\/MM[0-9a-f]{32}\/Media\/ME[0-9a-f]{32}$/);
    expect((await fetch(direct)).status).toBe(401);
    const response = await fetch(direct, { headers: { authorization } });
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0xff, 0xd8, 0xff]);

    const redirected = await fetch(fake.addMedia('png', 'image/png', { redirect: true }), {
      headers: { authorization },
      redirect: 'manual',
    });
    expect(redirected.status).toBe(307);
    expect(await (await fetch(redirected.headers.get('location') ?? '')).text()).toBe('png');
  });
});
