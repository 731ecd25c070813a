import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { createLocalMediaHost } from '../../src/lib/media-host/local.ts';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { frameworkErrors, installErrorHandlers } from '../../src/server/errors.ts';
import { mediaRoutes } from '../../src/server/routes/media.ts';
import { makeCompliantClip, makeTempDir, removeDir } from '../helpers/media.ts';
import {
  type FormParams,
  INJECT_ORIGIN,
  TEST_AUTH_TOKEN,
  makeServer,
  newMessageSid,
  signedPost,
  twimlText,
  whatsappText,
  type TestServer,
  useServers,
} from '../helpers/server.ts';

type Server = TestServer;

const USER = 'whatsapp:+15550001111';
const WEBHOOK = `${INJECT_ORIGIN}/whatsapp/webhook`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const errorCode = (res: LightMyRequestResponse): unknown => (JSON.parse(res.body) as { error?: { code?: unknown } }).error?.code;

/** Nothing of this sender reached the store: no task, no session, no inbound claim. */
const expectNothingStored = async (server: Server, from = USER) => {
  expect(await server.vidbot.store.listTasks()).toEqual([]);
  expect(await server.vidbot.store.getSession(from)).toBeNull();
  expect(await server.vidbot.store.lastInboundAt(from)).toBeNull();
  expect((await server.vidbot.queue.counts()).waiting).toBe(0);
};

