import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isVidbotError, type VidbotError } from '../../src/lib/errors.ts';
import { createTwilioChannel, type TwilioChannelOptions } from '../../src/lib/channel/twilio/index.ts';
import { parseStatusCallback } from '../../src/lib/channel/twilio/status.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'secret-token';
const FROM = 'whatsapp:+14155238886';
const USER = 'whatsapp:+15550001111';
const VIDEO = 'https://cdn.example.com/v/clip.mp4';

let fake: FakeTwilio;

beforeEach(async () => {
  fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
});

afterEach(async () => {
  await fake.close();
});

const messenger = (over: Partial<TwilioChannelOptions> = {}) =>
  createTwilioChannel({ accountSid: ACCOUNT, authToken: TOKEN, from: FROM, apiBaseUrl: fake.url, ...over });

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
  it('sends text through the SDK, signed with basic auth, and says what Twilio answered', async () => {
    const sent = await messenger().send({ to: USER, body: 'Working on it…' });

    expect(sent.status).toBe('queued');
    expect(sent.messageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.authorized).toBe(true);
    expect(fake.messages).toEqual([expect.objectContaining({ sid: sent.messageId, to: USER, from: FROM, body: 'Working on it…' })]);
  });

  it('sends media with a status callback naming the record, and prefixes bare numbers for a WhatsApp sender', async () => {
    const statusCallbackUrl = 'https://bot.example.com/whatsapp/status';
    await messenger({ statusCallbackUrl }).send({ to: '+15550001111', body: 'Here it is', mediaUrl: VIDEO }, { reference: 't1:result:1' });

    const form = fake.requests[0]?.form;
    expect(form?.getAll('MediaUrl')).toEqual([VIDEO]);
    expect(form?.get('StatusCallback')).toBe(`${statusCallbackUrl}?ref=t1%3Aresult%3A1`);
    expect(form?.get('To')).toBe(USER);
  });

  it('sends the approved template with its variables', async () => {
    const contentSid = `HX${'b2'.repeat(16)}`;
    const m = messenger({ contentSid });
    const sent = await m.sendTemplate?.({ to: USER, body: 'Your video:', mediaUrl: VIDEO });
    const form = fake.requests[0]?.form;
    expect(form?.get('ContentSid')).toBe(contentSid);
    expect(form?.get('Body')).toBeNull();
    expect(JSON.parse(form?.get('ContentVariables') ?? '')).toEqual({ 1: `Your video: ${VIDEO}` });
    expect(sent?.status).toBe('queued');
    expect(messenger().sendTemplate).toBeUndefined();
  });

  it('says the 24-hour rule applies only to a WhatsApp sender', () => {
    expect(messenger().enforcesWindow).toBe(true);
    expect(messenger({ from: '+15550000000' }).enforcesWindow).toBe(false);
  });

  it('finds a message it sent, by recipient, text and time, and nothing else', async () => {
    const m = messenger();
    const since = Date.now();
    await m.send({ to: USER, body: 'older, other text' });
    const sent = await m.send({ to: USER, body: 'the one', mediaUrl: VIDEO });
    await m.send({ to: 'whatsapp:+15550002222', body: 'the one', mediaUrl: VIDEO });
    expect(await m.findSent?.({ to: USER, since, body: 'the one', withMedia: true })).toEqual({ messageId: sent.messageId, status: 'queued' });
    expect(await m.findSent?.({ to: USER, since, body: 'the one', withMedia: false })).toBeNull();
    expect(await m.findSent?.({ to: USER, since, body: 'never sent' })).toBeNull();
    expect(await m.findSent?.({ to: 'whatsapp:+15550009999', since })).toBeNull();
    // Long after: Twilio's older messages do not count.
    expect(await m.findSent?.({ to: USER, since: Date.now() + 3_600_000, body: 'the one' })).toBeNull();
  });
});

