/**
 * The simulator's routes with inject(): it signs Twilio-format forms itself and posts them through
 * the real webhook, so the signature check, dedupe and bot all run as for Twilio.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INJECT_ORIGIN, newMessageSid, signedPost, useServers } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';
import { testImage, useSimulatorServers } from './helpers.ts';

const USER = 'whatsapp:+15550001234';

interface SendAnswer {
  messageSid: string;
  format?: string;
  status: number;
  reply: string;
  newTasks: number;
  taskId?: string;
  mediaUrl?: string;
  error?: { code: string; message: string };
}

describe('the simulator routes', () => {
  const server = useSimulatorServers();
  const plainServer = useServers();

  const send = async (app: Awaited<ReturnType<typeof server>>['app'], payload: Record<string, unknown>) => {
    const response = await app.inject({ method: 'POST', url: '/simulator/send', payload });
    expect(response.statusCode).toBe(200);
    return response.json<SendAnswer>();
  };

  it('sends a prompt through the real webhook, and a replay with the same MessageSid is deduplicated', async () => {
    const { app, vidbot } = await server();
    const first = await send(app, { from: '+1 (555) 000-1234', body: 'a fox running through a neon city at night' });
    expect(first).toMatchObject({ status: 200, newTasks: 1, messageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    expect(first.reply).toContain('Generating your video');
    const [task] = await vidbot.store.listTasks({ from: USER });
    expect(task).toMatchObject({ taskId: first.taskId, messageId: first.messageSid, prompt: 'a fox running through a neon city at night' });
    // The session log holds the exact Twilio form the webhook received.
    const session = await vidbot.store.getSession(USER);
    expect(session?.messages[0]?.meta).toMatchObject({ fields: { From: USER, WaId: '15550001234', NumMedia: '0', SmsStatus: 'received' } });

    const again = await send(app, { from: USER, body: 'a fox running through a neon city at night', messageSid: first.messageSid });
    expect(again).toMatchObject({ status: 200, reply: first.reply, newTasks: 0, taskId: first.taskId, messageSid: first.messageSid });
    expect(await vidbot.store.countTasks({ from: USER })).toBe(1);

    const help = await send(app, { from: USER, body: '/help' });
    expect(help).toMatchObject({ status: 200, newTasks: 0 });
    expect(help.reply).toContain('/status');
    expect(help.taskId).toBeUndefined();
  });

  it('gives the conversation so far for a reload, in order, and validates its inputs', async () => {
    const { app, vidbot } = await server();
    const sent = await send(app, { from: USER, body: 'a kite over the sea' });
    await send(app, { from: USER, body: '/help' });
    const notice = await vidbot.sendMessage({ to: USER, body: 'a word from the bot' }, { channel: 'simulator' });
    const response = await app.inject({ method: 'GET', url: `/simulator/history?to=${encodeURIComponent(USER)}` });
    expect(response.statusCode).toBe(200);
    const history = response.json<{ now: number; items: Array<Record<string, unknown>>; tasks: Array<Record<string, unknown>> }>();
    expect(history.items.map((item) => [item.type, item.text ?? item.body])).toEqual([
      ['user', 'a kite over the sea'],
      ['reply', sent.reply],
      ['user', '/help'],
      ['reply', expect.stringContaining('/status')],
      ['outbound', 'a word from the bot'],
    ]);
    expect(history.items[0]).toMatchObject({ messageSid: sent.messageSid });
    expect(history.items[1]).toMatchObject({ taskId: sent.taskId });
    expect(history.items[4]).toMatchObject({ sid: notice.messageId, status: 'sent' });
    expect(history.tasks).toEqual([expect.objectContaining({ taskId: sent.taskId, status: 'queued' })]);
    expect(history.now).toBeGreaterThanOrEqual(notice.createdAt);
    // Another number has its own conversation; bad input is a 400.
    expect((await app.inject({ method: 'GET', url: '/simulator/history?to=%2B15550009999' })).json()).toMatchObject({ items: [], tasks: [] });
    // A "+" left unencoded in the query (a space once decoded), or left out, still names the number.
    for (const to of ['+15550001234', '15550001234']) {
      expect((await app.inject({ method: 'GET', url: `/simulator/history?to=${to}` })).json<{ items: unknown[] }>().items.length, to).toBeGreaterThan(0);
    }
    const nobody = await app.inject({ method: 'GET', url: '/simulator/history?to=nobody' });
    expect(nobody.statusCode).toBe(400);
    // The field named is the one sent.
    expect(nobody.json<{ error: { message: string } }>().error.message).toBe('"to" must be a number such as whatsapp:+15550001234.');
    expect((await app.inject({ method: 'GET', url: `/simulator/events?to=${encodeURIComponent(USER)}&since=soon` })).statusCode).toBe(400);
    // What the page calls is listed with the service's endpoints: scripts use it too.
    const { endpoints } = (await app.inject({ method: 'GET', url: '/' })).json<{ endpoints: string[] }>();
    expect(endpoints).toEqual(expect.arrayContaining(['GET /simulator', 'POST /simulator/send', 'POST /simulator/status', 'GET /simulator/history', 'GET /simulator/events']));
  });

  it('simulates delivery receipts through the signed status route, which updates the outbound record', async () => {
    const { app, vidbot } = await server();
    // A message the bot sent (as a worker would): the simulator takes it as Twilio would, as `sent`.
    const notice = await vidbot.sendMessage({ to: USER, body: 'hello' }, { channel: 'simulator' });
    expect(notice).toMatchObject({ status: 'sent', messageId: expect.stringMatching(/^SM/) });
    const status = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/simulator/status', payload });

    const failed = await status({ sid: notice.messageId, status: 'failed', errorCode: '63016' });
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ status: 204, applied: true, record: { sid: notice.messageId, status: 'failed', errorCode: '63016' } });
    expect(await vidbot.store.findOutbound({ messageId: notice.messageId ?? '' })).toMatchObject({ status: 'failed', errorCode: '63016' });

    const other = await vidbot.sendMessage({ to: USER, body: 'your video' }, { channel: 'simulator' });
    expect((await status({ sid: other.messageId, status: 'read' })).json()).toMatchObject({ status: 204, applied: true, record: { status: 'read' } });
    // A late failure cannot undo a read receipt, as with Twilio's own out-of-order callbacks.
    expect((await status({ sid: other.messageId, status: 'failed', errorCode: 63019 })).json()).toMatchObject({ applied: false, record: { status: 'read' } });

    expect((await status({ sid: `SM${'0'.repeat(32)}`, status: 'read' })).statusCode).toBe(404);
    expect((await status({ sid: other.messageId, status: 'exploded' })).statusCode).toBe(400);
    expect((await status({ sid: other.messageId, status: 'failed', errorCode: '63016; DROP' })).statusCode).toBe(400);
  });

  it('stores an attached image, serves it back, and allows the bot to fetch exactly that URL', async () => {
    const { app, simulator } = await server();
    const { png, dataUrl } = testImage();
    const answer = await send(app, { from: USER, body: 'make it dance', image: dataUrl });
    // The server's own address, not the Host header: upload URLs go on the bot's download allowlist.
    expect(answer.mediaUrl).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/simulator\/media\/[A-Za-z0-9_-]{22}$/);
    const url = new URL(answer.mediaUrl ?? '');
    const served = await app.inject({ method: 'GET', url: url.pathname });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.rawPayload.equals(png)).toBe(true);

    // The simulator's channel fetches its own uploads, and nothing else.
    const allows = (candidate: URL) => simulator.channel.media?.allows(candidate) ?? false;
    expect(allows(url)).toBe(true);
    expect(allows(new URL(url.pathname, 'http://169.254.169.254'))).toBe(false);
    expect(allows(new URL(`${url.origin}/simulator/media/${'A'.repeat(22)}`))).toBe(false);
    expect(allows(new URL('https://api.twilio.com.evil.example/x.png'))).toBe(false);
    expect((await app.inject({ method: 'GET', url: `/simulator/media/${'A'.repeat(22)}` })).statusCode).toBe(404);

    const bad = await app.inject({ method: 'POST', url: '/simulator/send', payload: { from: USER, image: 'http://example.com/x.png' } });
    expect(bad.statusCode).toBe(400);
  });

  it('turns an attached photo into an image-to-video task over a real socket', async () => {
    const { app, vidbot } = await server();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { png, dataUrl } = testImage();
    const response = await fetch(`${origin}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, body: '', image: dataUrl }),
    });
    const answer = (await response.json()) as SendAnswer;
    expect(answer).toMatchObject({ status: 200, newTasks: 1 });
    expect(answer.reply).toContain('Generating your video');
    expect(answer.mediaUrl?.startsWith(`${origin}/simulator/media/`)).toBe(true);
    const task = await vidbot.store.getTask(answer.taskId ?? '');
    expect(task?.prompt).toBe('Bring this image to life');
    expect((await readFile(task?.options.firstFrameImage ?? '')).equals(png)).toBe(true);
  });

  it("speaks Meta's Cloud API when asked: signed JSON, a 200 answer, the reply as a message, media by id, statuses", async () => {
    const { app, vidbot, simulator } = await server();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const seen: Array<{ kind?: string; body?: string }> = [];
    simulator.channel.subscribe((event) => event.type === 'message' && seen.push({ body: event.message.body }));
    const cloud = 'whatsapp:+15550005555';
    const first = await send(app, { from: cloud, body: 'a kite over the sea', format: 'cloud-api' });
    expect(first).toMatchObject({ format: 'cloud-api', status: 200, reply: '', newTasks: 1, messageSid: expect.stringMatching(/^wamid\./) });
    // The acknowledgement went out through the channel as a message, recorded under the inbound message's id.
    const ack = await waitFor(async () => vidbot.store.findOutbound({ id: `${first.messageSid}:reply` }));
    expect(ack).toMatchObject({ kind: 'reply', to: cloud, channel: 'simulator' });
    expect(ack.body).toContain('Generating your video');
    expect(seen.some((m) => m.body?.includes('Generating your video'))).toBe(true);
    // A replay of the same wamid: no second task and no second reply.
    const again = await send(app, { from: cloud, messageSid: first.messageSid, format: 'cloud-api' });
    expect(again).toMatchObject({ newTasks: 0, taskId: first.taskId });
    expect((await vidbot.store.listOutbound({ to: cloud })).filter((r) => r.kind === 'reply')).toHaveLength(1);
    // The history shows that reply once, as the message it was.
    const history = (await app.inject({ method: 'GET', url: `/simulator/history?to=${encodeURIComponent(cloud)}` })).json<{ items: Array<{ type: string; kind?: string }> }>();
    expect(history.items.filter((item) => item.type === 'reply' || item.kind === 'reply')).toHaveLength(1);

    // A photo travels by media id, and the bot fetches the simulator's own upload for it.
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const posted = await fetch(`${origin}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: cloud, body: 'make it dance', image: testImage().dataUrl, format: 'cloud-api' }),
    });
    const photo = (await posted.json()) as SendAnswer;
    const task = await vidbot.store.getTask(photo.taskId ?? '');
    expect(task?.options.firstFrameImage).toMatch(/\.png$/);

    // Statuses as Meta posts them, with the record named by biz_opaque_callback_data; Meta's codes mean what they mean.
    const status = await app.inject({ method: 'POST', url: '/simulator/status', payload: { sid: ack.messageId, status: 'failed', errorCode: '131047', format: 'cloud-api' } });
    expect(status.json()).toMatchObject({ status: 200, applied: true, record: { status: 'failed', errorCode: '131047' } });
    expect(simulator.channel.refusalKind?.('131047')).toBe('window');
    expect((await app.inject({ method: 'POST', url: '/simulator/send', payload: { from: cloud, body: 'x', format: 'telegram' } })).statusCode).toBe(400);
  });

  it('signs for PUBLIC_BASE_URL when the server checks against it', async () => {
    const base = 'https://bot.example.com/prefix';
    const { app } = await server({}, { server: { publicBaseUrl: base } });
    const answer = await send(app, { from: USER, body: '/status' });
    expect(answer).toMatchObject({ status: 200 });
    const { dataUrl } = testImage();
    expect((await send(app, { from: USER, body: 'x', image: dataUrl })).mediaUrl).toMatch(/^https:\/\/bot\.example\.com\/prefix\/simulator\/media\//);
  });

  it("really checks the signature: its webhooks refuse forms signed with another token", async () => {
    const { app, vidbot } = await server();
    const form = { From: USER, Body: 'a fox in the snow', MessageSid: newMessageSid(), NumMedia: '0' };
    const forged = signedPost(`${INJECT_ORIGIN}/simulator/webhook`, form, 'not-the-servers-token');
    const answer = await app.inject(forged);
    expect(answer.statusCode).toBe(403);
    expect(answer.json()).toMatchObject({ error: { code: 'VIDBOT_SIGNATURE_INVALID' } });
    expect(await vidbot.store.countTasks({ from: USER })).toBe(0);
    const notice = await vidbot.sendMessage({ to: USER, body: 'hello' }, { channel: 'simulator' });
    const receipt = { MessageSid: notice.messageId ?? '', MessageStatus: 'read' };
    expect((await app.inject(signedPost(`${INJECT_ORIGIN}/simulator/status-callback`, receipt, 'not-the-servers-token'))).statusCode).toBe(403);
    expect((await vidbot.store.findOutbound({ id: notice.id }))?.status).toBe('sent');
  });

  it('serves a self-contained page, only to this machine, and validates input', async () => {
    const { app } = await server();
    const page = await app.inject({ method: 'GET', url: '/simulator' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('whatsapp:+15550001234');
    expect(page.body).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page.body).not.toContain('authToken');

    const remote = { remoteAddress: '203.0.113.7' };
    for (const request of [
      { method: 'GET' as const, url: '/simulator', ...remote },
      { method: 'POST' as const, url: '/simulator/send', payload: { from: USER, body: 'hi' }, ...remote },
      { method: 'POST' as const, url: '/simulator/status', payload: { sid: 'SM1234567890', status: 'read' }, ...remote },
      { method: 'GET' as const, url: '/simulator/events?to=whatsapp:%2B15550001234', ...remote },
      { method: 'POST' as const, url: '/simulator/send', payload: { from: USER }, headers: { 'x-forwarded-for': '203.0.113.7' } },
    ]) {
      expect((await app.inject(request)).statusCode, request.url).toBe(401);
    }

    for (const payload of [{ from: 'whatsapp:+1' }, { from: USER, body: 42 }, { from: USER, messageSid: '../../x' }, { from: USER, body: 'x'.repeat(5000) }]) {
      expect((await app.inject({ method: 'POST', url: '/simulator/send', payload })).statusCode).toBe(400);
    }
  });

  it('is not there when the simulator is not enabled', async () => {
    const { app } = await plainServer();
    for (const [method, url] of [
      ['GET', '/simulator'],
      ['POST', '/simulator/send'],
      ['POST', '/simulator/status'],
      ['GET', '/simulator/events?to=whatsapp:%2B15550001234'],
      ['GET', `/simulator/media/${'A'.repeat(22)}`],
    ] as const) {
      const response = await app.inject({ method, url, ...(method === 'POST' ? { payload: { from: USER, body: 'hi' } } : {}) });
      expect(response.statusCode, url).toBe(404);
    }
  });
});