describe('webhook bad input', () => {
  const start = useServers();

  it('answers 415 to JSON, text, multipart and missing content types, storing nothing', async () => {
    const server = await start();
    const params = whatsappText(USER, 'a fox');
    const signature = computeTwilioSignature({ authToken: TEST_AUTH_TOKEN, url: WEBHOOK, params });
    const cases: [string, Record<string, string>, string][] = [
      ['json', { 'content-type': 'application/json' }, JSON.stringify(params)],
      ['text', { 'content-type': 'text/plain' }, new URLSearchParams(params as Record<string, string>).toString()],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=xyz' }, '--xyz\r\nContent-Disposition: form-data; name="From"\r\n\r\nx\r\n--xyz--'],
      ['garbage', { 'content-type': 'nonsense' }, 'From=x'],
      ['form lookalike', { 'content-type': 'application/x-www-form-urlencodedx' }, 'From=x'],
      ['none', {}, 'From=x'],
    ];
    for (const [name, headers, payload] of cases) {
      // Signed, so only the content type is wrong.
      const res = await server.app.inject({ method: 'POST', url: '/whatsapp/webhook', headers: { ...headers, 'x-twilio-signature': signature }, payload });
      expect(res.statusCode, name).toBe(415);
      expect(errorCode(res), name).toBe('VIDBOT_UNSUPPORTED_MEDIA_TYPE');
    }
    await expectNothingStored(server);
  });

  it('accepts the form content type with a charset and in any case', async () => {
    const server = await start();
    for (const type of ['application/x-www-form-urlencoded; charset=utf-8', 'Application/X-WWW-Form-Urlencoded']) {
      const signed = signedPost(WEBHOOK, whatsappText(USER, '/help'));
      const res = await server.app.inject({ ...signed, headers: { ...signed.headers, 'content-type': type } });
      expect(res.statusCode, type).toBe(200);
    }
  });

  it('handles malformed percent-encoding in the form without a 5xx', async () => {
    const server = await start();
    const payloads = ['From=%E0%A4%A&MessageSid=SM1', 'From=%zz&Body=%', '%%%=%%%', '&&&==&', 'From=%F0%9F%98&Body=%C3%28'];
    for (const payload of payloads) {
      const unsigned = await server.app.inject({ method: 'POST', url: '/whatsapp/webhook', headers: FORM, payload });
      expect(unsigned.statusCode, payload).toBe(403);
      expect(errorCode(unsigned)).toBe('VIDBOT_SIGNATURE_INVALID');
    }
    await expectNothingStored(server);

    // The form parser keeps a malformed escape as literal text; signed over that, it is only odd text.
    const params: FormParams = { ...whatsappText(USER, 'a fox'), Odd: '%E0%A4%A' };
    const signed = signedPost(WEBHOOK, { ...params });
    delete params.Odd;
    const res = await server.app.inject({ ...signed, payload: `${new URLSearchParams(params as Record<string, string>).toString()}&Odd=%E0%A4%A` });
    expect(res.statusCode).toBe(200);
    const session = await server.vidbot.store.getSession(USER);
    expect(session?.messages[0]?.meta).toMatchObject({ fields: { Odd: '%E0%A4%A' } });
  });

  it.each([
    ['From', 'From'],
    ['MessageSid', 'MessageSid'],
  ])('answers 400 when %s is missing, even when signed, and stores nothing', async (_name, dropped) => {
    const server = await start();
    const params: FormParams = { ...whatsappText(USER, 'a fox') };
    delete params[dropped];
    if (dropped === 'MessageSid') delete params.SmsMessageSid;
    const res = await server.app.inject(signedPost(WEBHOOK, params));
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('VIDBOT_INPUT_INVALID');
    expect(res.json<{ error: { message: string } }>().error.message).toContain(dropped);
    await expectNothingStored(server);
  });

  it('answers 400 for blank From and MessageSid, and for an empty signed form', async () => {
    const server = await start();
    const blank = await server.app.inject(signedPost(WEBHOOK, { ...whatsappText(USER, 'a fox'), From: '  ', MessageSid: '', SmsMessageSid: '' }));
    expect(blank.statusCode).toBe(400);
    expect(blank.json<{ error: { message: string } }>().error.message).toContain('From and MessageSid');
    const empty = await server.app.inject(signedPost(WEBHOOK, {}));
    expect(empty.statusCode).toBe(400);
    await expectNothingStored(server);
  });

  it('answers 403 for a missing, wrong or stale signature and stores nothing', async () => {
    const server = await start();
    const params = whatsappText(USER, 'a fox');
    const good = signedPost(WEBHOOK, params);
    const variants: [string, InjectOptions][] = [
      ['missing', { ...good, headers: FORM }],
      ['empty', { ...good, headers: { ...FORM, 'x-twilio-signature': '' } }],
      ['garbage', { ...good, headers: { ...FORM, 'x-twilio-signature': 'not-a-signature' } }],
      ['other token', signedPost(WEBHOOK, params, 'some-other-token')],
      ['other url', { ...signedPost(`${INJECT_ORIGIN}/whatsapp/status`, params), url: '/whatsapp/webhook' }],
      ['tampered body', { ...good, payload: good.payload.replace('a+fox', 'a+wolf') }],
      ['extra field', { ...good, payload: `${good.payload}&Extra=1` }],
      ['dropped field', { ...good, payload: good.payload.replace(/&ProfileName=[^&]*/, '') }],
      ['other signature case', { ...good, headers: { ...good.headers, 'x-twilio-signature': good.headers['x-twilio-signature'].toLowerCase() } }],
    ];
    for (const [name, request] of variants) {
      const res = await server.app.inject(request);
      expect(res.statusCode, name).toBe(403);
      expect(errorCode(res), name).toBe('VIDBOT_SIGNATURE_INVALID');
    }
    await expectNothingStored(server);
    // The good one passes, so the variants failed for their change alone.
    const res = await server.app.inject(good);
    expect(res.statusCode).toBe(200);
    expect(twimlText(res.body)).toBeTruthy();
    expect(await server.vidbot.store.listTasks()).toHaveLength(1);
  });

  it('answers in TwiML when a reply quotes a prompt with characters XML cannot carry', async () => {
    // Control characters pasted into a prompt are stored as they are; /status, /history and
    // /cancel quote the prompt back, and the TwiML builder throws on them (XML 1.0 forbids them).
    const server = await start();
    const prompt = 'a fox\u0007 in the \u001b[31msnow\u0000 \uFFFE';
    const queued = await server.app.inject(signedPost(WEBHOOK, whatsappText(USER, prompt)));
    expect(queued.statusCode).toBe(200);
    expect(await server.vidbot.store.listTasks()).toHaveLength(1);
    for (const command of ['/status', '/cancel']) {
      const res = await server.app.inject(signedPost(WEBHOOK, whatsappText(USER, command)));
      expect(res.statusCode, command).toBe(200);
      expect(res.headers['content-type'], command).toContain('text/xml');
      expect(twimlText(res.body), command).toContain('a fox');
    }
  });

  it('checks the status callback the same way', async () => {
    const server = await start();
    const params = { MessageSid: `SM${'2'.repeat(32)}`, MessageStatus: 'read' };
    const unsigned = await server.app.inject({ method: 'POST', url: '/whatsapp/status', headers: FORM, payload: new URLSearchParams(params).toString() });
    expect(unsigned.statusCode).toBe(403);
    const json = await server.app.inject({ method: 'POST', url: '/whatsapp/status', payload: params });
    expect(json.statusCode).toBe(415);
    const missing = await server.app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/status`, { MessageSid: params.MessageSid }));
    expect(missing.statusCode).toBe(400);
    expect(errorCode(missing)).toBe('VIDBOT_INPUT_INVALID');
  });

  it('answers 413 for a body over the limit, on the webhook and the API', async () => {
    const server = await start({}, { server: { bodyLimit: 1024 } });
    const params = whatsappText(USER, 'x'.repeat(2000));
    const res = await server.app.inject(signedPost(WEBHOOK, params));
    expect(res.statusCode).toBe(413);
    expect(errorCode(res)).toBe('VIDBOT_BODY_TOO_LARGE');
    const api = await server.app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'x'.repeat(2000), from: USER } });
    expect(api.statusCode).toBe(413);
    expect(errorCode(api)).toBe('VIDBOT_BODY_TOO_LARGE');
    await expectNothingStored(server);
    // Just under the limit is read.
    const small = await server.app.inject(signedPost(WEBHOOK, whatsappText(USER, 'a fox')));
    expect(small.statusCode).toBe(200);
  });

  it('answers 400 when Content-Length disagrees with the body', async () => {
    const server = await start();
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/generate-video',
      headers: { 'content-type': 'application/json', 'content-length': '5' },
      payload: '{"prompt":"a fox"}',
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('VIDBOT_INPUT_INVALID');
  });
});

describe('routing bad input', () => {
  let server: Server;
  beforeAll(async () => {
    server = await makeServer();
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('answers 404 JSON VIDBOT_NOT_FOUND for unknown routes', async () => {
    for (const url of ['/nope', '/api', '/api/', '/api/unknown', '/whatsapp', '/webhook', '/media', '/health/x', '/api/tasks/a/b/c', '/%F0%9F%A6%8A']) {
      const res = await server.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/json');
      expect(errorCode(res), url).toBe('VIDBOT_NOT_FOUND');
      expect(res.json<{ error: { hint: string } }>().error.hint).toContain('GET /');
    }
  });

  it('answers 404 for a wrong method on a real route', async () => {
    const cases: [InjectOptions['method'], string][] = [
      ['GET', '/whatsapp/webhook'],
      ['PUT', '/whatsapp/webhook'],
      ['GET', '/api/generate-video'],
      ['DELETE', '/api/tasks/x'],
      ['POST', '/health'],
      ['POST', '/metrics'],
      ['PUT', '/test-send'],
      ['GET', '/test-send'],
      ['PATCH', '/'],
    ];
    for (const [method, url] of cases) {
      const res = await server.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(errorCode(res), `${method} ${url}`).toBe('VIDBOT_NOT_FOUND');
      expect(res.json<{ error: { message: string } }>().error.message).toContain(`${method} ${url}`);
    }
  });

  it('answers broken percent-encoding in the path (400) and over-long parameters (404) in the vidbot shape', async () => {
    for (const url of ['/media/%E0%A4%A', '/%zz', '/api/session-history/%']) {
      const res = await server.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(errorCode(res), url).toBe('VIDBOT_INPUT_INVALID');
    }
    const long = await server.app.inject({ method: 'GET', url: `/media/${'A'.repeat(5000)}` });
    expect(long.statusCode).toBe(404);
    expect(errorCode(long)).toBe('VIDBOT_NOT_FOUND');
    expect(long.body.length).toBeLessThan(500);
  });

  it('frameworkErrors answers router errors in the vidbot error shape', async () => {
    const dir = await makeTempDir();
    const app = Fastify({ frameworkErrors });
    try {
      installErrorHandlers(app);
      mediaRoutes(app, { mediaHost: createLocalMediaHost({ dir }) });
      const bad = await app.inject({ method: 'GET', url: '/media/%E0%A4%A' });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/json');
      expect(errorCode(bad)).toBe('VIDBOT_INPUT_INVALID');
      const long = await app.inject({ method: 'GET', url: `/media/${'A'.repeat(5000)}` });
      expect(long.statusCode).toBe(404);
      expect(errorCode(long)).toBe('VIDBOT_NOT_FOUND');
      expect(long.body.length).toBeLessThan(500);
    } finally {
      await app.close();
      await removeDir(dir);
    }
  });
});

/** A small, fast, seedable PRNG (mulberry32), so a failing fuzz run can be replayed. */
const mulberry32 = (seed: number) => {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

describe('fuzz', () => {
  const SEED = Number(process.env.VIDBOT_FUZZ_SEED ?? 20240607);
  const COUNT = Number(process.env.VIDBOT_FUZZ_COUNT ?? 3000);

  let plain: Server;
  let proxied: Server;
  let mediaPath: string;
  let clipDir: string;

  beforeAll(async () => {
    plain = await makeServer({ VIDBOT_RATE_LIMIT: '10000' });
    proxied = await makeServer({}, { server: { apiKey: 'k', trustProxy: true, bodyLimit: 64 * 1024 } });
    clipDir = await makeTempDir();
    const clip = await makeCompliantClip(plain.vidbot.ffmpeg.ffmpeg, clipDir);
    const published = await plain.vidbot.mediaHost.publish(clip);
    mediaPath = `/media/${published.id}.mp4`;
  });

  afterAll(async () => {
    await plain.cleanup();
    await proxied.cleanup();
    await removeDir(clipDir);
  });

  it(`answers ${COUNT} random requests without a 5xx, always in a known shape`, { timeout: 120_000 }, async () => {
    const random = mulberry32(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const chance = (p: number) => random() < p;
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

    const UNICODE = ['é', 'ü', '日本', '🦊', '\u200b', 'Ω', '\u0000', '\ud83d', '\t', '\n', '"', "'", '<', '&', '%', '+', '=', '\\'];
    const ESCAPES = ['%00', '%E0%A4%A', '%zz', '%', '%2', '%F0%9F%A6%8A', '%C3%28', '%2e%2e%2f', '%25', '%0A', '%FF', '%7B', '+'];
    const randomText = (max: number): string => {
      let out = '';
      const length = int(max + 1);
      while (out.length < length) {
        const r = random();
        if (r < 0.6) out += String.fromCharCode(32 + int(95));
        else if (r < 0.8) out += pick(UNICODE);
        else out += pick(ESCAPES);
      }
      return out;
    };
    const FIELD_NAMES = [
      'From', 'To', 'Body', 'MessageSid', 'SmsMessageSid', 'NumMedia', 'MediaUrl0', 'MediaContentType0', 'MediaUrl1',
      'ProfileName', 'WaId', 'AccountSid', 'MessageStatus', 'ErrorCode', 'prompt', 'from', 'to', 'message', 'media_url',
      '__proto__', 'constructor', 'hasOwnProperty', 'toString', '', ' ', 'a[b]', 'a.b',
    ];
    const randomFields = (): FormParams => {
      const fields: FormParams = {};
      const n = int(12);
      for (let i = 0; i < n; i++) {
        const name = chance(0.7) ? pick(FIELD_NAMES) : randomText(12);
        const value = pick([
          () => randomText(40),
          () => pick(['/help', '/status', '/history', '/cancel', '/nope', '', ' ', 'a fox in the snow']),
          () => pick(['0', '1', '-1', '10', '11', '1e9', 'NaN', 'abc', '2.5']),
          () => pick(['https://api.twilio.com/x.jpg', 'http://127.0.0.1:1/x', 'file:///etc/passwd', 'image/jpeg', 'image/png', 'video/mp4']),
          () => 'x'.repeat(int(3000)),
          () => pick([USER, 'whatsapp:+15550002222', 'whatsapp:', 'sms:+1', '']),
        ])();
        const existing = fields[name];
        if (existing !== undefined && chance(0.5)) fields[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
        else fields[name] = value;
      }
      return fields;
    };
    const signedFields = (): FormParams => {
      const base: FormParams = chance(0.7) ? { ...whatsappText(pick([USER, 'whatsapp:+15550002222', 'whatsapp:+1555000' + int(50)]), '') } : {};
      base.Body = pick([() => randomText(60), () => pick(['/help', '/status', '/history', '/cancel', '']), () => '🦊'.repeat(int(1200))])();
      if (chance(0.3)) base.MessageSid = newMessageSid();
      const extra = randomFields();
      for (const [key, value] of Object.entries(extra)) if (chance(0.3)) base[key] = value;
      if (chance(0.1)) delete base.From;
      if (chance(0.1)) {
        delete base.MessageSid;
        if (chance(0.5)) delete base.SmsMessageSid;
      }
      return base;
    };
    const formSoup = (): string => {
      const parts: string[] = [];
      const n = int(20);
      for (let i = 0; i < n; i++) {
        const key = chance(0.1) ? 'k'.repeat(int(20_000)) : chance(0.5) ? pick(FIELD_NAMES) : randomText(10);
        const value = randomText(50);
        parts.push(pick([`${key}=${value}`, key, `=${value}`, `${key}=`, `${key}==${value}`, '']));
      }
      return parts.join(chance(0.9) ? '&' : pick([';', '&&', '\n']));
    };
    const deepJson = (): string => {
      const depth = int(20_000);
      const open = pick(['[', '{"a":', '{"__proto__":', '{"prompt":', '{"constructor":{"prototype":']);
      const close = open === '[' ? ']' : open.endsWith('prototype":') ? '}}' : '}';
      return `${open.repeat(depth)}1${close.repeat(depth)}`;
    };
    const jsonBody = (): string =>
      pick([
        () => JSON.stringify({ prompt: chance(0.7) ? randomText(80) : int(5), from: chance(0.8) ? pick([USER, '', 42, null]) : undefined }),
        () => JSON.stringify({ to: pick([USER, '', 1]), message: randomText(20), media_url: chance(0.3) ? randomText(20) : undefined }),
        () => JSON.stringify(pick([[], null, 1, 'x', true, {}])),
        () => JSON.stringify(Object.fromEntries(Array.from({ length: int(500) }, (_, i) => [`k${i}`, randomText(5)]))),
        () => '{"prompt": "unterminated',
        () => '{"prompt": "a", }',
        () => "{'prompt': 'single quotes'}",
        () => '{"__proto__": {"polluted": true}, "prompt": "a fox"}',
        () => '{"constructor": {"prototype": {"polluted": true}}}',
        () => '\ufeff{"prompt": "bom"}',
        () => deepJson(),
        () => randomText(100),
      ])();

    const TYPES = [
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'multipart/form-data; boundary=----fuzz',
      'multipart/form-data',
      undefined,
      'garbage',
      'application/xml',
      ';;;',
      'application/json; charset=utf-16',
      'APPLICATION/X-WWW-FORM-URLENCODED',
      'application/x-www-form-urlencodedx',
      'application/octet-stream',
      '*/*',
    ];
    const randomBody = (type: string | undefined): string | Buffer | undefined => {
      const kind = int(10);
      if (kind === 0) return undefined;
      if (kind === 1) return Buffer.from(Array.from({ length: int(4000) }, () => int(256)));
      if (kind === 2) return jsonBody();
      if (kind === 3 && chance(0.3)) return 'x'.repeat(300_000); // over the default 256 KB limit
      if (type?.includes('json') && chance(0.7)) return jsonBody();
      if (type?.includes('multipart')) return `------fuzz\r\nContent-Disposition: form-data; name="From"\r\n\r\n${randomText(20)}\r\n------fuzz--\r\n`;
      return formSoup();
    };

    const junkSegment = (): string =>
      pick([
        () => randomText(10).replace(/[\s#?]/g, '').replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c.replace(/[\ud800-\udfff]/g, 'x'))),
        () => pick(ESCAPES),
        () => pick(['..', '.', '%2e%2e', '', 'vidbot.db', '.env', 'etc', 'passwd', 'A'.repeat(22), 'A'.repeat(22) + '.mp4']),
        () => 'z'.repeat(int(400)),
      ])();
    const randomQuery = (): string =>
      chance(0.5)
        ? ''
        : `?${Array.from({ length: int(5) }, () => `${pick(['limit', 'offset', 'from', 'x', randomText(5)])}=${pick(['1', '0', '-1', '100', '101', 'abc', '', '1e3', randomText(6)])}`)
            .join('&')
            .replace(/[\s#]/g, '')
            .replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c.replace(/[\ud800-\udfff]/g, 'x')))}`;
    /**
     * inject() parses the URL with WHATWG rules, where a leading // or a backslash makes the rest a
     * host; a raw HTTP request line has no such meaning, so keep the fuzz to paths inject can send.
     */
    const injectable = (url: string): string => url.replace(/\\/g, '%5C').replace(/^\/+/, '/');
    const ROUTES = [
      () => '/',
      () => '/health',
      () => '/metrics',
      () => '/whatsapp/webhook',
      () => '/whatsapp/status',
      () => mediaPath,
      () => `/media/${junkSegment()}`,
      () => '/api/generate-video',
      () => `/api/session-history/${pick([encodeURIComponent(USER), USER, junkSegment()])}`,
      () => '/api/list-videos',
      () => '/api/tasks',
      () => `/api/tasks/${junkSegment()}`,
      () => `/api/tasks/${junkSegment()}/cancel`,
      () => '/test-send',
      () => `/${junkSegment()}`,
      () => `/${junkSegment()}/${junkSegment()}`,
      () => `/api/${junkSegment()}`,
      () => '/whatsapp//webhook',
      () => `/whatsapp/webhook/${junkSegment()}`,
    ];

    const randomHeaders = (): Record<string, string> => {
      const headers: Record<string, string> = {};
      if (chance(0.3)) headers['x-twilio-signature'] = pick([() => Buffer.from(randomText(20)).toString('base64'), () => randomText(30).replace(/[^\x20-\x7e]/g, ''), () => ''])();
      if (chance(0.3)) headers.authorization = pick(['Bearer k', 'Bearer wrong', 'bearer k', 'Bearer', 'Basic dXNlcjpwYXNz', 'k', `Bearer ${'k'.repeat(int(5000))}`]);
      if (chance(0.3)) headers.range = pick(['bytes=0-99', 'bytes=100-', 'bytes=-50', 'bytes=99999999-', 'bytes=5-1', 'bytes=0-1,3-4', 'bytes=-0', 'garbage', 'bytes=', `bytes=${int(100000)}-${int(100000)}`]);
      if (chance(0.15)) headers['if-none-match'] = pick(['*', '"x"', 'W/"x"', '']);
      if (chance(0.1)) headers['if-range'] = pick(['"x"', 'Wed, 21 Oct 2015 07:28:00 GMT']);
      if (chance(0.2)) headers.host = pick(['localhost:3000', 'bot.example.com', 'evil.example', '[::1]:80', 'a', '', 'localhost:99999', 'x'.repeat(300)]);
      if (chance(0.2)) headers['x-forwarded-proto'] = pick(['https', 'http', 'https, http', 'ftp', '', 'javascript']);
      if (chance(0.2)) headers['x-forwarded-host'] = pick(['abc.ngrok.app', 'abc.ngrok.app, internal', '', 'evil.example:444', '%zz']);
      if (chance(0.2)) headers['x-forwarded-for'] = pick(['203.0.113.9', '127.0.0.1', '::1, 10.0.0.1']);
      if (chance(0.05)) headers.forwarded = 'for=203.0.113.9;proto=https';
      if (chance(0.05)) headers['accept-version'] = '1.0.0';
      if (chance(0.05)) headers['transfer-encoding'] = 'chunked';
      return headers;
    };

    const statuses = new Map<number, number>();
    const shapes = new Map<string, number>();
    const failures: string[] = [];
    const acceptedApiTasks = new Set<string>();
    const sentTestSends = new Set<string>();
    const signedSids = new Set<string>();
    const count = (map: Map<string | number, number>, key: string | number) => map.set(key, (map.get(key) ?? 0) + 1);

    /** What kind of answer this is, or a description of what is wrong with it. */
    const shapeOf = (request: InjectOptions, res: LightMyRequestResponse): { shape: string } | { wrong: string } => {
      const type = String(res.headers['content-type'] ?? '');
      const status = res.statusCode;
      if (status >= 500) return { wrong: `status ${status}: ${res.body.slice(0, 300)}` };
      if (request.method === 'HEAD' || status === 204 || status === 304 || status === 416) {
        return res.rawPayload.length === 0 ? { shape: 'empty' } : { wrong: `a body on ${request.method} ${status}` };
      }
      if (type.startsWith('video/mp4')) {
        return (status === 200 || status === 206) && res.rawPayload.length > 0 ? { shape: 'media' } : { wrong: `media with ${status}` };
      }
      if (type.startsWith('text/xml')) {
        return status === 200 && res.body.startsWith('<?xml') && res.body.includes('<Response') ? { shape: 'twiml' } : { wrong: `bad TwiML ${res.body.slice(0, 100)}` };
      }
      if (type.startsWith('text/plain; version=0.0.4')) {
        return status === 200 && res.body.includes('# TYPE vidbot_http_requests_total') ? { shape: 'prometheus' } : { wrong: 'bad metrics' };
      }
      if (type.startsWith('application/json')) {
        let body: unknown;
        try {
          body = JSON.parse(res.body);
        } catch {
          return { wrong: `invalid JSON ${res.body.slice(0, 100)}` };
        }
        if (body === null || typeof body !== 'object') return { wrong: `JSON that is not an object: ${res.body.slice(0, 100)}` };
        const error = (body as { error?: unknown }).error;
        if (status >= 400) {
          const code = (error as { code?: unknown } | undefined)?.code;
          if (typeof code === 'string' && /^VIDBOT_[A-Z_]+$/.test(code)) return { shape: `error ${code}` };
          return { wrong: `error without a vidbot code: ${res.body.slice(0, 200)}` };
        }
        return error === undefined ? { shape: 'json' } : { wrong: `error body with status ${status}` };
      }
      return { wrong: `unexpected content type "${type}" (${status}): ${res.body.slice(0, 100)}` };
    };

    const started = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const server = chance(0.5) ? plain : proxied;
      let request: InjectOptions;
      if (chance(0.25)) {
        // Correctly signed webhook posts with random field sets.
        const fields = signedFields();
        if (server === plain) {
          request = signedPost(`${WEBHOOK}${chance(0.2) ? '?x=1' : ''}`, fields);
        } else {
          const signed = signedPost('https://abc.ngrok.app/whatsapp/webhook', fields);
          request = { ...signed, headers: { ...signed.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' } };
        }
        const sid = fields.MessageSid ?? fields.SmsMessageSid;
        // A form carries lone surrogates as U+FFFD, as the server will have stored them.
        for (const one of Array.isArray(sid) ? sid : sid === undefined ? [] : [sid]) signedSids.add(one.replace(/[\ud800-\udfff]/gu, '\ufffd').trim());
      } else {
        const method = chance(0.9) ? pick(['POST', 'GET', 'PUT'] as const) : pick(['HEAD', 'DELETE', 'PATCH', 'OPTIONS'] as const);
        const type = pick(TYPES);
        const body = method === 'GET' || method === 'HEAD' ? (chance(0.1) ? formSoup() : undefined) : randomBody(type);
        const headers = randomHeaders();
        if (type !== undefined && (body !== undefined || chance(0.3))) headers['content-type'] = type;
        request = {
          method,
          url: injectable(`${pick(ROUTES)()}${randomQuery()}`),
          headers,
          ...(body === undefined ? {} : { payload: body }),
          ...(chance(0.2) ? { remoteAddress: pick(['203.0.113.9', '::1', '10.1.2.3', '::ffff:127.0.0.1']) } : {}),
        };
      }

      const res = await server.app.inject(request);
      count(statuses, res.statusCode);
      const verdict = shapeOf(request, res);
      if ('wrong' in verdict) {
        failures.push(`#${i} ${request.method} ${String(request.url).slice(0, 120)} -> ${verdict.wrong}`);
        if (failures.length >= 20) break;
        continue;
      }
      count(shapes, verdict.shape);
      if (request.url === '/api/generate-video' && res.statusCode === 202) acceptedApiTasks.add(res.json<{ task_id: string }>().task_id);
      if (String(request.url).startsWith('/test-send') && res.statusCode === 200) sentTestSends.add(res.json<{ sid: string }>().sid);
    }
    const seconds = (Date.now() - started) / 1000;

    console.log(
      `fuzz seed=${SEED} requests=${COUNT} in ${seconds.toFixed(1)} s\n` +
        `  statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}\n` +
        `  shapes: ${[...shapes].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s}×${n}`).join(', ')}`,
    );
    expect(failures).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
    // The fuzz reached the interesting answers, not just 404s.
    for (const status of [200, 400, 403, 404, 415]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    for (const shape of ['twiml', 'json', 'prometheus', 'media', 'empty']) expect(shapes.get(shape) ?? 0, shape).toBeGreaterThan(0);

    // Only signed webhooks and authorised API calls created work or sent messages.
    for (const server of [plain, proxied]) {
      for (const task of await server.vidbot.store.listTasks({ limit: 1_000_000 })) {
        const legit = acceptedApiTasks.has(task.taskId) || (task.messageId !== undefined && signedSids.has(task.messageId));
        expect(legit, `task ${task.taskId} from ${task.from} (${task.messageId ?? 'api'})`).toBe(true);
      }
      for (const record of await server.vidbot.store.listOutbound({ limit: 1_000_000 })) {
        expect(sentTestSends.has(record.messageId ?? ''), `outbound ${record.id}`).toBe(true);
      }
      // Both servers still work.
      expect((await server.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const help = signedPost(server === plain ? WEBHOOK : 'https://abc.ngrok.app/whatsapp/webhook', whatsappText(USER, '/help'));
      const after = await server.app.inject(
        server === plain ? help : { ...help, headers: { ...help.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' } },
      );
      expect(after.statusCode).toBe(200);
      expect(twimlText(after.body)).toContain('/help');
    }
    // Nothing was polluted by __proto__ or constructor payloads.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
