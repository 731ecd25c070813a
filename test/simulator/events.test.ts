/**
 * GET /simulator/events over a real socket: the messenger's messages and simulated receipts arrive
 * live for that address only, tasks report their progress, and an open stream does not hold up
 * the server's close. Also the downloader's explicit allowance for the simulator's uploads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaDownloadError, downloadInboundImage } from '../../src/lib/channel/media.ts';
import { createSimulatorChannel } from '../../src/lib/channel/simulator/index.ts';
import { twilioMediaPolicy } from '../../src/lib/channel/twilio/media.ts';
import type { Store } from '../../src/lib/store/port.ts';
import { outboundEvent } from '../../src/server/simulator/events.ts';
import { waitFor } from '../helpers/vidbot.ts';
import { testImage, useSimulatorServers } from './helpers.ts';

const USER = 'whatsapp:+15550001234';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE response; `next(match)` resolves with the first event (in order) that matches. */
const readEvents = (response: Response) => {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error('no body');
  const events: SseEvent[] = [];
  let buffer = '';
  let done = false;
  const pump = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (end) return void (done = true);
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })();
  let index = 0;
  return {
    ended: () => pump.then(() => done),
    /** Every event read so far, in order. */
    seen: (): readonly SseEvent[] => [...events],
    async next(match: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (index < events.length) {
          const event = events[index++];
          if (event && match(event)) return event;
        }
        if (done || Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
};

describe('the simulator event stream', () => {
  const server = useSimulatorServers();

  it('pushes outbound messages, receipts and task progress for one address, and ends on close', async () => {
    const { app, vidbot } = await server();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // History is not replayed: only what happens after connecting.
    await vidbot.sendMessage({ to: USER, body: 'before' }, { channel: 'simulator' });

    const response = await fetch(`${origin}/simulator/events?to=${encodeURIComponent(USER)}`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = readEvents(response);
    expect((await stream.next((e) => e.event === 'ready')).data).toEqual({ to: USER });

    await vidbot.sendMessage({ to: 'whatsapp:+15559999999', body: 'someone else' }, { channel: 'simulator' });
    const sent = await vidbot.sendMessage({ to: USER, body: 'hello there' }, { channel: 'simulator' });
    const pushed = await stream.next((e) => e.event === 'outbound');
    expect(pushed.data).toMatchObject({ sid: sent.messageId, to: USER, body: 'hello there', status: 'sent', kind: 'notice' });

    const status = await fetch(`${origin}/simulator/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sid: sent.messageId, status: 'failed', errorCode: '63016' }),
    });
    expect(((await status.json()) as { status: number }).status).toBe(204);
    expect((await stream.next((e) => e.event === 'outbound')).data).toMatchObject({ sid: sent.messageId, status: 'failed', errorCode: '63016' });

    const answer = await fetch(`${origin}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, body: 'a paper boat on a rainy street' }),
    });
    const { taskId } = (await answer.json()) as { taskId: string };
    expect((await stream.next((e) => e.event === 'task')).data).toMatchObject({ taskId, status: 'queued' });
    await vidbot.cancelTask(taskId);
    expect((await stream.next((e) => e.event === 'task')).data).toMatchObject({ taskId, status: 'canceled' });

    // Closing the server ends the open stream instead of waiting for the page to leave.
    const closed = app.close().then(() => 'closed');
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 5_000));
    expect(await Promise.race([closed, timeout])).toBe('closed');
    expect(await stream.ended()).toBe(true);
  });

  it('tells the page that a reply is coming (typing) before the video, and how far the task has got', async () => {
    const { app } = await server({}, { server: { workers: 1 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const response = await fetch(`${origin}/simulator/events?to=${encodeURIComponent(USER)}`);
    const stream = readEvents(response);
    await stream.next((e) => e.event === 'ready');

    const answer = await fetch(`${origin}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, body: 'a fox running through a neon city at night' }),
    });
    const { taskId } = (await answer.json()) as { taskId: string };
    const isResult = (e: SseEvent) => e.event === 'outbound' && e.data.kind === 'result' && e.data.taskId === taskId;
    const isDone = (e: SseEvent) => e.event === 'task' && e.data.taskId === taskId && e.data.status === 'done';
    const events = await waitFor(async () => {
      const seen = stream.seen();
      return seen.some(isResult) && seen.some(isDone) ? seen : undefined;
    }, 60_000);
    // Typing first, then the video, as they happened; only this user's stream is told.
    const typing = events.findIndex((e) => e.event === 'typing');
    expect(events[typing]?.data).toEqual({ to: USER });
    expect(typing).toBeLessThan(events.findIndex(isResult));
    expect(events.filter((e) => e.event === 'typing')).toHaveLength(1);
    // The task's events carry its percent, up to 100 once the video is made.
    const percents = events.filter((e) => e.event === 'task' && e.data.taskId === taskId && typeof e.data.progress === 'number');
    expect(percents.length).toBeGreaterThan(0);
    expect(events.find(isDone)?.data).toMatchObject({ progress: 100 });
  });

  it('carries the choices after a video to the page, and a tap on one queues the right task', async () => {
    const { app, vidbot } = await server({}, { server: { workers: 1 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const stream = readEvents(await fetch(`${origin}/simulator/events?to=${encodeURIComponent(USER)}`));
    await stream.next((e) => e.event === 'ready');
    const send = async (payload: Record<string, unknown>) =>
      (await (await fetch(`${origin}/simulator/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })).json()) as {
        taskId?: string;
        reply: string;
        newTasks: number;
      };

    const { taskId } = await send({ from: USER, body: 'a paper boat on a rainy street' });
    const result = await stream.next((e) => e.event === 'outbound' && e.data.kind === 'result', 60_000);
    expect(result.data).toMatchObject({ taskId });
    expect(result.data.choices).toBeUndefined();
    // The page keeps the order it is told in: the offer follows the video without waiting for a receipt.
    const offer = await stream.next((e) => e.event === 'outbound' && e.data.kind === 'choices', 30_000);
    expect(offer.data).toMatchObject({
      taskId,
      body: '🎬 Want another version?',
      choices: [
        { id: 'again', title: '🔁 Another take' },
        { id: 'landscape', title: '↔️ Landscape' },
      ],
    });

    const refused = await fetch(`${origin}/simulator/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, buttonPayload: 'landscape', repliedTo: 'not a sid!' }),
    });
    expect(refused.status).toBe(400);
    const tapped = await send({ from: USER, buttonPayload: 'landscape', buttonText: '↔️ Landscape', repliedTo: offer.data.sid });
    expect(tapped).toMatchObject({ newTasks: 1, reply: expect.stringContaining('in landscape coming up!') });
    const [landscape] = await vidbot.store.listTasks({ from: USER, limit: 1 });
    expect(landscape).toMatchObject({ taskId: tapped.taskId, prompt: 'a paper boat on a rainy street', channel: 'simulator', options: { orientation: 'landscape' } });
    const session = await vidbot.store.getSession(USER);
    expect(session?.messages.find((m) => m.meta?.messageSid === landscape?.messageId && m.role === 'user')?.meta).toMatchObject({
      fields: { ButtonPayload: 'landscape', ButtonText: '↔️ Landscape', OriginalRepliedMessageSid: offer.data.sid, Body: '↔️ Landscape' },
    });
    await app.close();
  });

  it('points a result without a public URL at the local /media route', async () => {
    const task = { taskId: 't1', status: 'done', mediaId: 'A'.repeat(22) };
    const store = { getTask: async () => task } as unknown as Store;
    const record = { id: 't1:result:1', messageId: 'SM1', to: USER, kind: 'result', taskId: 't1', status: 'sent' as const, body: 'ready', createdAt: 1, updatedAt: 1 };
    expect(await outboundEvent(store, record)).toEqual({ sid: 'SM1', id: 't1:result:1', to: USER, kind: 'result', taskId: 't1', status: 'sent', body: 'ready', createdAt: 1, videoUrl: `/media/${'A'.repeat(22)}.mp4` });
    const withUrl = { ...record, mediaUrl: 'https://cdn.example/v.mp4' };
    expect(await outboundEvent(store, withUrl)).toMatchObject({ mediaUrl: withUrl.mediaUrl, videoUrl: withUrl.mediaUrl });
  });

  it('draws the buttons of a /model list, which is about no task', async () => {
    const store = { getTask: async () => null } as unknown as Store;
    const record = { id: 'SMin:reply', messageId: 'SM2', to: USER, kind: 'models', status: 'sent' as const, body: '🎞️ Which video model…', createdAt: 1, updatedAt: 1 };
    const choices = [{ id: 'model:google/veo-3.1', title: 'Google Veo 3.1' }, { id: 'model:minimax/hailuo-2.3', title: 'MiniMax Hailuo 2.3' }] as const;
    expect(await outboundEvent(store, record, choices)).toMatchObject({ kind: 'models', choices });
    expect((await outboundEvent(store, record)).choices).toBeUndefined();
  });

  it('lets the downloader fetch only what each channel allows, with credentials only for its own hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-sim-dl-'));
    try {
      const own = 'http://127.0.0.1:3000/simulator/media/abcdefghijklmnopqrstuv';
      const { png } = testImage(8, 8);
      const seen: { url: string; auth: string | null }[] = [];
      let redirect = false;
      const fetch = async (input: string | URL | Request, init?: RequestInit) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
        return redirect
          ? new Response(null, { status: 302, headers: { location: 'https://api.twilio.com/x.png' } })
          : new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png' } });
      };
      const simulator = createSimulatorChannel({ authToken: 'token', isOwnUpload: (url) => url.href === own });
      const twilio = twilioMediaPolicy({ accountSid: `AC${'1'.repeat(32)}`, authToken: 'secret' });
      const options = { dir, maxBytes: 1_000_000, fetch };
      // The simulator: its own upload, without credentials; a redirect is refused.
      expect(await downloadInboundImage(own, simulator.media, { ...options, name: 'SM1' })).toMatch(/SM1\.png$/);
      expect(seen).toEqual([{ url: own, auth: null }]);
      redirect = true;
      await expect(downloadInboundImage(own, simulator.media, options)).rejects.toMatchObject({ reason: 'not-allowed' });
      expect(seen).toHaveLength(2);
      for (const elsewhere of ['http://127.0.0.1:3000/elsewhere', 'http://127.0.0.1:3001/simulator/media/abcdefghijklmnopqrstuv', 'https://api.twilio.com/x.png']) {
        await expect(downloadInboundImage(elsewhere, simulator.media, options)).rejects.toMatchObject({ reason: 'not-allowed' });
      }
      expect(seen).toHaveLength(2);
      // Twilio: its hosts, with the account's credentials; never a simulator upload; nothing without a policy.
      redirect = false;
      await downloadInboundImage('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', twilio, options);
      expect(seen[2]?.auth).toMatch(/^Basic /);
      await expect(downloadInboundImage(own, twilio, options)).rejects.toBeInstanceOf(MediaDownloadError);
      await expect(downloadInboundImage('https://api.twilio.com/x.png', undefined, options)).rejects.toMatchObject({ reason: 'not-allowed' });
      expect(seen).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
