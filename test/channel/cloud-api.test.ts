/**
 * The Cloud API adapter against the Graph API fake: batched webhooks, the errors Meta answers
 * (131047 outside the window, 130429 throughput, a 5xx after the message was made, a bad token),
 * uploads and their link fallback, the typing indicator, and the two-step media download.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCloudApiChannel } from '../../src/lib/channel/cloud-api/index.ts';
import { downloadInboundMedia } from '../../src/lib/channel/media.ts';
import type { Channel, ChannelWebhook } from '../../src/lib/channel/port.ts';
import { VidbotError } from '../../src/lib/errors.ts';
import { type FakeGraph, cloudWebhookPayload, signCloudBody, startFakeGraph } from '../fakes/graph-api.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { testImage } from '../simulator/helpers.ts';

const USER = 'whatsapp:+15550002222';

const caught = async (promise: Promise<unknown>): Promise<VidbotError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VidbotError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('the Cloud API adapter', () => {
  let graph: FakeGraph;
  let channel: Channel;
  let dir: string;
  const warnings: string[] = [];
  beforeEach(async () => {
    graph = await startFakeGraph();
    dir = await makeTempDir('vidbot-cloud-');
    warnings.length = 0;
    channel = createCloudApiChannel({
      token: graph.token,
      phoneNumberId: graph.phoneNumberId,
      appSecret: graph.appSecret,
      baseUrl: graph.url,
      rateLimitBackoffMs: 10,
      onWarning: (message) => warnings.push(message),
    });
  });
  afterEach(async () => {
    await graph.close();
    await removeDir(dir);
  });

  const post = (): ChannelWebhook => channel.webhooks.find((hook) => hook.method === 'POST') as ChannelWebhook;
  const request = (payload: unknown) => {
    const rawBody = JSON.stringify(payload);
    return { url: 'https://bot.example.com/whatsapp/cloud', headers: { 'x-hub-signature-256': signCloudBody(graph.appSecret, rawBody) }, query: {}, rawBody };
  };

  it('reads every message and status of a batched webhook once, and leaves other numbers\' and reactions alone', () => {
    const payload = cloudWebhookPayload(graph.phoneNumberId, {
      messages: [
        { id: 'wamid.a', from: '15550002222', text: 'first' },
        { id: 'wamid.b', from: '15550002222', text: 'second' },
      ],
      statuses: [
        { id: 'wamid.out1', status: 'delivered', recipient: '15550002222', reference: 'T1:result:1' },
        { id: 'wamid.out2', status: 'failed', recipient: '15550002222', errorCode: 131047 },
      ],
      profileName: 'Ana',
    }) as { entry: { changes: { value: Record<string, unknown> }[] }[] };
    const change = payload.entry[0]?.changes[0];
    // A reaction to the bot's video, and a second entry for another number of the same app.
    (change?.value.messages as unknown[]).push({ from: '15550002222', id: 'wamid.r', type: 'reaction', reaction: { message_id: 'wamid.out1', emoji: '👍' } });
    payload.entry.push(cloudWebhookPayload('999999', { messages: [{ id: 'wamid.other', from: '15550002222', text: 'not ours' }] }).entry as never);
    const read = post().read(request({ ...payload, entry: payload.entry.flat() }));
    expect(read).toEqual({
      messages: [
        expect.objectContaining({ channel: 'cloud-api', messageId: 'wamid.a', from: USER, body: 'first', profileName: 'Ana', to: 'whatsapp:+15550100000' }),
        expect.objectContaining({ messageId: 'wamid.b', body: 'second' }),
      ],
      receipts: [
        { messageId: 'wamid.out1', status: 'delivered', reference: 'T1:result:1' },
        { messageId: 'wamid.out2', status: 'failed', errorCode: '131047' },
      ],
    });
  });

  it('reads list replies, template quick replies, voice notes, stickers and pins, and what the user replied to', () => {
    const messages = [
      { from: '15550002222', id: 'wamid.l', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'landscape', title: '↔️ Landscape', description: 'wide' } } },
      { from: '15550002222', id: 'wamid.t', type: 'button', button: { payload: 'again', text: '🔁 Another take' }, context: { from: '15550100000', id: 'wamid.offer' } },
      { from: '15550002222', id: 'wamid.v', type: 'audio', audio: { id: '777', mime_type: 'audio/ogg; codecs=opus', voice: true } },
      { from: '15550002222', id: 'wamid.s', type: 'sticker', sticker: { id: '778', mime_type: 'image/webp', animated: false } },
      { from: '15550002222', id: 'wamid.p', type: 'location', location: { latitude: 48.85, longitude: 2.35 } },
    ];
    const payload = cloudWebhookPayload(graph.phoneNumberId, {}) as { entry: { changes: { value: Record<string, unknown> }[] }[] };
    const value = payload.entry[0]?.changes[0]?.value ?? {};
    value.messages = messages;
    const read = post().read(request(payload));
    expect('messages' in read && read.messages).toEqual([
      expect.objectContaining({ messageId: 'wamid.l', body: '↔️ Landscape', button: { payload: 'landscape', text: '↔️ Landscape' } }),
      expect.objectContaining({ messageId: 'wamid.t', body: '🔁 Another take', button: { payload: 'again', text: '🔁 Another take' }, repliedTo: 'wamid.offer' }),
      expect.objectContaining({ messageId: 'wamid.v', kind: 'audio', body: '', media: [{ url: `${graph.url}/v24.0/777`, contentType: 'audio/ogg; codecs=opus' }] }),
      // Said for what they are, so the bot answers a sticker or a pin instead of animating or ignoring it.
      expect.objectContaining({ messageId: 'wamid.s', kind: 'sticker', media: [{ url: `${graph.url}/v24.0/778`, contentType: 'image/webp' }] }),
      expect.objectContaining({ messageId: 'wamid.p', kind: 'location', body: '', media: [] }),
    ]);
  });

  it('tells what WhatsApp could not pass on: an edit, a message lost on the way, another kind; and passes over a vote, a pin or a reaction', () => {
    const unsupported = (id: string, what: string, code = 131051) => ({ from: '15550002222', id, type: 'unsupported', unsupported: { type: what }, errors: [{ code, title: 'x' }] });
    const messages = [
      unsupported('wamid.e', 'edit'),
      // An edit is an edit, whatever else is said of it.
      unsupported('wamid.e2', 'edit', 131060),
      unsupported('wamid.u', 'unknown', 131060),
      unsupported('wamid.p', 'poll_creation'),
      unsupported('wamid.v', 'poll_update'),
      unsupported('wamid.pin', 'pin'),
      unsupported('wamid.r', 'reaction'),
      // Older versions of the API said `unknown`.
      { from: '15550002222', id: 'wamid.old', type: 'unknown', errors: [{ code: 131051, title: 'Message type unknown' }] },
      { from: '15550002222', id: 'wamid.w', type: 'request_welcome' },
    ];
    const payload = cloudWebhookPayload(graph.phoneNumberId, {}) as { entry: { changes: { value: Record<string, unknown> }[] }[] };
    const value = payload.entry[0]?.changes[0]?.value ?? {};
    value.messages = messages;
    const read = post().read(request(payload));
    const kinds = 'messages' in read ? read.messages.map((message) => [message.messageId, message.kind, message.body]) : [];
    expect(kinds).toEqual([
      ['wamid.e', 'edit', ''],
      ['wamid.e2', 'edit', ''],
      ['wamid.u', 'unavailable', ''],
      ['wamid.p', 'unsupported', ''],
      ['wamid.old', 'unsupported', ''],
      ['wamid.w', 'request_welcome', ''],
    ]);
  });

  it('answers Meta\'s verification only with the verify token, and refuses an unsigned POST', () => {
    const verifying = createCloudApiChannel({ token: graph.token, phoneNumberId: graph.phoneNumberId, appSecret: graph.appSecret, verifyToken: 'tok', baseUrl: graph.url });
    const get = verifying.webhooks.find((hook) => hook.method === 'GET') as ChannelWebhook;
    const query = (q: Record<string, string>) => ({ url: 'https://bot.example.com/whatsapp/cloud', headers: {}, query: q });
    expect(get.read(query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok', 'hub.challenge': '42' }))).toEqual({ challenge: '42' });
    expect(() => get.read(query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '42' }))).toThrow(/verify token/);
    // As many characters as the token but more bytes: refused as any wrong token (it made the comparison throw, a 500).
    expect(() => get.read(query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'tók', 'hub.challenge': '42' }))).toThrow(/verify token/);
    expect(() => get.read(query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': 'tok', 'hub.challenge': '42' }))).toThrow(VidbotError);
    const raw = JSON.stringify(cloudWebhookPayload(graph.phoneNumberId, { messages: [{ from: '15550002222', text: 'hi' }] }));
    expect(() => post().read({ url: 'https://bot.example.com/whatsapp/cloud', headers: {}, query: {}, rawBody: raw })).toThrow(/X-Hub-Signature-256 is missing/);
  });

  it('refuses outside the 24-hour window as a window refusal, and a bad token as an auth failure', async () => {
    graph.failNext({ status: 400, code: 131047, message: 'Re-engagement message' });
    const window = await caught(channel.send({ to: USER, body: 'hello' }));
    expect(window).toMatchObject({ code: 'VIDBOT_DELIVERY_REFUSED', details: { refusal: 'window', channelCode: '131047' } });
    expect(channel.refusalKind?.('131047')).toBe('window');
    expect(channel.refusalKind?.('131026')).toBe('recipient');
    const wrong = createCloudApiChannel({ token: 'EAAwrong', phoneNumberId: graph.phoneNumberId, baseUrl: graph.url });
    expect(await caught(wrong.send({ to: USER, body: 'hello' }))).toMatchObject({ code: 'VIDBOT_MESSENGER_AUTH', details: { channelCode: '190' } });
  });

  it('waits out throughput limits, honouring Retry-After, then fails retryable once they last', async () => {
    graph.failNext({ status: 400, code: 130429, times: 2, retryAfter: 0 });
    const sent = await channel.send({ to: USER, body: 'after the limit' });
    expect(sent.messageId).toMatch(/^wamid\./);
    expect(graph.messages).toHaveLength(1);
    graph.failNext({ status: 400, code: 131056, times: 4 }); // as many as the adapter tries
    const limited = await caught(channel.send({ to: USER, body: 'pair limit' }));
    expect(limited).toMatchObject({ code: 'VIDBOT_MESSENGER_FAILED', retryable: true, details: { ambiguous: false } });
    expect(graph.messages).toHaveLength(1);
    // A 500 after Meta took the message: retryable, and maybe sent.
    graph.failNext({ status: 500, code: 2, created: true });
    expect(await caught(channel.send({ to: USER, body: 'maybe' }))).toMatchObject({ code: 'VIDBOT_MESSENGER_FAILED', details: { ambiguous: true } });
    // Meta cannot be asked what it took; its statuses name the message by vidbot's reference (what the tasks wait for).
    expect(channel.findSent).toBeUndefined();
    expect(channel.receiptsCarryReference).toBe(true);
  });

  it('says why the Graph API could not be reached (fetch alone says "fetch failed"), and that nothing was sent', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const unreachable = createCloudApiChannel({ token: graph.token, phoneNumberId: graph.phoneNumberId, baseUrl: `http://127.0.0.1:${closed}` });
    const failure = await caught(unreachable.send({ to: USER, body: 'hello' }));
    expect(failure).toMatchObject({ code: 'VIDBOT_MESSENGER_FAILED', retryable: true, details: { ambiguous: false } });
    expect(failure.message).toMatch(/^Could not reach the Graph API: .*\(ECONNREFUSED\)$/);
  });

  it('uploads the video and sends it by id; a failed upload falls back to the link, or is refused without one', async () => {
    const file = join(dir, 'v.mp4');
    await writeFile(file, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(64)]));
    await channel.send({ to: USER, body: 'your video', mediaFile: file });
    expect(graph.uploads).toHaveLength(1);
    expect(graph.messages.at(-1)).toMatchObject({ type: 'video', body: { id: graph.uploads[0]?.id, caption: 'your video' } });

    graph.failUploads(1);
    await channel.send({ to: USER, body: 'by link', mediaFile: file, mediaUrl: 'https://cdn.example.com/v.mp4' });
    expect(graph.messages.at(-1)).toMatchObject({ type: 'video', body: { link: 'https://cdn.example.com/v.mp4', caption: 'by link' } });
    expect(warnings.join('\n')).toContain('sent it by link instead');

    graph.failUploads(1);
    expect(await caught(channel.send({ to: USER, body: 'no link', mediaFile: file }))).toMatchObject({ code: 'VIDBOT_DELIVERY_REFUSED', details: { refusal: 'media' } });
  });

  it('shows the typing indicator on the user\'s message', async () => {
    const typing = (channel as Channel & { typing?: (input: { to: string; replyingTo: string }) => Promise<void> }).typing;
    await typing?.({ to: USER, replyingTo: 'wamid.in' });
    expect(graph.reads).toEqual([{ messageId: 'wamid.in', typing: true }]);
  });

  it('downloads inbound media in two steps with the token, and refuses media that is not what it claims', async () => {
    const png = testImage(40, 30).png;
    const id = graph.addMedia(png, 'image/png');
    const url = `${graph.url}/v24.0/${id}`;
    const saved = await downloadInboundMedia(url, channel.media, 'image', { dir, maxBytes: 1_000_000 });
    expect(saved.contentType).toBe('image/png');
    expect(graph.requests).toEqual(expect.arrayContaining([`GET /v24.0/${id}`, `GET /media-download/${id}`]));
    const fake = graph.addMedia(Buffer.from('not an image at all'), 'image/jpeg');
    await expect(downloadInboundMedia(`${graph.url}/v24.0/${fake}`, channel.media, 'image', { dir, maxBytes: 1_000_000 })).rejects.toMatchObject({ reason: 'not-image' });
    await expect(downloadInboundMedia(`${graph.url}/v24.0/${id}`, channel.media, 'image', { dir, maxBytes: 10 })).rejects.toMatchObject({ reason: 'too-large' });
    await expect(downloadInboundMedia('https://lookaside.example.com/x', channel.media, 'image', { dir, maxBytes: 1_000_000 })).rejects.toMatchObject({ reason: 'not-allowed' });
  });
});
