import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/lib/store/port.ts';
import { INJECT_ORIGIN, signedPost, twimlText, whatsappText, type TestServer, useServers } from '../helpers/server.ts';

type Server = TestServer;

const USER = 'whatsapp:+15550001111';
const OTHER = 'whatsapp:+15550002222';

const start = useServers();

const errorCode = (body: string): unknown => (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;

describe('POST /api/generate-video', () => {
  it('queues a task for {prompt, from} and answers 202 with its id', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({
      method: 'POST',
      url: '/api/generate-video',
      payload: { prompt: '  A fox running through neon city night  ', from: USER },
    });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ task_id: string; status: string; position: number | null }>();
    expect(body.task_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.status).toBe('queued');
    expect(body.position).toBe(1);

    const task = await vidbot.store.getTask(body.task_id);
    expect(task).toMatchObject({ prompt: 'A fox running through neon city night', from: USER, sessionId: USER, status: 'queued' });
    const job = await vidbot.queue.get(body.task_id);
    expect(job).toMatchObject({ id: body.task_id, state: 'waiting', data: { taskId: body.task_id } });
    expect((await vidbot.queue.counts()).waiting).toBe(1);
  });

  it('accepts the seed curl example verbatim and a second task queues behind the first', async () => {
    const { app, vidbot } = await start();
    const payload = '{"prompt":"A fox running through neon city night","from":"whatsapp:+91XXXXXXXXXX"}';
    const first = await app.inject({ method: 'POST', url: '/api/generate-video', headers: { 'content-type': 'application/json' }, payload });
    const second = await app.inject({
      method: 'POST',
      url: '/api/generate-video',
      payload: { prompt: 'a paper boat', from: OTHER },
    });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json<{ position: number }>().position).toBe(2);
    expect(await vidbot.store.countTasks()).toBe(2);
  });

  it('files a task without "from" under the api session', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a red kite' } });
    expect(res.statusCode).toBe(202);
    const task = await vidbot.store.getTask(res.json<{ task_id: string }>().task_id);
    expect(task).toMatchObject({ from: '', sessionId: 'api' });
  });

  it('answers 400 VIDBOT_PROMPT_EMPTY for empty, blank, missing and non-string prompts and stores nothing', async () => {
    const { app, vidbot } = await start();
    const cases: [string, Record<string, unknown>][] = [
      ['an empty prompt', { prompt: '', from: USER }],
      ['a whitespace prompt', { prompt: ' \n\t ', from: USER }],
      ['a missing prompt', { from: USER }],
      ['a numeric prompt', { prompt: 42, from: USER }],
      ['an object prompt', { prompt: { text: 'a fox' }, from: USER }],
      ['a null prompt', { prompt: null }],
    ];
    for (const [name, payload] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/generate-video', payload });
      expect(res.statusCode, name).toBe(400);
      expect(errorCode(res.body), name).toBe('VIDBOT_PROMPT_EMPTY');
      // The hint is written for an HTTP client: the field to send, not a command to run.
      expect(res.json<{ error: { hint: string } }>().error.hint, name).toMatch(/^Send a "prompt"/);
    }
    expect(await vidbot.store.countTasks()).toBe(0);
    expect((await vidbot.queue.counts()).waiting).toBe(0);
  });

  it('answers 400 VIDBOT_PROMPT_TOO_LONG over VIDBOT_PROMPT_MAX_CHARS, counting emoji once', async () => {
    const { app, vidbot } = await start({ VIDBOT_PROMPT_MAX_CHARS: '20' });
    const tooLong = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'x'.repeat(21), from: USER } });
    expect(tooLong.statusCode).toBe(400);
    expect(errorCode(tooLong.body)).toBe('VIDBOT_PROMPT_TOO_LONG');
    expect(tooLong.json<{ error: { message: string } }>().error.message).toContain('20');
    const atLimit = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: '🦊'.repeat(20), from: USER } });
    expect(atLimit.statusCode).toBe(202);
    expect(await vidbot.store.countTasks()).toBe(1);
  });

  it('answers 400 VIDBOT_INPUT_INVALID for JSON that is not an object, malformed or empty', async () => {
    const { app, vidbot } = await start();
    const cases: [string, string][] = [
      ['a JSON array', '[{"prompt":"a fox"}]'],
      ['a JSON string', '"a fox"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['malformed JSON', '{"prompt": "a fox",'],
      ['truncated JSON', '{"prompt'],
      ['an empty body', ''],
      ['a prototype-poisoning object', '{"prompt":"a fox","__proto__":{"admin":true}}'],
      ['a constructor-poisoning object', '{"prompt":"a fox","constructor":{"prototype":{"admin":true}}}'],
    ];
    for (const [name, payload] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/generate-video', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode, name).toBe(400);
      expect(res.headers['content-type'], name).toContain('application/json');
      expect(errorCode(res.body), name).toBe('VIDBOT_INPUT_INVALID');
      expect(res.json<{ error: { hint: string } }>().error.hint, name).not.toMatch(/vidbot <command>|--help/);
    }
    expect(await vidbot.store.countTasks()).toBe(0);
  });

  it('answers 400 when "from" is not a string', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: ['x'] } });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res.body)).toBe('VIDBOT_INPUT_INVALID');
    expect(await vidbot.store.countTasks()).toBe(0);
  });

  it('answers 415 for a content type it cannot read', async () => {
    const { app } = await start();
    const res = await app.inject({ method: 'POST', url: '/api/generate-video', headers: { 'content-type': 'application/xml' }, payload: '<prompt/>' });
    expect(res.statusCode).toBe(415);
    expect(errorCode(res.body)).toBe('VIDBOT_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('GET /api/session-history/:sid', () => {
  it('returns a webhook conversation in the seed shape', async () => {
    const { app } = await start();
    const hook = await app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText(USER, 'a cat playing piano in space')));
    expect(hook.statusCode).toBe(200);
    expect(twimlText(hook.body)).toBeTruthy();

    const res = await app.inject({ method: 'GET', url: `/api/session-history/${encodeURIComponent(USER)}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      session_id: string;
      created_at: string;
      messages: { role: string; text: string; meta: Record<string, unknown> | null; ts: string }[];
    }>();
    expect(body.session_id).toBe(USER);
    expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
    expect(body.messages).toHaveLength(2);
    const [user, bot] = body.messages;
    expect(user).toMatchObject({ role: 'user', text: 'a cat playing piano in space' });
    expect(user?.meta).toMatchObject({ fields: { From: USER, Body: 'a cat playing piano in space' } });
    expect(bot?.role).toBe('bot');
    expect(bot?.text).toBe(twimlText(hook.body));
    expect(bot?.meta).toMatchObject({ kind: 'ack' });
    for (const message of body.messages) {
      expect(Object.keys(message).sort()).toEqual(['meta', 'role', 'text', 'ts']);
      expect(new Date(message.ts).toISOString()).toBe(message.ts);
    }
  });

  it('also finds the session with an unencoded + and colon in the path', async () => {
    const { app } = await start();
    await app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText(USER, '/help')));
    const res = await app.inject({ method: 'GET', url: `/api/session-history/${USER}` });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ session_id: string }>().session_id).toBe(USER);
  });

  it('answers 404 VIDBOT_NOT_FOUND for an unknown session', async () => {
    const { app } = await start();
    const res = await app.inject({ method: 'GET', url: `/api/session-history/${encodeURIComponent(OTHER)}` });
    expect(res.statusCode).toBe(404);
    expect(errorCode(res.body)).toBe('VIDBOT_NOT_FOUND');
  });
});

describe('GET /api/list-videos', () => {
  const addVideos = async (server: Server, count: number, from = USER) => {
    for (let i = 0; i < count; i++) {
      await server.vidbot.store.addVideo({
        taskId: `task-${from}-${i}`,
        filename: `video-${i}.mp4`,
        path: `/tmp/video-${i}.mp4`,
        prompt: `prompt ${i}`,
        sessionId: from,
        from,
        sizeBytes: 1000 + i,
        durationSec: 2,
        ...(i % 2 === 0 ? { videoUrl: `https://cdn.example.com/${i}.mp4` } : {}),
      });
    }
  };

  it('pages newest first with limit, offset and next_offset', async () => {
    const server = await start();
    await addVideos(server, 5);
    const page1 = await server.app.inject({ method: 'GET', url: '/api/list-videos?limit=2' });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json<{ videos: { prompt: string }[]; limit: number; offset: number; next_offset: number | null }>();
    expect(body1.videos.map((v) => v.prompt)).toEqual(['prompt 4', 'prompt 3']);
    expect(body1).toMatchObject({ limit: 2, offset: 0, next_offset: 2 });

    const page3 = await server.app.inject({ method: 'GET', url: '/api/list-videos?limit=2&offset=4' });
    const body3 = page3.json<{ videos: { prompt: string }[]; next_offset: number | null }>();
    expect(body3.videos.map((v) => v.prompt)).toEqual(['prompt 0']);
    expect(body3.next_offset).toBeNull();

    // Exactly a full last page: no next page.
    const exact = await server.app.inject({ method: 'GET', url: '/api/list-videos?limit=5' });
    expect(exact.json<{ videos: unknown[]; next_offset: number | null }>()).toMatchObject({ next_offset: null });
    expect(exact.json<{ videos: unknown[] }>().videos).toHaveLength(5);

    const past = await server.app.inject({ method: 'GET', url: '/api/list-videos?offset=100' });
    expect(past.json<{ videos: unknown[]; next_offset: number | null }>()).toMatchObject({ videos: [], next_offset: null });
  });

  it('returns videos in the seed shape and filters by from', async () => {
    const server = await start();
    await addVideos(server, 2);
    await addVideos(server, 1, OTHER);
    const res = await server.app.inject({ method: 'GET', url: `/api/list-videos?from=${encodeURIComponent(OTHER)}` });
    const body = res.json<{ videos: Record<string, unknown>[]; limit: number }>();
    expect(body.limit).toBe(20);
    expect(body.videos).toHaveLength(1);
    expect(body.videos[0]).toMatchObject({
      task_id: `task-${OTHER}-0`,
      filename: 'video-0.mp4',
      prompt: 'prompt 0',
      session_id: OTHER,
      from: OTHER,
      cloud_url: 'https://cdn.example.com/0.mp4',
      size_bytes: 1000,
      duration_sec: 2,
    });
    expect(typeof body.videos[0]?.video_id).toBe('string');
    expect(new Date(String(body.videos[0]?.created_at)).toISOString()).toBe(body.videos[0]?.created_at);
    const all = await server.app.inject({ method: 'GET', url: '/api/list-videos' });
    const videos = all.json<{ videos: { cloud_url: string | null }[] }>().videos;
    expect(videos).toHaveLength(3);
    expect(videos.filter((v) => v.cloud_url === null)).toHaveLength(1);
  });

  it('answers 400 VIDBOT_INPUT_INVALID for limits and offsets out of bounds or not whole numbers', async () => {
    const { app } = await start();
    const queries = ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=1e2', 'limit=%201', 'limit=1&limit=2', 'offset=-1', 'offset=x', 'offset=1000001'];
    for (const query of queries) {
      const res = await app.inject({ method: 'GET', url: `/api/list-videos?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(errorCode(res.body), query).toBe('VIDBOT_INPUT_INVALID');
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/^(limit|offset) must be a whole number/);
    }
  });

  it('accepts the bounds limit=1 and limit=100', async () => {
    const server = await start();
    await addVideos(server, 2);
    const one = await server.app.inject({ method: 'GET', url: '/api/list-videos?limit=1' });
    expect(one.json<{ videos: unknown[]; next_offset: number | null }>()).toMatchObject({ next_offset: 1 });
    const hundred = await server.app.inject({ method: 'GET', url: '/api/list-videos?limit=100' });
    expect(hundred.statusCode).toBe(200);
    expect(hundred.json<{ videos: unknown[] }>().videos).toHaveLength(2);
  });
});

describe('tasks', () => {
  const submit = async (server: Server, prompt: string, from = USER): Promise<string> => {
    const res = await server.app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt, from } });
    expect(res.statusCode).toBe(202);
    return res.json<{ task_id: string }>().task_id;
  };

  it('GET /api/tasks lists tasks newest first, with limit and from', async () => {
    const server = await start();
    const a = await submit(server, 'first');
    const b = await submit(server, 'second', OTHER);
    const c = await submit(server, 'third');
    const all = await server.app.inject({ method: 'GET', url: '/api/tasks' });
    expect(all.statusCode).toBe(200);
    expect(all.json<{ tasks: Task[] }>().tasks.map((t) => t.taskId)).toEqual([c, b, a]);
    const limited = await server.app.inject({ method: 'GET', url: '/api/tasks?limit=1' });
    expect(limited.json<{ tasks: Task[] }>().tasks.map((t) => t.taskId)).toEqual([c]);
    const mine = await server.app.inject({ method: 'GET', url: `/api/tasks?from=${encodeURIComponent(OTHER)}` });
    expect(mine.json<{ tasks: Task[] }>().tasks.map((t) => t.taskId)).toEqual([b]);
    const bad = await server.app.inject({ method: 'GET', url: '/api/tasks?limit=0' });
    expect(bad.statusCode).toBe(400);
  });

  it('GET /api/tasks/:id returns the task and its job; unknown ids 404', async () => {
    const server = await start();
    const id = await submit(server, 'a fox');
    const res = await server.app.inject({ method: 'GET', url: `/api/tasks/${id}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ task: Task; job: { id: string; state: string } | null }>();
    expect(body.task).toMatchObject({ taskId: id, prompt: 'a fox', status: 'queued', from: USER });
    expect(body.job).toMatchObject({ id, state: 'waiting' });

    const missing = await server.app.inject({ method: 'GET', url: '/api/tasks/no-such-task' });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing.body)).toBe('VIDBOT_TASK_NOT_FOUND');
  });

  it('POST /api/tasks/:id/cancel cancels a queued task and its job', async () => {
    const server = await start();
    const id = await submit(server, 'a fox');
    const res = await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ outcome: string; task: Task }>()).toMatchObject({ outcome: 'canceled', task: { taskId: id, status: 'canceled' } });
    expect((await server.vidbot.store.getTask(id))?.status).toBe('canceled');
    expect((await server.vidbot.queue.get(id))?.state).toBe('canceled');
    expect((await server.vidbot.queue.counts()).waiting).toBe(0);

    const again = await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel` });
    expect(again.json<{ outcome: string }>().outcome).toBe('already-finished');

    const missing = await server.app.inject({ method: 'POST', url: '/api/tasks/no-such-task/cancel' });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing.body)).toBe('VIDBOT_TASK_NOT_FOUND');
  });

  it('POST /api/tasks/:id/retry queues a canceled task again, and refuses one that is not finished badly', async () => {
    const server = await start();
    const id = await submit(server, 'a fox');
    const busy = await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/retry` });
    expect(busy.statusCode).toBe(409);
    expect(errorCode(busy.body)).toBe('VIDBOT_CONFLICT');
    expect(busy.json().error.message).toContain('only failed or canceled tasks');
    expect(busy.json().error.hint).not.toMatch(/`vidbot /);
    await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel` });
    const res = await server.app.inject({ method: 'POST', url: `/api/tasks/${id}/retry` });
    expect(res.statusCode).toBe(202);
    const retried = res.json<{ task: Task }>().task;
    expect(retried).toMatchObject({ taskId: id, status: 'queued', cancelRequested: false, jobId: `${id}#2` });
    // A new job: the canceled one stays canceled, as history.
    expect((await server.vidbot.queue.get(`${id}#2`))?.state).toBe('waiting');
    expect((await server.vidbot.queue.get(id))?.state).toBe('canceled');
    // The task's own answer names its job now, not the first one.
    const read = await server.app.inject({ method: 'GET', url: `/api/tasks/${id}` });
    expect(read.json<{ job: { id: string; state: string } }>().job).toMatchObject({ id: `${id}#2`, state: 'waiting' });
    expect((await server.app.inject({ method: 'POST', url: '/api/tasks/nope/retry' })).statusCode).toBe(404);
  });
});

