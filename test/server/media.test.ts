import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../../src/server/routes/media.ts';
import { makeCompliantClip, makeTempDir, removeDir } from '../helpers/media.ts';
import { makeServer } from '../helpers/server.ts';

type Server = Awaited<ReturnType<typeof makeServer>>;

const BASE = 'https://bot.example.com';
let server: Server;
let clipDir: string;
let bytes: Buffer;
let size: number;
let id: string;
let mediaPath: string;

beforeAll(async () => {
  server = await makeServer({ PUBLIC_BASE_URL: BASE });
  clipDir = await makeTempDir();
  const clip = await makeCompliantClip(server.vidbot.ffmpeg.ffmpeg, clipDir);
  bytes = await readFile(clip);
  size = bytes.length;
  const published = await server.vidbot.mediaHost.publish(clip);
  id = published.id;
  expect(published.url).toBe(`${BASE}/media/${id}.mp4`);
  mediaPath = new URL(published.url ?? '').pathname;
});

afterAll(async () => {
  await server.cleanup();
  await removeDir(clipDir);
});

describe('GET /media/:file', () => {
  it('serves the published file with its length, type, ETag and range support', async () => {
    expect(size).toBeGreaterThan(1000);
    const res = await server.app.inject({ method: 'GET', url: mediaPath });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe(String(size));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers['last-modified']).toBeDefined();
    expect(res.rawPayload.equals(bytes)).toBe(true);
  });

  it('serves the bare id (without .mp4) too', async () => {
    const res = await server.app.inject({ method: 'GET', url: `/media/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const get = await server.app.inject({ method: 'GET', url: mediaPath });
    const head = await server.app.inject({ method: 'HEAD', url: mediaPath });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(size));
    for (const name of ['content-type', 'accept-ranges', 'etag', 'last-modified', 'cache-control']) {
      expect(head.headers[name], name).toBe(get.headers[name]);
    }
    expect(head.rawPayload.length).toBe(0);
  });

  it('answers a HEAD range with 206 and the range length', async () => {
    const head = await server.app.inject({ method: 'HEAD', url: mediaPath, headers: { range: 'bytes=0-99' } });
    expect(head.statusCode).toBe(206);
    expect(head.headers['content-length']).toBe('100');
    expect(head.headers['content-range']).toBe(`bytes 0-99/${size}`);
    expect(head.rawPayload.length).toBe(0);
  });

  it('serves bytes=0-99 as 206 with exactly those bytes', async () => {
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: 'bytes=0-99' } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-99/${size}`);
    expect(res.headers['content-length']).toBe('100');
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.rawPayload.equals(bytes.subarray(0, 100))).toBe(true);
  });

  it('serves an open-ended range bytes=100-', async () => {
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: 'bytes=100-' } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100-${size - 1}/${size}`);
    expect(res.headers['content-length']).toBe(String(size - 100));
    expect(res.rawPayload.equals(bytes.subarray(100))).toBe(true);
  });

  it('serves a suffix range bytes=-50', async () => {
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: 'bytes=-50' } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size - 50}-${size - 1}/${size}`);
    expect(res.headers['content-length']).toBe('50');
    expect(res.rawPayload.equals(bytes.subarray(size - 50))).toBe(true);
  });

  it('clamps a range that runs past the end', async () => {
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: `bytes=${size - 10}-${size + 1000}` } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    expect(res.rawPayload.equals(bytes.subarray(size - 10))).toBe(true);
  });

  it('answers an unsatisfiable range with 416 and Content-Range bytes */size', async () => {
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: `bytes=${size}-` } });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${size}`);
    expect(res.rawPayload.length).toBe(0);
  });

  it('ignores a malformed or multi-part Range header and sends the whole file', async () => {
    for (const range of ['bytes=abc', 'items=0-10', 'bytes=0-10,20-30', 'bytes=-']) {
      const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range } });
      expect(res.statusCode, range).toBe(200);
      expect(res.rawPayload.equals(bytes), range).toBe(true);
    }
  });

  it('answers If-None-Match with the ETag with 304 and no body', async () => {
    const first = await server.app.inject({ method: 'GET', url: mediaPath });
    const etag = first.headers.etag;
    expect(typeof etag).toBe('string');
    const res = await server.app.inject({ method: 'GET', url: mediaPath, headers: { 'if-none-match': String(etag) } });
    expect(res.statusCode).toBe(304);
    expect(res.headers.etag).toBe(etag);
    expect(res.rawPayload.length).toBe(0);
    // A weak form and a list containing it match too; another tag does not.
    const weak = await server.app.inject({ method: 'GET', url: mediaPath, headers: { 'if-none-match': `"other", W/${String(etag)}` } });
    expect(weak.statusCode).toBe(304);
    // * matches any current representation (RFC 9110 §13.1.2).
    const star = await server.app.inject({ method: 'GET', url: mediaPath, headers: { 'if-none-match': '*' } });
    expect(star.statusCode).toBe(304);
    const other = await server.app.inject({ method: 'GET', url: mediaPath, headers: { 'if-none-match': '"other"' } });
    expect(other.statusCode).toBe(200);
    expect(other.rawPayload.equals(bytes)).toBe(true);
  });

  it('honours If-Range: the current ETag gets the range, a stale one the whole file', async () => {
    const etag = String((await server.app.inject({ method: 'HEAD', url: mediaPath })).headers.etag);
    const fresh = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(fresh.statusCode).toBe(206);
    expect(fresh.rawPayload.equals(bytes.subarray(0, 10))).toBe(true);
    const stale = await server.app.inject({ method: 'GET', url: mediaPath, headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    expect(stale.statusCode).toBe(200);
    expect(stale.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers 404 JSON for an unknown well-formed id', async () => {
    const res = await server.app.inject({ method: 'GET', url: `/media/${'A'.repeat(22)}.mp4` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_NOT_FOUND' } });
    const head = await server.app.inject({ method: 'HEAD', url: `/media/${'B'.repeat(22)}` });
    expect(head.statusCode).toBe(404);
  });

  it('never serves anything but published files (path traversal, NUL, long names, the database, temp files)', async () => {
    const dataDir = server.dataDir;
    const dbName = basename(server.vidbot.paths.database);
    // A dot-prefixed temp file as publish leaves it mid-way, with known content, to prove it is never served.
    const tempName = `.${id}.${process.pid}.tmp`;
    await writeFile(join(server.vidbot.paths.media, tempName), 'TEMP-SECRET');
    await writeFile(join(dataDir, 'secret.txt'), 'TOP-SECRET');
    expect((await readdir(dataDir)).some((name) => name.startsWith(dbName))).toBe(true);
    const dbHead = (await readFile(server.vidbot.paths.database)).subarray(0, 16).toString('latin1');
    expect(dbHead).toContain('SQLite format 3');

    const attempts = [
      '..%2F..%2Fetc%2Fpasswd',
      '..%2Fvidbot.db',
      '%2e%2e%2fvidbot.db',
      '%2e%2e%2f%2e%2e%2fvidbot.db',
      '..%5Cvidbot.db',
      '../vidbot.db',
      '../../vidbot.db',
      `${id}%00`,
      `${id}.mp4%00.txt`,
      `%00${id}`,
      `${id}%2F..%2F..%2Fvidbot.db`,
      // Long, but within Fastify's maxParamLength (100), so the media host judges them.
      'A'.repeat(100),
      `${id}${'x'.repeat(70)}`,
      dbName,
      encodeURIComponent(dataDir + '/' + dbName),
      `${dbName}-wal`,
      tempName,
      encodeURIComponent(tempName),
      `.${id}`,
      `.${id}.mp4`,
      `${id}.MP4`,
      `${id}.mp4.mp4`,
      `${id}.txt`,
      '..%2Fsecret.txt',
      '%2E%2E%2Fsecret.txt',
      'secret.txt',
      '%252e%252e%252fvidbot.db',
    ];
    for (const attempt of attempts) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await server.app.inject({ method, url: `/media/${attempt}` });
        expect(res.statusCode, `${method} ${attempt.slice(0, 60)}`).toBe(404);
        const body = res.body;
        expect(body).not.toContain('SQLite format');
        expect(body).not.toContain('TOP-SECRET');
        expect(body).not.toContain('TEMP-SECRET');
        expect(body).not.toContain('root:');
        expect(res.headers['content-type'] ?? '').not.toContain('video/mp4');
        if (method === 'GET') expect(res.json(), attempt.slice(0, 60)).toMatchObject({ error: { code: 'VIDBOT_NOT_FOUND' } });
      }
    }
    // Past maxParamLength the router answers before the route does; frameworkErrors makes it a 404 too.
    for (const attempt of ['A'.repeat(5000), `${id}${'x'.repeat(300)}`, `${id}.mp4${'%2F..'.repeat(30)}`]) {
      const res = await server.app.inject({ method: 'GET', url: `/media/${attempt}` });
      expect(res.statusCode, attempt.slice(0, 60)).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_NOT_FOUND' } });
      expect(res.body).not.toContain('SQLite format');
    }
    // And the real file is still there, untouched.
    expect((await stat(join(server.vidbot.paths.media, `${id}.mp4`))).size).toBe(size);
  });

  it('resolves dot segments (also %2e) before routing, so /media/.. is the index and never a file', async () => {
    for (const url of ['/media/..', '/media/.', '/media/../..', '/media/%2e%2e', '/media/%2E']) {
      const res = await server.app.inject({ method: 'GET', url });
      expect(res.headers['content-type'], url).toContain('application/json');
      expect(res.body).not.toContain('SQLite format');
    }
  });

  it('answers 404 JSON for a missing media name', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/media/' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_NOT_FOUND' } });
  });

  it('does not accept POST on media', async () => {
    const res = await server.app.inject({ method: 'POST', url: mediaPath, payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'VIDBOT_NOT_FOUND' } });
  });
});

describe('parseRange', () => {
  it('reads first-last ranges', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=10-10', 1000)).toEqual({ start: 10, end: 10 });
    expect(parseRange(' bytes=5-6 ', 1000)).toEqual({ start: 5, end: 6 });
    expect(parseRange('bytes=999-999', 1000)).toEqual({ start: 999, end: 999 });
  });

  it('clamps the end to the last byte', () => {
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=0-99999999999999999999', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('reads open-ended ranges', () => {
    expect(parseRange('bytes=100-', 1000)).toEqual({ start: 100, end: 999 });
    expect(parseRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('reads suffix ranges, clamped to the whole file', () => {
    expect(parseRange('bytes=-50', 1000)).toEqual({ start: 950, end: 999 });
    expect(parseRange('bytes=-1000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('calls ranges past the end, reversed or empty suffixes unsatisfiable', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=1000-2000', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=99999999999999999999-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=50-10', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
  });

  it('finds nothing satisfiable in an empty file', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-0', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-10', 0)).toBe('unsatisfiable');
  });

  it('ignores absent, malformed and multi-range headers (whole file)', () => {
    expect(parseRange(undefined, 1000)).toBeUndefined();
    expect(parseRange('', 1000)).toBeUndefined();
    expect(parseRange('bytes=-', 1000)).toBeUndefined();
    expect(parseRange('bytes=a-b', 1000)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes 0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes=1.5-2', 1000)).toBeUndefined();
    expect(parseRange('bytes=-1-2', 1000)).toBeUndefined();
  });
});
