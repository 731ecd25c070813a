import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../src/lib/activity/feed.ts';
import { useServers } from '../helpers/server.ts';

const server = useServers();
const opened: AbortController[] = [];
afterEach(() => {
  for (const controller of opened.splice(0)) controller.abort();
});

/** Opens the SSE stream (subscribed once this resolves); `until` reads `data:` events until it says stop. */
const openEvents = async (url: string) => {
  const controller = new AbortController();
  opened.push(controller);
  const response = await fetch(url, { signal: controller.signal });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  const events: ActivityEvent[] = [];
  let buffer = '';
  const until = async (enough: (events: ActivityEvent[]) => boolean): Promise<ActivityEvent[]> => {
    while (reader && !enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const chunk = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of chunk.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as ActivityEvent);
        end = buffer.indexOf('\n\n');
      }
    }
    controller.abort();
    return events;
  };
  return { until };
};

const readEvents = async (url: string, until: (events: ActivityEvent[]) => boolean): Promise<ActivityEvent[]> => (await openEvents(url)).until(until);

describe('GET /api/events', () => {
  it('streams queue counts and job events as they happen, and ends with the server', async () => {
    const { app, vidbot } = await server();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const first = readEvents(`${address}/api/events`, (events) => events.some((e) => e.type === 'counts' && e.counts.waiting === 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const created = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 'whatsapp:+15550001111' } });
    expect(created.statusCode).toBe(202);
    const events = await first;
    expect(events.find((e) => e.type === 'counts' && e.counts.waiting === 1)).toBeDefined();
    await vidbot.queue.cancel(created.json<{ task_id: string }>().task_id);
    const later = await readEvents(`${address}/api/events`, (seen) => seen.some((e) => e.type === 'job' && e.kind === 'canceled'));
    expect(later.find((e) => e.type === 'job' && e.kind === 'canceled')).toMatchObject({ jobId: created.json<{ task_id: string }>().task_id });
  });

  // As `vidbot serve --no-tui` (and serve without a terminal) starts it: workers, no dashboard.
  it("carries this process's workers' stages, progress and maker without a dashboard", async () => {
    const { app } = await server({}, { server: { workers: 1 } });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openEvents(`${address}/api/events`);
    const created = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 'whatsapp:+15550001111' } });
    expect(created.statusCode).toBe(202);
    const jobId = created.json<{ task_id: string }>().task_id;
    const ended = (e: ActivityEvent) => e.type === 'job' && e.jobId === jobId && ['completed', 'failed'].includes(e.kind);
    const events = (await stream.until((seen) => seen.some(ended))).filter((e) => 'jobId' in e && e.jobId === jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job', kind: 'completed' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'stage', stage: 'generate', state: 'start' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'stage', stage: 'generate', state: 'progress', percent: expect.any(Number) }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'made', provider: 'local' }));
  });

  it('asks for the API key like the rest of /api', async () => {
    const { app } = await server({ VIDBOT_API_KEY: 'k-123' }, { server: { apiKey: 'k-123' } });
    const denied = await app.inject({ method: 'GET', url: '/api/events', remoteAddress: '203.0.113.9' });
    expect(denied.statusCode).toBe(401);
  });

  it('pauses and resumes this process\'s workers, and says so when it has none', async () => {
    const { app, worker } = await server({}, { server: { workers: 1 } });
    expect((await app.inject({ method: 'POST', url: '/api/workers/pause' })).json()).toEqual({ ok: true, paused: true });
    expect(worker?.paused).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/workers/resume' })).json()).toEqual({ ok: true, paused: false });
    expect(worker?.paused).toBe(false);
    const { app: webOnly } = await server();
    const refused = await webOnly.inject({ method: 'POST', url: '/api/workers/pause' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'VIDBOT_CONFLICT', message: expect.stringContaining('--no-workers') });
  });
});