describe('API authentication', () => {
  const ROUTES = [
    { method: 'GET' as const, url: '/api/tasks' },
    { method: 'GET' as const, url: '/api/list-videos' },
    { method: 'GET' as const, url: `/api/session-history/${encodeURIComponent(USER)}` },
    { method: 'GET' as const, url: '/api/tasks/some-id' },
    { method: 'POST' as const, url: '/api/tasks/some-id/retry' },
    { method: 'POST' as const, url: '/api/tasks/some-id/cancel' },
    { method: 'POST' as const, url: '/api/generate-video', payload: { prompt: 'a fox', from: USER } },
    { method: 'POST' as const, url: '/test-send', payload: { to: USER, message: 'hi' } },
  ];

  it('without a key, refuses a local browser acting for another site (foreign Origin, or a rebound Host)', async () => {
    const { app } = await start();
    const pause = { method: 'POST' as const, url: '/api/tasks/some-id/cancel' };
    const csrf = await app.inject({ ...pause, headers: { origin: 'https://evil.example' } });
    expect(csrf.statusCode).toBe(401);
    const rebound = await app.inject({ ...pause, headers: { host: 'evil.example:3000' } });
    expect(rebound.statusCode).toBe(401);
    const own = await app.inject({ ...pause, headers: { origin: 'http://localhost:80' } });
    expect(own.statusCode).toBe(404);
    expect(errorCode(own.body)).toBe('VIDBOT_TASK_NOT_FOUND');
    const simulatorPost = await app.inject({ method: 'POST', url: '/api/generate-video', headers: { origin: 'null' }, payload: { prompt: 'x', from: USER } });
    expect(simulatorPost.statusCode).toBe(401);
  });

  it('with VIDBOT_API_KEY: no or a wrong bearer is 401, the right one passes', async () => {
    const { app, vidbot } = await start({}, { server: { apiKey: 'k' } });
    for (const route of ROUTES) {
      for (const authorization of [undefined, 'Bearer wrong', 'Bearer k2', 'Bearer ', 'Basic az', 'k', 'Bearer kk']) {
        const res = await app.inject({ ...route, headers: authorization === undefined ? {} : { authorization } });
        expect(res.statusCode, `${route.method} ${route.url} ${authorization ?? '(none)'}`).toBe(401);
        expect(errorCode(res.body)).toBe('VIDBOT_UNAUTHORIZED');
      }
    }
    // Nothing got through.
    expect(await vidbot.store.countTasks()).toBe(0);
    expect(await vidbot.store.listOutbound()).toEqual([]);

    // The key opens every route, even from a remote address, and the scheme is case-insensitive.
    const ok = await app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: 'Bearer k' }, remoteAddress: '203.0.113.9' });
    expect(ok.statusCode).toBe(200);
    const lower = await app.inject({ method: 'GET', url: '/api/list-videos', headers: { authorization: 'bearer k' } });
    expect(lower.statusCode).toBe(200);
    const created = await app.inject({
      method: 'POST',
      url: '/api/generate-video',
      headers: { authorization: 'Bearer k' },
      payload: { prompt: 'a fox', from: USER },
    });
    expect(created.statusCode).toBe(202);
    // With a key set, a local caller still needs it.
    const local = await app.inject({ method: 'GET', url: '/api/tasks', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(401);
  });

  it('without a key: loopback passes, remote and forwarded requests are 401', async () => {
    const { app, vidbot } = await start();
    for (const route of ROUTES) {
      const remote = await app.inject({ ...route, remoteAddress: '203.0.113.9' });
      expect(remote.statusCode, `${route.method} ${route.url} remote`).toBe(401);
      expect(errorCode(remote.body)).toBe('VIDBOT_UNAUTHORIZED');
      const forwarded = await app.inject({ ...route, headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(forwarded.statusCode, `${route.method} ${route.url} forwarded`).toBe(401);
      // Any header a local reverse proxy adds marks the request as not local (nginx often sends only X-Real-IP).
      const proxyHeaders = [
        { forwarded: 'for=203.0.113.9' },
        { 'x-real-ip': '203.0.113.9' },
        { 'x-forwarded-host': 'bot.example.com' },
        { 'x-forwarded-proto': 'https' },
        { via: '1.1 proxy' },
      ];
      for (const headers of proxyHeaders) {
        const proxied = await app.inject({ ...route, headers });
        expect(proxied.statusCode, `${route.method} ${route.url} ${Object.keys(headers)[0] ?? ''}`).toBe(401);
      }
      // A remote caller cannot pretend to be local with a bearer that matches nothing.
      const guessed = await app.inject({ ...route, remoteAddress: '203.0.113.9', headers: { authorization: 'Bearer ' } });
      expect(guessed.statusCode).toBe(401);
    }
    expect(await vidbot.store.countTasks()).toBe(0);
    expect(await vidbot.store.listOutbound()).toEqual([]);

    for (const remoteAddress of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      const res = await app.inject({ method: 'GET', url: '/api/tasks', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(200);
    }
    for (const remoteAddress of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '::2']) {
      const res = await app.inject({ method: 'GET', url: '/api/tasks', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(401);
    }
  });

  it('does not guard the webhook, health, metrics or media with the API key', async () => {
    const { app } = await start({}, { server: { apiKey: 'k' } });
    expect((await app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/', remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
    const hook = await app.inject({ ...signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText(USER, '/help')), remoteAddress: '203.0.113.9' });
    expect(hook.statusCode).toBe(200);
  });
});

describe('POST /test-send', () => {
  it('records an outbound message from the seed curl form', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({
      method: 'POST',
      url: '/test-send',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'to=whatsapp:+91XXXXXXXXXX&message=Hello from deployed bot!',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ok: boolean; sid: string; status: string }>();
    expect(body).toMatchObject({ ok: true, status: 'delivered' });
    expect(body.sid).toMatch(/^LM[0-9a-f]{32}$/);
    // curl -d sends the + unencoded, which a form decodes as a space; the address keeps its +.
    const outbound = await vidbot.store.listOutbound();
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({ messageId: body.sid, to: 'whatsapp:+91XXXXXXXXXX', body: 'Hello from deployed bot!', kind: 'notice' });
  });

  it('keeps a properly encoded + and repeated fields take their first value', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({
      method: 'POST',
      url: '/test-send',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `to=${encodeURIComponent(USER)}&to=${encodeURIComponent(OTHER)}&message=${encodeURIComponent('héllo + 👋')}`,
    });
    expect(res.statusCode).toBe(200);
    const outbound = await vidbot.store.listOutbound();
    expect(outbound.map((o) => [o.to, o.body])).toEqual([[USER, 'héllo + 👋']]);
  });

  it('accepts JSON and a media_url', async () => {
    const { app, vidbot } = await start();
    const res = await app.inject({ method: 'POST', url: '/test-send', payload: { to: USER, media_url: 'https://cdn.example.com/v.mp4' } });
    expect(res.statusCode).toBe(200);
    const [record] = await vidbot.store.listOutbound({ to: USER });
    expect(record).toMatchObject({ mediaUrl: 'https://cdn.example.com/v.mp4' });
    expect(record?.body).toBeUndefined();
  });

  it('answers 400 for a missing or blank to, or nothing to send, and sends nothing', async () => {
    const { app, vidbot } = await start();
    const cases: [string, string][] = [
      ['missing to', 'message=hello'],
      ['blank to', 'to=%20%20&message=hello'],
      ['missing message and media', 'to=whatsapp:%2B15550001111'],
      ['blank message', 'to=whatsapp:%2B15550001111&message=%20'],
      ['an empty form', ''],
    ];
    for (const [name, payload] of cases) {
      const res = await app.inject({ method: 'POST', url: '/test-send', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expect(res.statusCode, name).toBe(400);
      expect(errorCode(res.body), name).toBe('VIDBOT_INPUT_INVALID');
    }
    const bare = await app.inject({ method: 'POST', url: '/test-send' });
    expect(bare.statusCode).toBe(400);
    expect(await vidbot.store.listOutbound()).toEqual([]);
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const { app, vidbot } = await start();
    for (const payload of ['null', '[]', '"to=x"', '7']) {
      const res = await app.inject({ method: 'POST', url: '/test-send', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode, payload).toBe(400);
    }
    expect(await vidbot.store.listOutbound()).toEqual([]);
  });
});
