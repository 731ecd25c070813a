/**
 * Reply buttons on the Twilio channel, through the official SDK against the loopback fake: quick-reply
 * content made once per set of choices and reused (after a restart too), messages sent with its
 * ContentSid, and the numbered text whenever the Content API refuses or a content stops working.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioChannel, quickReplyName, type TwilioChannelOptions } from '../../src/lib/channel/twilio/index.ts';
import type { Choice } from '../../src/lib/domain.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';

const ACCOUNT = `AC${'b2'.repeat(16)}`;
const TOKEN = 'buttons-token';
const FROM = 'whatsapp:+14155238886';
const USER = 'whatsapp:+15550002222';
const CHOICES: Choice[] = [
  { id: 'again', title: '🔁 Another take' },
  { id: 'landscape', title: '↔️ Landscape' },
];
const OFFER = { to: USER, body: '🎬 Want another version?', choices: CHOICES };

let fake: FakeTwilio;
beforeEach(async () => {
  fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
});
afterEach(async () => {
  await fake.close();
});

const channel = (over: Partial<TwilioChannelOptions> = {}) =>
  createTwilioChannel({ accountSid: ACCOUNT, authToken: TOKEN, from: FROM, apiBaseUrl: fake.url, ...over });

describe('Twilio reply buttons', () => {
  it('sends choices as quick-reply content made once, with the text as its variable', async () => {
    const twilio = channel();
    const first = await twilio.send(OFFER);
    const second = await twilio.send({ ...OFFER, body: 'Another one?' });

    expect(first.presented).toBe('buttons');
    expect(second.presented).toBe('buttons');
    expect(fake.contents).toHaveLength(1);
    const [content] = fake.contents;
    expect(content).toMatchObject({
      friendlyName: quickReplyName(CHOICES),
      language: 'en',
      types: { 'twilio/quick-reply': { body: '{{1}}', actions: [{ id: 'again', title: '🔁 Another take' }, { id: 'landscape', title: '↔️ Landscape' }] } },
    });
    expect(fake.messages.map((m) => [m.contentSid, JSON.parse(m.contentVariables ?? '{}'), m.body])).toEqual([
      [content?.sid, { '1': '🎬 Want another version?' }, '🎬 Want another version?'],
      [content?.sid, { '1': 'Another one?' }, 'Another one?'],
    ]);
    // Looked up once, made once: the second send reused the sid from memory.
    expect(fake.contentRequests).toEqual(['GET /v1/Content', 'POST /v1/Content']);
  });

  it('finds the content an earlier process made by its name instead of making another', async () => {
    await channel().send(OFFER);
    const restarted = channel();
    await restarted.send(OFFER);
    await restarted.send({ ...OFFER, choices: [{ id: 'retry', title: '🔄 Try again' }] });

    expect(fake.contents.map((c) => c.friendlyName)).toEqual([quickReplyName(CHOICES), quickReplyName([{ id: 'retry', title: '🔄 Try again' }])]);
    expect(fake.messages[1]?.contentSid).toBe(fake.contents[0]?.sid);
  });

  it.each([403, 404, 401])('sends numbered text when the Content API refuses (%i), warns once, and stops asking', async (status) => {
    const warnings: string[] = [];
    const twilio = channel({ onWarning: (message) => warnings.push(message) });
    fake.refuseContent(status);

    const first = await twilio.send(OFFER);
    const second = await twilio.send(OFFER);

    expect([first.presented, second.presented]).toEqual(['text', 'text']);
    expect(fake.messages.map((m) => m.body)).toEqual([
      '🎬 Want another version?\n\nReply 1 for 🔁 Another take, 2 for ↔️ Landscape.',
      '🎬 Want another version?\n\nReply 1 for 🔁 Another take, 2 for ↔️ Landscape.',
    ]);
    expect(fake.messages.every((m) => m.contentSid === undefined)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`HTTP ${status}`);
    expect(fake.contentRequests).toHaveLength(1);
  });

  it('sends numbered text while the Content API is unreachable', async () => {
    const warnings: string[] = [];
    const twilio = channel({ onWarning: (message) => warnings.push(message), apiBaseUrl: fake.url });
    fake.refuseContent(503);
    expect((await twilio.send(OFFER)).presented).toBe('text');
    expect(warnings[0]).toContain('could not be reached');
    expect(fake.messages[0]?.body).toContain('Reply 1 for 🔁 Another take');
  });

  it('falls back to text when Twilio refuses a content deleted meanwhile, and makes it again next time', async () => {
    const warnings: string[] = [];
    const twilio = channel({ onWarning: (message) => warnings.push(message) });
    await twilio.send(OFFER);
    const made = fake.contents[0];
    if (made) made.deleted = true;

    const fallback = await twilio.send(OFFER);
    expect(fallback.presented).toBe('text');
    expect(fake.messages.at(-1)?.body).toContain('Reply 1 for 🔁 Another take, 2 for ↔️ Landscape.');
    expect(warnings.join('\n')).toContain('21655');

    const again = await twilio.send(OFFER);
    expect(again.presented).toBe('buttons');
    expect(fake.contents).toHaveLength(2);
    expect(fake.messages.at(-1)?.contentSid).toBe(fake.contents[1]?.sid);
  });

  it('offers the choices of a message with media as text, and finds such a message after a crash', async () => {
    const twilio = channel();
    const since = Date.now();
    const sent = await twilio.send({ ...OFFER, mediaUrl: 'https://cdn.example.com/v.mp4' });
    expect(sent.presented).toBe('text');
    expect(fake.contentRequests).toEqual([]);

    const found = await twilio.findSent?.({ to: USER, since, body: OFFER.body, choices: CHOICES, withMedia: true });
    expect(found?.messageId).toBe(sent.messageId);
    const buttons = await twilio.send(OFFER);
    expect(await twilio.findSent?.({ to: USER, since, body: OFFER.body, choices: CHOICES, withMedia: false })).toMatchObject({ messageId: buttons.messageId });
  });

  it('sends a message without choices as before, and says nothing of presenting them', async () => {
    const sent = await channel().send({ to: USER, body: 'plain' });
    expect(sent.presented).toBeUndefined();
    expect(fake.contentRequests).toEqual([]);
  });
});
