import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/lib/sqlite/open.ts';
import { createSqliteStore } from '../../src/lib/store/index.ts';
import { describe, expect, it } from 'vitest';
import { INJECT_ORIGIN, TEST_AUTH_TOKEN, newMessageSid, signedPost, whatsappText, type TestServer, useServers } from '../helpers/server.ts';

type Server = TestServer;

const USER = 'whatsapp:+15550001111';

const start = useServers();

const packageVersion = async (): Promise<string> =>
  (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The value of one sample in Prometheus text, matched by name and every given label. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(pair[1] ?? '', pair[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
};

const submit = async (server: Server, prompt: string) => {
  const res = await server.app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt, from: USER } });
  expect(res.statusCode).toBe(202);
  return res.json<{ task_id: string }>().task_id;
};

describe('GET /', () => {
  it('summarises the service and lists its endpoints', async () => {
    const { app } = await start();
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    const body = res.json<{ name: string; status: string; version: string; endpoints: string[] }>();
    expect(body).toMatchObject({ name: 'vidbot', status: 'ok', version: await packageVersion() });
    // The seed's endpoints, all still there.
    for (const endpoint of [
      'GET /health',
      'POST /api/generate-video',
      'GET /api/session-history/:sid',
      'GET /api/list-videos',
      'POST /whatsapp/webhook',
      'GET /media/:file',
      'POST /test-send',
      'GET /metrics',
    ]) {
      expect(body.endpoints).toContain(endpoint);
    }
    // Every endpoint listed exists, and vidbot's task endpoints are listed too.
    for (const endpoint of body.endpoints) {
      const [method = '', url = ''] = endpoint.split(' ');
      expect(app.hasRoute({ method: method as 'GET', url }), endpoint).toBe(true);
    }
    expect(body.endpoints).toEqual(expect.arrayContaining(['GET /api/tasks', 'GET /api/tasks/:id', 'POST /api/tasks/:id/cancel', 'POST /whatsapp/status']));
  });
});

