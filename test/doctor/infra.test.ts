import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkMediaUrl,
  checkPublicUrl,
  checkQueue,
  checkSignature,
  checkStore,
  createDoctorContext,
  type DoctorOptions,
} from '../../src/lib/doctor/index.ts';
import { makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startRedis } from '../helpers/redis.ts';
import { configFrom, startServer } from './setup.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const sandbox = async () => {
  const box = await makeSandbox();
  cleanups.push(box.cleanup);
  return box;
};
const ctx = (env: Record<string, string>, options: DoctorOptions = {}) => createDoctorContext(configFrom(env), { env, timeoutMs: 2_000, ...options });

/** A vidbot-looking /health answer for any URL: checks of https and remote hosts without a network. */
const healthFetch = (publicBaseUrl: string | null): typeof fetch => async () =>
  Response.json({ status: 'healthy', version: '0.1.0', adapters: {}, public_base_url: publicBaseUrl });

describe('store and queue', () => {
  it('fails a data folder that cannot be created, naming VIDBOT_DATA_DIR', async () => {
    const box = await sandbox();
    const file = join(box.root, 'a-file');
    await writeFile(file, 'not a folder');
    const env = { ...box.env, VIDBOT_DATA_DIR: join(file, 'data') };
    for (const check of [checkStore, checkQueue]) {
      const outcome = await check(ctx(env));
      expect(outcome.status).toBe('fail');
      expect(outcome.detail).toMatch(/^the data folder .* is not writable \((ENOTDIR|EEXIST)\)$/);
      expect(outcome.fix).toContain('VIDBOT_DATA_DIR');
    }
  });

  it('fails a MongoDB that does not answer, with the hint about MONGODB_URI', async () => {
    const box = await sandbox();
    const port = await freePort();
    const outcome = await checkStore(ctx({ ...box.env, MONGODB_URI: `mongodb://vidbot:s3cret@127.0.0.1:${port}` }, { timeoutMs: 500 }));
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain(`MongoDB at mongodb://127.0.0.1:${port}`);
    expect(outcome.fix).toContain('MONGODB_URI');
    expect(JSON.stringify(outcome)).not.toContain('s3cret');
  });

  it('opens PostgreSQL on a real server, says when media would not be shared, and fails cleanly with the hint when it is not there', async () => {
    const box = await sandbox();
    const postgres = await startPostgres();
    cleanups.push(postgres.cleanup);
    const { port } = postgres;
    const unshared = await checkStore(ctx({ ...box.env, DATABASE_URL: postgres.url }));
    expect(unshared).toEqual({
      status: 'fail',
      detail: `PostgreSQL at postgres://127.0.0.1:${port} (database postgres): 0 tasks, but media files would stay on the machine that made them`,
      fix: 'Set CLOUDINARY_URL so every machine of a shared store publishes to a shared media host, or VIDBOT_MEDIA_DIR to a folder every process mounts.',
    });
    const mounted = await checkStore(ctx({ ...box.env, DATABASE_URL: postgres.url, VIDBOT_MEDIA_DIR: '/srv/vidbot-media' }));
    expect(mounted).toEqual({
      status: 'pass',
      detail: `PostgreSQL at postgres://127.0.0.1:${port} (database postgres): 0 tasks; media in /srv/vidbot-media, which every process must mount`,
    });
    const ok = await checkStore(ctx({ ...box.env, DATABASE_URL: postgres.url, CLOUDINARY_URL: 'cloudinary://key:secret@demo' }));
    expect(ok).toEqual({ status: 'pass', detail: `PostgreSQL at postgres://127.0.0.1:${port} (database postgres): 0 tasks` });

    const closed = await freePort();
    const down = await checkStore(ctx({ ...box.env, DATABASE_URL: `postgres://vidbot:s3cret@127.0.0.1:${closed}/vidbot` }, { timeoutMs: 500 }));
    expect(down.status).toBe('fail');
    expect(down.detail).toMatch(new RegExp(`^Cannot connect to PostgreSQL at postgres://127.0.0.1:${closed} \\(database vidbot\\): .*ECONNREFUSED`));
    expect(down.fix).toContain('DATABASE_URL');
    expect(JSON.stringify(down)).not.toContain('s3cret');
  });

  it('fails when both MONGODB_URI and DATABASE_URL name a store', async () => {
    const box = await sandbox();
    const outcome = await checkStore(ctx({ ...box.env, MONGODB_URI: 'mongodb://127.0.0.1:1', DATABASE_URL: 'postgres://127.0.0.1:1/vidbot' }));
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toMatch(/Both MONGODB_URI and DATABASE_URL are set/);
    expect(outcome.fix).toMatch(/Unset one of them/);
  });

  it('counts BullMQ jobs on a real Redis, and fails cleanly with the hint when Redis is not there', async () => {
    const box = await sandbox();
    const redis = await startRedis();
    cleanups.push(redis.cleanup);
    const ok = await checkQueue(ctx({ ...box.env, REDIS_URL: redis.url }));
    expect(ok).toEqual({ status: 'pass', detail: `BullMQ on ${redis.url}: 0 waiting, 0 active, 0 retrying, 0 failed` });

    const closed = `redis://127.0.0.1:${await freePort()}`;
    const down = await checkQueue(ctx({ ...box.env, REDIS_URL: closed }));
    expect(down.status).toBe('fail');
    expect(down.detail).toMatch(new RegExp(`^Cannot reach Redis at ${closed}/?: .*ECONNREFUSED`));
    expect(down.fix).toMatch(/^Start Redis, or fix REDIS_URL/);
  });
});

