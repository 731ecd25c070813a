/**
 * The OpenAPI description against the server it describes: it validates as OpenAPI 3.1, it lists
 * every route the server has and nothing else, real answers match what it says, a request that
 * breaks a schema gets a 400 in the error shape, and /openapi.json and /docs sit behind the API guard.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../src/server/openapi/postman.ts';
import { referenceDocument } from '../../src/server/openapi/reference.ts';
import { INJECT_ORIGIN, signedPost, useServers, whatsappText } from '../helpers/server.ts';

const start = useServers();
const USER = 'whatsapp:+15550001111';

/** Every channel on: Twilio, Meta's Cloud API and the simulator, with an API key. */
const FULL_ENV = {
  TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'twilio-token',
  TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
  WHATSAPP_TOKEN: 'meta-token',
  WHATSAPP_PHONE_NUMBER_ID: '100000000000002',
  WHATSAPP_APP_SECRET: 'meta-secret',
  WHATSAPP_VERIFY_TOKEN: 'verify',
};
const KEY = { authorization: 'Bearer k' };

const documentOf = async (app: FastifyInstance, headers: Record<string, string> = {}): Promise<OpenApiDocument> => {
  const res = await app.inject({ method: 'GET', url: '/openapi.json', headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<OpenApiDocument>();
};

/**
 * The routes the server has, from Fastify's own table (printRoutes: an indented tree whose lines add
 * their segment to their parent's path). Each is checked with hasRoute, so a misread line fails.
 */
const routeTable = (app: FastifyInstance): Map<string, Set<string>> => {
  const routes = new Map<string, Set<string>>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue;
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, -]+)\))?$/.exec(line);
    if (!match) throw new Error(`an unexpected line in the route table: ${line}`);
    const depth = (match[1] ?? '').length / 4;
    const path = `${depth === 0 ? '' : (stack[depth - 1] ?? '')}${match[2] ?? ''}`;
    stack[depth] = path;
    stack.length = depth + 1;
    const methods = (match[3] ?? '').split(', ').filter((method) => /^[A-Z]+$/.test(method));
    if (methods.length > 0) routes.set(path, new Set(methods));
  }
  return routes;
};

/** OpenAPI's `{id}` as Fastify's `:id`. */
const routePath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/** Routes left out of the description on purpose, each with its reason (`/docs` with everything under it). */
const EXCLUDED: readonly { readonly route: string; readonly why: string }[] = [
  { route: '/docs', why: 'the documentation page and its assets (@fastify/swagger-ui hides them): a page for people, not an API' },
  { route: '/simulator', why: 'the simulator page' },
  { route: '/simulator/send', why: "the simulator page's own calls; its channel's webhooks are described" },
  { route: '/simulator/status', why: "the simulator page's own calls (its channel's /simulator/status-callback is described)" },
  { route: '/simulator/events', why: "the simulator page's event stream" },
  { route: '/simulator/history', why: "the simulator page's own calls" },
  { route: '/simulator/media/:id', why: "the simulator's uploads, which the bot fetches itself" },
];
const isExcluded = (path: string) => path.startsWith('/docs/') || EXCLUDED.some(({ route }) => route === path);

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; hint: string } }).error;

