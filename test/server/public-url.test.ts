import { describe, expect, it } from 'vitest';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { type RequestLike, publicUrlOf } from '../../src/server/public-url.ts';
import { INJECT_ORIGIN, TEST_AUTH_TOKEN, signedPost, twimlText, whatsappText, type TestServer, useServers } from '../helpers/server.ts';

type Server = TestServer;

const USER = 'whatsapp:+15550001111';

const req = (url: string, headers: RequestLike['headers'] = {}, encrypted = false): RequestLike => ({ url, headers, encrypted });

describe('publicUrlOf', () => {
  it('uses PUBLIC_BASE_URL (trimmed once, by the config or createServer)', () => {
    const request = req('/whatsapp/webhook?x=1', { host: 'internal:8080' });
    expect(publicUrlOf(request, { publicBaseUrl: 'https://bot.example.com', trustProxy: false })).toBe(
      'https://bot.example.com/whatsapp/webhook?x=1',
    );
  });

  it('keeps a path prefix of PUBLIC_BASE_URL (a proxy that strips it)', () => {
    const request = req('/whatsapp/webhook', { host: 'localhost:3000' });
    expect(publicUrlOf(request, { publicBaseUrl: 'https://example.com/vidbot', trustProxy: false })).toBe(
      'https://example.com/vidbot/whatsapp/webhook',
    );
  });

  it('lets PUBLIC_BASE_URL win over forwarded headers even when the proxy is trusted', () => {
    const request = req('/whatsapp/webhook', { host: 'localhost', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' });
    expect(publicUrlOf(request, { publicBaseUrl: 'https://bot.example.com', trustProxy: true })).toBe(
      'https://bot.example.com/whatsapp/webhook',
    );
  });

  it('behind a trusted proxy takes the first of comma-separated X-Forwarded-* values', () => {
    const request = req('/whatsapp/webhook?a=b', {
      host: '10.0.0.5:3000',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'abc.ngrok.app, internal-lb:8080',
    });
    expect(publicUrlOf(request, { trustProxy: true })).toBe('https://abc.ngrok.app/whatsapp/webhook?a=b');
  });

  it('behind a trusted proxy reads repeated headers and falls back to its own values', () => {
    expect(publicUrlOf(req('/w', { host: 'own:1', 'x-forwarded-proto': ['https', 'http'] }), { trustProxy: true })).toBe('https://own:1/w');
    expect(publicUrlOf(req('/w', { host: 'own:1', 'x-forwarded-host': ['a.example', 'b.example'] }), { trustProxy: true })).toBe(
      'http://a.example/w',
    );
    expect(publicUrlOf(req('/w', { host: 'own:1', 'x-forwarded-host': ' , b.example' }), { trustProxy: true })).toBe('http://own:1/w');
    expect(publicUrlOf(req('/w', { host: 'own:1' }, true), { trustProxy: true })).toBe('https://own:1/w');
  });

  it('without trust proxy ignores X-Forwarded-* and uses the socket and Host', () => {
    const headers = { host: 'localhost:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' };
    expect(publicUrlOf(req('/whatsapp/webhook', headers), { trustProxy: false })).toBe('http://localhost:3000/whatsapp/webhook');
    expect(publicUrlOf(req('/whatsapp/webhook', headers, true), { trustProxy: false })).toBe('https://localhost:3000/whatsapp/webhook');
  });

  it('falls back to localhost without a Host header', () => {
    expect(publicUrlOf(req('/whatsapp/webhook'), { trustProxy: false })).toBe('http://localhost/whatsapp/webhook');
    expect(publicUrlOf(req('/whatsapp/webhook', { host: '' }), { trustProxy: true })).toBe('http://localhost/whatsapp/webhook');
  });
});

describe('the webhook checks the signature against the public URL', () => {
  const start = useServers();

  const tasksOf = async (server: Server) => (await server.vidbot.store.listTasks()).length;

  it('passes with PUBLIC_BASE_URL for a request signed for it, query string included', async () => {
    const server = await start({}, { server: { publicBaseUrl: 'https://bot.example.com' } });
    const res = await server.app.inject(signedPost('https://bot.example.com/whatsapp/webhook?x=1', whatsappText(USER, 'a fox in the snow')));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/xml');
    expect(twimlText(res.body)).toBeTruthy();
    expect(await tasksOf(server)).toBe(1);
  });

  it('passes with a PUBLIC_BASE_URL path prefix', async () => {
    const server = await start({}, { server: { publicBaseUrl: 'https://example.com/vidbot/' } });
    const signed = signedPost('https://example.com/vidbot/whatsapp/webhook', whatsappText(USER, 'a fox'));
    // The proxy strips /vidbot before the request reaches us.
    const res = await server.app.inject({ ...signed, url: '/whatsapp/webhook' });
    expect(res.statusCode).toBe(200);
    expect(await tasksOf(server)).toBe(1);
  });

  it('fails without PUBLIC_BASE_URL, and when the query string differs', async () => {
    const plain = await start();
    const res = await plain.app.inject(signedPost('https://bot.example.com/whatsapp/webhook?x=1', whatsappText(USER, 'a fox')));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_SIGNATURE_INVALID' } });
    // The hint names the URL the check used, which is what an operator needs to fix it.
    expect(res.json<{ error: { hint: string } }>().error.hint).toContain(`${INJECT_ORIGIN}/whatsapp/webhook?x=1`);
    expect(await tasksOf(plain)).toBe(0);

    const based = await start({}, { server: { publicBaseUrl: 'https://bot.example.com' } });
    const signed = signedPost('https://bot.example.com/whatsapp/webhook?x=1', whatsappText(USER, 'a fox'));
    const otherQuery = await based.app.inject({ ...signed, url: '/whatsapp/webhook?x=2' });
    expect(otherQuery.statusCode).toBe(403);
    const otherHost = await based.app.inject(signedPost('https://evil.example.com/whatsapp/webhook?x=1', whatsappText(USER, 'a fox')));
    expect(otherHost.statusCode).toBe(403);
    expect(await tasksOf(based)).toBe(0);
  });

  it('behind a trusted proxy passes with X-Forwarded-Proto/Host for the ngrok URL', async () => {
    const server = await start({}, { server: { trustProxy: true } });
    const signed = signedPost('https://abc.ngrok.app/whatsapp/webhook', whatsappText(USER, 'a fox'));
    const res = await server.app.inject({
      ...signed,
      headers: { ...signed.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' },
    });
    expect(res.statusCode).toBe(200);
    expect(await tasksOf(server)).toBe(1);

    // Chained proxies append; the first value is the client-facing one.
    const chained = signedPost('https://abc.ngrok.app/whatsapp/webhook', whatsappText(USER, 'a boat'));
    const res2 = await server.app.inject({
      ...chained,
      headers: { ...chained.headers, 'x-forwarded-proto': 'https,http', 'x-forwarded-host': 'abc.ngrok.app, 127.0.0.1:3000' },
    });
    expect(res2.statusCode).toBe(200);
    expect(await tasksOf(server)).toBe(2);
  });

  it('without trust proxy the same forwarded request fails with 403', async () => {
    const server = await start();
    const signed = signedPost('https://abc.ngrok.app/whatsapp/webhook', whatsappText(USER, 'a fox'));
    const res = await server.app.inject({
      ...signed,
      headers: { ...signed.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_SIGNATURE_INVALID' } });
    expect(await tasksOf(server)).toBe(0);
    expect(await server.vidbot.store.getSession(USER)).toBeNull();
  });

  it('checks a non-default port from the Host header', async () => {
    const server = await start();
    const signed = signedPost('http://localhost:3000/whatsapp/webhook', whatsappText(USER, 'a fox'));
    const res = await server.app.inject({ ...signed, headers: { ...signed.headers, host: 'localhost:3000' } });
    expect(res.statusCode).toBe(200);
    expect(await tasksOf(server)).toBe(1);

    // Signed for port 3000 but arriving as port 4000 (or the default port) does not pass.
    const other = signedPost('http://localhost:3000/whatsapp/webhook', whatsappText(USER, 'a boat'));
    expect((await server.app.inject({ ...other, headers: { ...other.headers, host: 'localhost:4000' } })).statusCode).toBe(403);
    expect((await server.app.inject(other)).statusCode).toBe(403);
    expect(await tasksOf(server)).toBe(1);
  });

  it('accepts the default port written out or left off, as Twilio signs either', async () => {
    const server = await start({}, { server: { publicBaseUrl: 'https://bot.example.com' } });
    const params = whatsappText(USER, 'a fox');
    const withPort = computeTwilioSignature({ authToken: TEST_AUTH_TOKEN, url: 'https://bot.example.com:443/whatsapp/webhook', params });
    const signed = signedPost('https://bot.example.com/whatsapp/webhook', params);
    const res = await server.app.inject({ ...signed, headers: { ...signed.headers, 'x-twilio-signature': withPort } });
    expect(res.statusCode).toBe(200);
  });

  it('applies the same check to the status callback', async () => {
    const server = await start({}, { server: { publicBaseUrl: 'https://bot.example.com' } });
    const params = { MessageSid: `SM${'1'.repeat(32)}`, MessageStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}` };
    const good = await server.app.inject(signedPost('https://bot.example.com/whatsapp/status', params));
    expect(good.statusCode).toBe(204);
    const bad = await server.app.inject(signedPost(`${INJECT_ORIGIN}/whatsapp/status`, params));
    expect(bad.statusCode).toBe(403);
  });
});