describe('PUBLIC_BASE_URL', () => {
  it('skips when unset, or warns when Twilio is configured and so cannot reach the bot', async () => {
    const box = await sandbox();
    const alone = await checkPublicUrl(ctx(box.env));
    expect(alone.status).toBe('skip');
    expect(alone.detail).toContain('Twilio cannot reach the bot');
    const twilio = { TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', TWILIO_WHATSAPP_FROM: 'whatsapp:+15550001111' };
    const needed = await checkPublicUrl(ctx({ ...box.env, ...twilio }));
    expect(needed.status).toBe('warn');
    expect(needed.fix).toContain('PUBLIC_BASE_URL');
  });

  it('passes https, fails plain http off loopback, and warns when the server has another PUBLIC_BASE_URL', async () => {
    const box = await sandbox();
    const secure = await checkPublicUrl(ctx({ ...box.env, PUBLIC_BASE_URL: 'https://bot.vidbot.test' }, { fetch: healthFetch('https://bot.vidbot.test/') }));
    expect(secure).toEqual({ status: 'pass', detail: 'https://bot.vidbot.test/health answers 200 (vidbot 0.1.0)' });
    const plain = await checkPublicUrl(ctx({ ...box.env, PUBLIC_BASE_URL: 'http://bot.vidbot.test' }, { fetch: healthFetch(null) }));
    expect(plain.status).toBe('fail');
    expect(plain.fix).toContain('https');
    const other = await checkPublicUrl(ctx({ ...box.env, PUBLIC_BASE_URL: 'https://bot.vidbot.test' }, { fetch: healthFetch('https://old.vidbot.test') }));
    expect(other).toMatchObject({ status: 'warn', detail: expect.stringContaining("that server's PUBLIC_BASE_URL is https://old.vidbot.test") });
  });

  it('fails when something other than vidbot answers', async () => {
    const box = await sandbox();
    const other = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>It works!</h1>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => other.close(() => resolve())));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const outcome = await checkPublicUrl(ctx({ ...box.env, PUBLIC_BASE_URL: url }));
    expect(outcome).toMatchObject({ status: 'fail', detail: `${url}/health answered 200, but not as vidbot` });
  });
});

describe('signature round trip', () => {
  it('fails with the token and URL rules when the server checks with another token', async () => {
    const box = await sandbox();
    const server = await startServer(box.env, { authToken: 'the-servers-own-token' });
    cleanups.push(server.close);
    const outcome = await checkSignature(ctx({ ...box.env, PUBLIC_BASE_URL: server.url, TWILIO_AUTH_TOKEN: 'another-token' }));
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toBe(`the server refused a request signed with TWILIO_AUTH_TOKEN for ${server.url}/whatsapp/status (403) although the URL matches, so the auth token differs`);
    expect(outcome.fix).toContain('same TWILIO_AUTH_TOKEN');
    expect(outcome.fix).toContain('must equal PUBLIC_BASE_URL + path');
    expect(outcome.fix).toContain('--trust-proxy');
  });

  it('fails naming the URL the server checked when its PUBLIC_BASE_URL differs (the proxy case)', async () => {
    const box = await sandbox();
    const server = await startServer(box.env, { publicBaseUrl: 'https://bot.vidbot.test' });
    cleanups.push(server.close);
    const outcome = await checkSignature(ctx({ ...box.env, PUBLIC_BASE_URL: server.url }));
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('it checked the signature against https://bot.vidbot.test/whatsapp/status');
    expect(outcome.fix).toContain(`Start the server with PUBLIC_BASE_URL=${server.url}`);
    expect(outcome.fix).toContain('--trust-proxy');
  });
});

describe('media URL', () => {
  it('fails a 404 when the server serves another data folder', async () => {
    const box = await sandbox();
    const elsewhere = await sandbox();
    const server = await startServer(elsewhere.env);
    cleanups.push(server.close);
    const clip = join(box.root, 'clip.mp4');
    await writeFile(clip, Buffer.alloc(2048, 1));
    const outcome = await checkMediaUrl(ctx({ ...box.env, PUBLIC_BASE_URL: server.url }), clip);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toMatch(new RegExp(`^HEAD ${server.url}/media/[\\w-]{22}\\.mp4 answered 404: the server does not see the clip`));
    expect(outcome.fix).toContain('VIDBOT_DATA_DIR');
  });
});