describe('the OpenAPI description', () => {
  it('validates as OpenAPI 3.1, for the reference setup, every channel on, and the defaults', async () => {
    const full = await start(FULL_ENV, { server: { simulator: true, apiKey: 'k' } });
    const plain = await start();
    for (const [name, doc] of [
      ['reference', await referenceDocument()],
      ['full', await documentOf(full.app, KEY)],
      ['defaults', await documentOf(plain.app)],
    ] as const) {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc) as never);
      expect(result.errors, name).toBeUndefined();
      expect(result.valid, name).toBe(true);
      expect(validator.version, name).toBe('3.1');
      expect(doc.openapi).toBe('3.1.0');
    }
  });

  it('lists every route the server has, with its methods, and nothing else', async () => {
    const { app } = await start(FULL_ENV, { server: { simulator: true, apiKey: 'k' } });
    const doc = await documentOf(app, KEY);
    const routes = routeTable(app);
    const documented = new Map(Object.entries(doc.paths).map(([path, item]) => [routePath(path), new Set(Object.keys(item).map((m) => m.toUpperCase()))]));

    // The table was read right: every path it gave is a route of the server.
    for (const [path, methods] of routes) {
      if (isExcluded(path)) continue;
      for (const method of methods) expect(app.hasRoute({ url: path, method: method as 'GET' }), `${method} ${path}`).toBe(true);
    }
    // Every route is described (HEAD below), and every description is of a route.
    for (const [path, methods] of routes) {
      if (isExcluded(path)) {
        expect(documented.has(path), `${path} is left out`).toBe(false);
        continue;
      }
      for (const method of methods) if (method !== 'HEAD') expect(documented.get(path)?.has(method), `${method} ${path} is described`).toBe(true);
    }
    for (const [path, methods] of documented) {
      for (const method of methods) expect(routes.get(path)?.has(method), `${method} ${path} is a route`).toBe(true);
    }
    // Fastify answers HEAD for every GET by itself; the description has HEAD where a route declares it.
    expect([...documented].filter(([, methods]) => methods.has('HEAD')).map(([path]) => path)).toEqual(['/media/:file']);
    // The channels' webhooks are in, each under its channel's tag: this is the full setup.
    for (const [path, tag] of [['/whatsapp/webhook', 'twilio'], ['/whatsapp/cloud', 'cloud-api'], ['/simulator/webhook', 'simulator'], ['/replicate/webhook', 'providers']] as const) {
      expect(doc.paths[path]?.post?.tags, path).toEqual([tag]);
    }
    // Each exclusion names routes that exist, so the list cannot go stale.
    for (const { route } of EXCLUDED) expect(routes.has(route), route).toBe(true);
  });

  it('has the error shape as the Error component, the API key as bearer or Basic auth, tags and the version', async () => {
    const { app } = await start({}, { server: { apiKey: 'k', publicBaseUrl: 'https://bot.example.com' } });
    const doc = (await documentOf(app, KEY)) as OpenApiDocument & {
      servers?: { url: string }[];
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.info).toMatchObject({ title: 'vidbot', version: pkg.version });
    expect(doc.servers).toEqual([{ url: 'https://bot.example.com', description: 'PUBLIC_BASE_URL' }]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.apiKeyBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Error', 'Job', 'Task']);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const guarded = path.startsWith('/api/') || path === '/test-send' || path === '/openapi.json';
        expect(operation.security ?? [], `${method} ${path}`).toEqual(guarded ? [{ apiKey: [] }, { apiKeyBasic: [] }] : []);
        expect(operation.tags?.length, `${method} ${path}`).toBe(1);
        expect(doc.tags?.map((tag) => tag.name)).toContain(operation.tags?.[0]);
      }
    }
    const used = new Set(Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((operation) => operation.tags ?? [])));
    expect(doc.tags?.map((tag) => tag.name).sort()).toEqual([...used].sort());
    const plain = await start();
    const plainDoc = await documentOf(plain.app);
    expect('servers' in plainDoc).toBe(false);
    // No Twilio account: its webhooks are the local channel's, and no empty `twilio` group is listed.
    expect(plainDoc.tags?.map((tag) => tag.name)).not.toContain('twilio');
    expect(plainDoc.tags?.map((tag) => tag.name)).toContain('local');
  });

  it('names every operation once, as a client generator names its methods', async () => {
    const { app } = await start(FULL_ENV, { server: { simulator: true, apiKey: 'k' } });
    const doc = (await documentOf(app, KEY)) as OpenApiDocument & { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [`${method} ${path}`, operation.operationId] as const));
    for (const [operation, id] of ids) expect(id, operation).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids.map(([, id]) => id)).size).toBe(ids.length);
    const byOperation = Object.fromEntries(ids);
    // The API's own names, and ones made from the method and path for the rest.
    expect(byOperation['get /api/tasks/{id}']).toBe('getTask');
    expect(byOperation['post /api/tasks/{id}/retry']).toBe('retryTask');
    expect(byOperation['post /whatsapp/webhook']).toBe('twilioReceiveMessage');
    expect(byOperation['get /whatsapp/cloud']).toBe('cloudApiVerifyWebhook');
    expect(byOperation['post /simulator/webhook']).toBe('simulatorReceiveMessage');
    expect(byOperation['post /replicate/webhook']).toBe('replicateReceiveUpdate');
    expect(byOperation['get /media/{file}']).toBe('getMediaByFile');
    expect(byOperation['head /media/{file}']).toBe('headMediaByFile');
    // A webhook's id names what it is, not where it is: the same under a path of the operator's choosing.
    const moved = await start({ ...FULL_ENV, WHATSAPP_WEBHOOK_PATH: '/whatsapp-webhook/' }, { server: { apiKey: 'k' } });
    const movedDoc = (await documentOf(moved.app, KEY)) as OpenApiDocument & { paths: Record<string, Record<string, { operationId?: string }>> };
    expect(movedDoc.paths['/whatsapp-webhook/']?.post?.operationId).toBe('cloudApiReceiveNotifications');
    expect(movedDoc.paths['/whatsapp/webhook']?.post?.operationId).toBe('twilioReceiveMessage');
  });

  it('says what the server really answers: real bodies match their documented schemas', async () => {
    const { app } = await start();
    const doc = (await documentOf(app)) as OpenApiDocument & { components: { schemas: Record<string, object> } };
    // Dates as the server writes them (toISOString).
    const ajv = new Ajv2020({ strict: false, formats: { 'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/ } });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    const created = await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: USER } });
    const taskId = created.json<{ task_id: string }>().task_id;
    await app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, whatsappText(USER, '/help')));
    const requests = [
      { method: 'POST', url: '/api/generate-video', path: '/api/generate-video', payload: { prompt: 'a kite', from: USER } },
      { method: 'GET', url: '/api/tasks', path: '/api/tasks' },
      { method: 'GET', url: `/api/tasks/${taskId}`, path: '/api/tasks/{id}' },
      { method: 'GET', url: '/api/tasks/nope', path: '/api/tasks/{id}' },
      { method: 'GET', url: '/api/list-videos', path: '/api/list-videos' },
      { method: 'GET', url: '/api/list-videos?limit=abc', path: '/api/list-videos' },
      { method: 'GET', url: `/api/session-history/${encodeURIComponent(USER)}`, path: '/api/session-history/{sid}' },
      { method: 'POST', url: `/api/tasks/${taskId}/cancel`, path: '/api/tasks/{id}/cancel' },
      { method: 'POST', url: '/test-send', path: '/test-send', payload: { to: USER, message: 'hi' } },
      { method: 'GET', url: '/health', path: '/health' },
      { method: 'GET', url: '/health/live', path: '/health/live' },
      { method: 'GET', url: '/health/ready', path: '/health/ready' },
      { method: 'GET', url: '/', path: '/' },
    ] as const;
    for (const { path, ...request } of requests) {
      const res = await app.inject(request);
      const answer = (doc.paths[path]?.[request.method.toLowerCase()] as { responses?: Record<string, { content?: Record<string, { schema: object }> }> } | undefined)
        ?.responses?.[String(res.statusCode)];
      const schema = answer?.content?.['application/json']?.schema;
      expect(schema, `${request.method} ${request.url} answered ${res.statusCode}, which is documented`).toBeDefined();
      const validate = ajv.compile(schema ?? {});
      expect(validate(res.json()), `${request.method} ${request.url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

describe('schema violations', () => {
  it('answer 400 in the error shape, naming the field', async () => {
    const { app, vidbot } = await start();
    const cases = [
      { request: { method: 'GET', url: '/api/tasks?limit=abc' }, message: 'limit must be a whole number from 1 to 100, got "abc".' },
      { request: { method: 'GET', url: '/api/list-videos?offset=-1' }, message: 'offset must be a whole number from 0 to 1000000, got "-1".' },
      { request: { method: 'GET', url: '/api/list-videos?limit=1e2' }, message: 'limit must be a whole number from 1 to 100, got "1e2".' },
      { request: { method: 'POST', url: '/test-send', payload: { message: 'hi' } }, message: 'Give "to", e.g. whatsapp:+15551234567.' },
      { request: { method: 'POST', url: '/test-send', payload: { to: 7, message: 'hi' } }, message: '"to" must be text or a list, got 7.' },
      { request: { method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 5 } }, message: '"from" must be text or null, got 5.' },
      { request: { method: 'POST', url: '/api/generate-video', payload: [] }, message: 'The body must be a JSON object, got a list.' },
    ] as const;
    for (const { request, message } of cases) {
      const res = await app.inject(request);
      expect(res.statusCode, request.url).toBe(400);
      expect(res.headers['content-type']).toContain('application/json');
      expect(errorOf(res.body), request.url).toEqual({ code: 'VIDBOT_INPUT_INVALID', message, hint: 'GET /openapi.json describes every endpoint and the fields it takes.' });
    }
    expect(await vidbot.store.countTasks()).toBe(0);
    expect(await vidbot.store.listOutbound()).toEqual([]);
  });

  it('come after the guard: a caller without the key learns nothing about the fields', async () => {
    const { app } = await start({}, { server: { apiKey: 'k' } });
    const res = await app.inject({ method: 'GET', url: '/api/tasks?limit=abc' });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res.body).code).toBe('VIDBOT_UNAUTHORIZED');
    expect((await app.inject({ method: 'GET', url: '/api/tasks?limit=abc', headers: KEY })).statusCode).toBe(400);
  });

  it('do not touch the webhooks: Twilio\'s unknown and repeated fields pass untouched under the signature, unsigned posts get 403', async () => {
    const { app, vidbot } = await start();
    const params = { ...whatsappText(USER, 'a fox'), NumMedia: '0', Extra: ['b', 'a'], Number: '007', Empty: '' };
    const res = await app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/webhook`, params));
    expect(res.statusCode).toBe(200);
    const session = await vidbot.store.getSession(USER);
    expect(session?.messages[0]?.meta).toMatchObject({ fields: { Extra: 'b,a', Number: '007', Empty: '' } });
    const unsigned = await app.inject({ method: 'POST', url: '/whatsapp/webhook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'NumMedia=lots' });
    expect(unsigned.statusCode).toBe(403);
  });
});

describe('/openapi.json and /docs', () => {
  const PAGE = ['/openapi.json', '/docs', '/docs/', '/docs/json', '/docs/static/swagger-initializer.js', '/docs/static/swagger-ui.css'];

  it('sit behind the API key like /api: none or a wrong one is 401, the key opens them from anywhere', async () => {
    const { app } = await start({}, { server: { apiKey: 'k' } });
    for (const url of [...PAGE, '/api/tasks']) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        const res = await app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, url).toBe(401);
        expect(errorOf(res.body).code).toBe('VIDBOT_UNAUTHORIZED');
      }
      const res = await app.inject({ method: 'GET', url, headers: KEY, remoteAddress: '203.0.113.9' });
      expect(res.statusCode, url).toBe(200);
    }
  });

  it('ask a browser for the key (Basic, the key as the password), which then opens the page and its requests', async () => {
    const { app } = await start({}, { server: { apiKey: 'k' } });
    const basic = (userAndKey: string) => ({ authorization: `Basic ${Buffer.from(userAndKey).toString('base64')}` });
    for (const url of PAGE) {
      const refused = await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.9' });
      expect(refused.statusCode, url).toBe(401);
      expect(refused.headers['www-authenticate'], url).toBe('Basic realm="vidbot", charset="UTF-8"');
      expect((await app.inject({ method: 'GET', url, headers: basic('me:k'), remoteAddress: '203.0.113.9' })).statusCode, url).toBe(200);
      expect((await app.inject({ method: 'GET', url, headers: basic(':k') })).statusCode, url).toBe(200);
      expect((await app.inject({ method: 'GET', url, headers: basic('k:wrong') })).statusCode, url).toBe(401);
      expect((await app.inject({ method: 'GET', url, headers: basic('k') })).statusCode, url).toBe(401);
    }
    // The API takes the same credentials, but a script calling it is not asked for them like a browser.
    expect((await app.inject({ method: 'GET', url: '/api/tasks', headers: basic('me:k') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/tasks' })).headers['www-authenticate']).toBeUndefined();
  });

  it('without a key answer this machine only, like /api', async () => {
    const { app } = await start();
    for (const url of [...PAGE, '/api/tasks']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      expect((await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.9' })).statusCode, url).toBe(401);
      const forwarded = await app.inject({ method: 'GET', url, headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(forwarded.statusCode, url).toBe(401);
      // No key to give: a browser is not asked for one.
      expect(forwarded.headers['www-authenticate'], url).toBeUndefined();
    }
  });

  it('serve the page with its assets from the server itself, so it works offline', async () => {
    const { app } = await start();
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.headers['content-type']).toContain('text/html');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset, 'a local asset').not.toMatch(/^(https?:)?\/\//);
      const res = await app.inject({ method: 'GET', url: new URL(asset, `${INJECT_ORIGIN}/docs/`).pathname });
      expect(res.statusCode, asset).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).json()).toEqual(await documentOf(app));
  });
});