describe('createTwilioMessenger: errors', () => {
  it('maps 401/20003 to VIDBOT_MESSENGER_AUTH with a hint naming the settings', async () => {
    const error = await caught(messenger({ authToken: 'wrong' }).send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_MESSENGER_AUTH', false);
    expect(error.message).toContain('20003');
    expect(error.hint).toMatch(/TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN/);
    expect(fake.requests[0]?.authorized).toBe(false);
  });

  it.each([
    [500, 20500, true],
    [503, 20503, true],
    [429, 20429, false],
  ])('maps HTTP %i to a retryable VIDBOT_MESSENGER_FAILED (ambiguous: %s)', async (status, code, ambiguous) => {
    fake.failNext({ status, code, message: 'Try later' });
    const error = await caught(messenger().send({ to: USER, body: 'hi', mediaUrl: VIDEO }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', true);
    expect(error.details.ambiguous).toBe(ambiguous);
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    [21211, 'recipient'],
    [21610, 'recipient'],
    [21606, 'sender'],
    [63019, 'media'],
    [21620, 'media'],
    [63016, 'window'],
    [30007, 'other'],
  ])('maps a 400 with code %i to a final VIDBOT_DELIVERY_REFUSED (%s)', async (code, refusal) => {
    fake.failNext({ status: 400, code, message: 'Refused by the fake.' });
    const error = await caught(messenger().send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_DELIVERY_REFUSED', false);
    expect(error.details).toMatchObject({ channelCode: String(code), refusal });
    expect(error.message).toContain(String(code));
    expect(fake.messages).toHaveLength(0);
  });

  it('maps an unreachable API to a retryable failure that surely sent nothing', async () => {
    await fake.close();
    const error = await caught(messenger().send({ to: USER, body: 'hi' }));
    expectCode(error, 'VIDBOT_MESSENGER_FAILED', true);
    expect(error.details.ambiguous).toBe(false);
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
    // The caller's time ran out: no one canceled it.
    expectCode(inFlight, 'VIDBOT_TIMEOUT', true);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('status callbacks', () => {
  let receiver: Server;
  let callbackUrl: string;
  const received: Array<ReturnType<typeof parseStatusCallback>> = [];

  beforeEach(async () => {
    received.length = 0;
    // A stand-in for the server's POST /whatsapp/status route: checks the signature, parses the receipt.
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const fields = Object.fromEntries(new URLSearchParams(raw));
        const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${req.url ?? ''}`;
        if (req.headers['x-twilio-signature'] !== getExpectedTwilioSignature(TOKEN, url, fields)) {
          res.writeHead(403).end();
          return;
        }
        received.push(parseStatusCallback(fields, Object.fromEntries(new URL(url).searchParams)));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/whatsapp/status`;
  });

  afterEach(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('are signed over the callback URL with its reference, and parse into receipts', async () => {
    const { messageId } = await messenger({ statusCallbackUrl: callbackUrl }).send({ to: USER, body: 'hi' }, { reference: 'r1' });
    expect(await fake.sendStatus(messageId, 'undelivered', '63019')).toBe(204);
    expect(received).toEqual([{ messageId, status: 'undelivered', errorCode: '63019', reference: 'r1' }]);
  });

  it('can come before the create is answered', async () => {
    fake.behaveNext({ callbackFirst: { status: 'sent' } });
    const { messageId } = await messenger({ statusCallbackUrl: callbackUrl }).send({ to: USER, body: 'hi' }, { reference: 'r2' });
    expect(received).toEqual([{ messageId, status: 'sent', reference: 'r2' }]);
  });

  it('parse the form and ignore inbound statuses', () => {
    expect(parseStatusCallback({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({
      messageId: 'SM1',
      status: 'undelivered',
      errorCode: '30003',
    });
    expect(parseStatusCallback({ SmsSid: 'SM1', SmsStatus: 'accepted', ErrorCode: '' })).toEqual({ messageId: 'SM1', status: 'queued' });
    expect(parseStatusCallback({ MessageSid: 'SM1', MessageStatus: 'received' })).toBeNull();
    expect(() => parseStatusCallback({ MessageStatus: 'sent' })).toThrow(expect.objectContaining({ code: 'VIDBOT_INPUT_INVALID' }));
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

describe('createTwilioChannel: the typing indicator', () => {
  const INBOUND = `SM${'5e'.repeat(16)}`;

  it("posts the user's MessageSid to Twilio's typing resource through the SDK, with basic auth", async () => {
    await messenger().typing?.({ to: USER, replyingTo: INBOUND });
    expect(fake.typing).toEqual([expect.objectContaining({ channel: 'whatsapp', messageId: INBOUND, authorized: true })]);
    // It is not a message: nothing was sent.
    expect(fake.requests).toEqual([]);
  });

  it('asks nothing for an SMS sender or a recipient outside WhatsApp', async () => {
    await messenger({ from: '+14155238886' }).typing?.({ to: '+15550001111', replyingTo: INBOUND });
    await messenger().typing?.({ to: '+15550001111', replyingTo: INBOUND });
    expect(fake.typing).toEqual([]);
  });

  it("says what Twilio refused: an id that is not the user's inbound message, an outage, bad credentials", async () => {
    const outbound = await messenger().send({ to: USER, body: 'hello' });
    const refused = await caught(messenger().typing?.({ to: USER, replyingTo: outbound.messageId }) ?? Promise.resolve());
    expectCode(refused, 'VIDBOT_MESSENGER_FAILED', false);
    expect(refused.message).toContain('HTTP 400');
    fake.failTyping({ status: 500, code: 20500, message: 'Internal error' });
    expect((await caught(messenger().typing?.({ to: USER, replyingTo: INBOUND }) ?? Promise.resolve())).message).toContain('HTTP 500, error 20500');
    const auth = await caught(messenger({ authToken: 'wrong' }).typing?.({ to: USER, replyingTo: INBOUND }) ?? Promise.resolve());
    expect(auth.code).toBe('VIDBOT_MESSENGER_AUTH');
    expect(fake.typing.map((t) => t.authorized)).toEqual([true, true, false]);
  });
});