describe('GET /health', () => {
  it('is healthy with queue counts, workers, ffmpeg, adapters and security settings', async () => {
    const server = await start({}, { server: { workers: 2 } });
    server.worker?.pause();
    await submit(server, 'a fox');
    await submit(server, 'a boat');
    const res = await server.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      status: 'healthy',
      version: await packageVersion(),
      store: { ok: true, name: 'sqlite', tasks: 2 },
      queue: { ok: true, name: 'sqlite', waiting: 2, active: 0, delayed: 0, completed: 0, failed: 0, canceled: 0 },
      workers: { running: 0, concurrency: 2, paused: true },
      ffmpeg: { ok: true, path: server.vidbot.ffmpeg.ffmpeg },
      adapters: {
        provider: server.vidbot.provider.name,
        polisher: server.vidbot.polisher.name,
        media_host: 'local',
        channels: ['local'],
        store: 'sqlite',
        queue: 'sqlite',
      },
      security: { api: 'this machine only (VIDBOT_API_KEY not set)', twilio_signature: 'checked' },
      public_base_url: null,
    });
    expect(typeof body.uptime_sec).toBe('number');
  });

  it('says when an API key is set and when signatures are not checked, without revealing secrets', async () => {
    const apiKey = 'api-key-that-must-not-leak-42';
    const { app } = await start(
      {},
      { server: { apiKey, insecureSkipSignature: true, publicBaseUrl: 'https://bot.example.com' } },
    );
    const res = await app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.9' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      security: { api: 'bearer token (VIDBOT_API_KEY)', twilio_signature: 'NOT CHECKED (--insecure-skip-signature)' },
      public_base_url: 'https://bot.example.com',
    });
    expect(res.body).not.toContain(apiKey);
    expect(res.body).not.toContain(TEST_AUTH_TOKEN);
  });

  it('is ready when the store, the queue and ffmpeg work, and always live', async () => {
    const { app, vidbot } = await start();
    // Probed every few seconds: readiness writes its probe but counts no tasks (a read of every one).
    const counted: string[] = [];
    const countTasks = vidbot.store.countTasks.bind(vidbot.store);
    Object.assign(vidbot.store, { countTasks: (...args: Parameters<typeof countTasks>) => (counted.push('counted'), countTasks(...args)) });
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).json()).toEqual({ status: 'ready' });
    expect(counted).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ store: { ok: true, tasks: 0 } });
    expect(counted).toEqual(['counted']);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('answers 503 unhealthy JSON when the store is closed', async () => {
    const { app, vidbot } = await start();
    await vidbot.store.close();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/json');
    const body = res.json<{ status: string; store: { ok: boolean; error?: string }; queue: { ok: boolean } }>();
    expect(body.status).toBe('unhealthy');
    expect(body.store.ok).toBe(false);
    expect(body.store.error).toMatch(/closed/i);
    expect(body.queue.ok).toBe(true);
    // For orchestrators: still live (no restart needed), but not ready for traffic, saying why.
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({ status: 'live' });
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unready', failing: { store: expect.stringMatching(/closed/i) } });
    // The rest of the server keeps answering.
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('answers 503 when the store can still be read but no longer written (a full or read-only disk)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-health-'));
    const db = openDatabase(join(dir, 'store.db'));
    try {
      const { app } = await start({}, { vidbot: { overrides: { store: createSqliteStore({ db }) } } });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      db.exec('PRAGMA query_only = ON');
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unhealthy', store: { ok: false, error: expect.stringMatching(/readonly|read-only/i) }, queue: { ok: true } });
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 when both the store and the queue are closed', async () => {
    const { app, vidbot } = await start();
    await vidbot.close();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unhealthy', store: { ok: false }, queue: { ok: false } });
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text with request, queue and inbound series', async () => {
    const server = await start();
    const { app } = server;
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/list-videos?limit=0' })).statusCode).toBe(400);
    await submit(server, 'a fox');
    await submit(server, 'a boat');
    await submit(server, 'a kite');
    const sid = newMessageSid();
    const hook = signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText('whatsapp:+15550003333', 'a cat playing piano', sid));
    expect((await app.inject(hook)).statusCode).toBe(200);
    // Twilio's retry of the same message counts as a duplicate.
    expect((await app.inject(hook)).statusCode).toBe(200);
    expect((await app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText(USER, '/help')))).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/no-such-page-7f3a' })).statusCode).toBe(404);

    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('# TYPE vidbot_http_requests_total counter');
    expect(sample(text, 'vidbot_http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(2);
    expect(sample(text, 'vidbot_http_requests_total', { method: 'GET', route: '/api/list-videos', status: '400' })).toBe(1);
    expect(sample(text, 'vidbot_http_requests_total', { method: 'POST', route: '/api/generate-video', status: '202' })).toBe(3);
    expect(sample(text, 'vidbot_http_requests_total', { method: 'POST', route: '/whatsapp/webhook', status: '200' })).toBe(3);
    expect(sample(text, 'vidbot_http_request_duration_seconds_count', { route: '/health' })).toBe(2);
    // A miss is counted under one label, not under whatever path was asked for.
    expect(text).not.toContain('no-such-page-7f3a');
    expect(sample(text, 'vidbot_http_requests_total', { method: 'GET', status: '404' })).toBe(1);

    expect(sample(text, 'vidbot_queue_jobs', { state: 'waiting' })).toBe(4);
    expect(sample(text, 'vidbot_queue_jobs', { state: 'active' })).toBe(0);
    expect(sample(text, 'vidbot_inbound_messages_total', { kind: 'ack' })).toBe(1);
    expect(sample(text, 'vidbot_inbound_messages_total', { kind: 'duplicate' })).toBe(1);
    expect(sample(text, 'vidbot_inbound_messages_total', { kind: 'command' })).toBe(1);
    // Process metrics are there too, under vidbot_.
    expect(sample(text, 'vidbot_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });

  it('follows the queue as jobs are canceled', async () => {
    const server = await start();
    const id = await submit(server, 'a fox');
    await submit(server, 'a boat');
    const before = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(before, 'vidbot_queue_jobs', { state: 'waiting' })).toBe(2);
    expect((await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel` })).statusCode).toBe(200);
    const after = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(after, 'vidbot_queue_jobs', { state: 'waiting' })).toBe(1);
    expect(sample(after, 'vidbot_queue_jobs', { state: 'canceled' })).toBe(1);
  });

  it('keeps each server its own registry', async () => {
    const a = await start();
    const b = await start();
    await a.app.inject({ method: 'GET', url: '/health' });
    const text = (await b.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'vidbot_http_requests_total', { route: '/health' })).toBeUndefined();
  });
});
