import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { v2 as cloudinary } from 'cloudinary';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isVidbotError, type VidbotError } from '../../src/lib/errors.ts';
import { locateFfmpeg } from '../../src/lib/ffmpeg/locate.ts';
import { createCloudinaryMediaHost, MIN_CHUNK_BYTES } from '../../src/lib/media-host/cloudinary.ts';
import { parseCloudinaryUrl } from '../../src/lib/media-host/cloudinary-url.ts';
import { createLocalMediaHost } from '../../src/lib/media-host/local.ts';
import type { StepProgress } from '../../src/lib/progress.ts';
import { type FakeCloudinary, startFakeCloudinary } from '../fakes/cloudinary-api.ts';
import { makeCompliantClip, makeTempDir, removeDir } from '../helpers/media.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const DAY = 86_400_000;

let dir: string;
let clip: string;
let big: string;
let fake: FakeCloudinary;
let warnings: string[];

beforeAll(async () => {
  dir = await makeTempDir('vidbot-cloudinary-');
  clip = await makeCompliantClip((await locateFfmpeg()).ffmpeg, dir);
  // Random bytes: over two 5 MiB chunks, and incompressible, so any lost or reordered chunk shows.
  big = join(dir, 'big.mp4');
  await writeFile(big, randomBytes(2 * MIN_CHUNK_BYTES + 123_457));
});

afterAll(async () => {
  await removeDir(dir);
});

beforeEach(async () => {
  fake = await startFakeCloudinary();
  warnings = [];
});

afterEach(async () => {
  await fake.close();
});

const host = (options: Partial<Parameters<typeof createCloudinaryMediaHost>[0]> = {}) =>
  createCloudinaryMediaHost({ cloudinaryUrl: fake.cloudinaryUrl, logger: (w) => warnings.push(w), ...options });
const localHost = () => createLocalMediaHost({ dir: join(dir, 'media'), publicBaseUrl: 'https://bot.example.com' });
const fetchBytes = async (url: string): Promise<Buffer> => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
};
const failureOf = (promise: Promise<unknown>): Promise<VidbotError> =>
  promise.then(
    () => expect.unreachable('expected a failure') as never,
    (error: unknown) => error as VidbotError,
  );

describe('createCloudinaryMediaHost: publish', () => {
  it('uploads a small video in one request and the secure_url serves the same bytes', async () => {
    const media = host();
    expect(media).toMatchObject({ name: 'cloudinary', shared: true });
    const progress: StepProgress[] = [];
    const published = await media.publish(clip, { onProgress: (p) => progress.push(p) });

    expect(published.host).toBe('cloudinary');
    expect(published.id).toMatch(/^vidbot\/[A-Za-z0-9_-]{22}$/);
    expect(published.url).toBe(`${fake.url}/${fake.cloudName}/video/upload/v${fake.resources.get(published.id)?.version}/${published.id}.mp4`);
    expect(published.path).toBeUndefined();
    expect(sha256(await fetchBytes(published.url ?? ''))).toBe(sha256(await readFile(clip)));
    expect(fake.uploads).toEqual([expect.objectContaining({ publicId: published.id, resourceType: 'video', folder: 'vidbot', chunks: 1 })]);
    expect(fake.requests.filter((r) => r.method === 'POST').map((r) => r.contentRange)).toEqual([undefined]);
    expect(progress.at(-1)).toEqual({ percent: 100, message: 'published' });
    expect(warnings).toEqual([]);
  });

  it('sends a file over the chunk size in chunks that arrive intact', async () => {
    const progress: number[] = [];
    const published = await host({ chunkSizeBytes: MIN_CHUNK_BYTES, folder: 'bots/test' }).publish(big, {
      onProgress: (p) => progress.push(p.percent ?? -1),
    });
    const source = await readFile(big);

    expect(published.id).toMatch(/^bots\/test\//);
    expect(fake.uploads).toEqual([expect.objectContaining({ publicId: published.id, chunks: 3, bytes: source.length, sha256: sha256(source) })]);
    const ranges = fake.requests.filter((r) => r.method === 'POST').map((r) => r.contentRange);
    expect(ranges).toEqual([
      `bytes 0-${MIN_CHUNK_BYTES - 1}/-1`,
      `bytes ${MIN_CHUNK_BYTES}-${2 * MIN_CHUNK_BYTES - 1}/-1`,
      `bytes ${2 * MIN_CHUNK_BYTES}-${source.length - 1}/${source.length}`,
    ]);
    expect(sha256(await fetchBytes(published.url ?? ''))).toBe(sha256(source));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThan(3);
  });

  it('keeps a local copy through the fallback host and serves it from /media', async () => {
    const local = localHost();
    const media = host({ fallback: local });
    const published = await media.publish(clip);

    expect(published.host).toBe('cloudinary');
    expect(published.url).toMatch(new RegExp(`^${fake.url}/`));
    expect(published.path).toBeDefined();
    expect(sha256(await readFile(published.path ?? ''))).toBe(sha256(await readFile(clip)));
    const localId = (published.path ?? '').split('/').at(-1) ?? '';
    expect(await media.resolve?.(localId)).toBe(published.path);
    expect(media.urlFor?.(localId)).toBe(local.urlFor?.(localId));
    expect(host().resolve).toBeUndefined();
  });

  it('does not depend on the SDK global config', async () => {
    cloudinary.config({ cloud_name: 'someone-else', api_key: '1', api_secret: 'wrong', upload_prefix: 'http://127.0.0.1:1' });
    try {
      const published = await host().publish(clip);
      expect(fake.resources.has(published.id)).toBe(true);
    } finally {
      cloudinary.config(true);
    }
  });

  it('signs with sha256 when the URL asks for it', async () => {
    const strict = await startFakeCloudinary({ signatureAlgorithm: 'sha256' });
    try {
      expect(strict.cloudinaryUrl).toContain('signature_algorithm=sha256');
      const published = await createCloudinaryMediaHost({ cloudinaryUrl: strict.cloudinaryUrl }).publish(clip);
      expect(strict.resources.has(published.id)).toBe(true);
      // The same URL without the parameter signs with sha1, which this fake refuses.
      const sha1Url = strict.cloudinaryUrl.replace('&signature_algorithm=sha256', '');
      const error = await failureOf(createCloudinaryMediaHost({ cloudinaryUrl: sha1Url }).publish(clip));
      expect(error.message).toContain('401 Invalid Signature');
    } finally {
      await strict.close();
    }
  });

  it('goes through api_proxy when the URL names one', async () => {
    // Nothing listens on port 1: only the proxy (the fake, answering absolute-form requests) can answer.
    const url = `cloudinary://${fake.apiKey}:${fake.apiSecret}@${fake.cloudName}?upload_prefix=http://127.0.0.1:1&api_proxy=${fake.url}`;
    const published = await createCloudinaryMediaHost({ cloudinaryUrl: url }).publish(clip);
    expect(fake.resources.has(published.id)).toBe(true);
    expect(fake.requests.filter((r) => r.method === 'POST').map((r) => r.viaProxy)).toEqual([true]);
  });
});

describe('createCloudinaryMediaHost: failures', () => {
  it('falls back to the local host with one warning when the secret is wrong', async () => {
    const url = fake.cloudinaryUrl.replace(`:${fake.apiSecret}@`, ':not-the-secret@');
    const published = await host({ cloudinaryUrl: url, fallback: localHost() }).publish(clip);

    expect(published.host).toBe('local');
    expect(published.url).toBe(`https://bot.example.com/media/${published.id}.mp4`);
    expect(sha256(await readFile(published.path ?? ''))).toBe(sha256(await readFile(clip)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Cloudinary upload failed \(401 Invalid Signature .*\); serving from \/media instead\.$/);
    expect(warnings[0]).not.toContain('not-the-secret');
    expect(fake.uploads).toEqual([]);
  });

  it.each([
    ['a 500', (f: FakeCloudinary) => f.failNext(500, 1, 'General Error'), '500 General Error'],
    ['a 503 the SDK does not parse', (f: FakeCloudinary) => f.failNext(503), 'unexpected status code - 503'],
    ['a malformed answer', (f: FakeCloudinary) => f.malformedNext(), 'invalid JSON response'],
    ['an answer without secure_url', (f: FakeCloudinary) => f.respondNext(200, '{"public_id":"vidbot/x"}'), 'malformed answer'],
  ])('falls back on %s', async (_name, fault, expected) => {
    fault(fake);
    const published = await host({ fallback: localHost() }).publish(clip);
    expect(published.host).toBe('local');
    expect(warnings).toEqual([expect.stringContaining(expected)]);
  });

  it('falls back when a chunk of a large upload fails', async () => {
    fake.failNext(500, 1, 'chunk lost', 1);
    const published = await host({ chunkSizeBytes: MIN_CHUNK_BYTES, fallback: localHost() }).publish(big);
    expect(published.host).toBe('local');
    expect(warnings).toEqual([expect.stringContaining('500 chunk lost')]);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 500]);
    expect(fake.uploads).toEqual([]);
  });

  it('fails with a retryable VIDBOT_PROVIDER_FAILED naming CLOUDINARY_URL without a fallback', async () => {
    const url = fake.cloudinaryUrl.replace(`:${fake.apiSecret}@`, ':not-the-secret@');
    const error = await failureOf(host({ cloudinaryUrl: url }).publish(clip));
    expect(isVidbotError(error, 'VIDBOT_PROVIDER_FAILED')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.hint).toContain('CLOUDINARY_URL');
    expect(error.message).toContain('401 Invalid Signature');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('not-the-secret');
  });

  it('fails when nothing listens at upload_prefix', async () => {
    const url = fake.cloudinaryUrl.replace(fake.url, 'http://127.0.0.1:1');
    const error = await failureOf(host({ cloudinaryUrl: url }).publish(clip));
    expect(isVidbotError(error, 'VIDBOT_PROVIDER_FAILED')).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('times out a hanging Cloudinary and falls back', async () => {
    fake.hangNext();
    const started = Date.now();
    const published = await host({ timeoutMs: 300, fallback: localHost() }).publish(clip);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(published.host).toBe('local');
    expect(warnings).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([0]);
    await expect.poll(() => fake.hanging()).toBe(0);
  });

  it('stops at once when canceled, without falling back', async () => {
    fake.hangNext();
    const controller = new AbortController();
    const pending = host({ fallback: localHost() }).publish(clip, { signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    const error = await failureOf(pending);
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
    expect(warnings).toEqual([]);
    // The request is cut, not left running.
    await expect.poll(() => fake.hanging()).toBe(0);

    const aborted = new AbortController();
    aborted.abort();
    expect(isVidbotError(await failureOf(host().publish(clip, { signal: aborted.signal })), 'VIDBOT_CANCELED')).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a missing file and unusable options', async () => {
    expect(isVidbotError(await failureOf(host().publish(join(dir, 'missing.mp4'))), 'VIDBOT_FILE_NOT_FOUND')).toBe(true);
    expect(() => host({ chunkSizeBytes: MIN_CHUNK_BYTES - 1 })).toThrow(expect.objectContaining({ code: 'VIDBOT_CONFIG_INVALID' }));
    for (const folder of ['', '/', '../x', 'a b']) {
      expect(() => host({ folder }), folder).toThrow(expect.objectContaining({ code: 'VIDBOT_CONFIG_INVALID' }));
    }
    expect(fake.requests).toEqual([]);
  });
});

describe('createCloudinaryMediaHost: prune', () => {
  it('deletes only the folder videos older than the cutoff, across pages', async () => {
    const paged = await startFakeCloudinary({ pageSize: 2 });
    try {
      const now = Date.now();
      for (let i = 0; i < 5; i++) paged.seed(`vidbot/old-${i}`, { createdAt: new Date(now - (31 + i) * DAY) });
      paged.seed('vidbot/recent', { createdAt: new Date(now - 29 * DAY) });
      paged.seed('vidbot-other/old', { createdAt: new Date(now - 90 * DAY) });
      paged.seed('elsewhere/old', { createdAt: new Date(now - 90 * DAY) });
      paged.seed('vidbot/old-image', { createdAt: new Date(now - 90 * DAY), resourceType: 'image' });

      const media = createCloudinaryMediaHost({ cloudinaryUrl: paged.cloudinaryUrl });
      const { deleted } = await media.prune({ olderThanDays: 30 });
      expect(deleted.sort()).toEqual(['vidbot/old-0', 'vidbot/old-1', 'vidbot/old-2', 'vidbot/old-3', 'vidbot/old-4']);
      expect([...paged.resources.keys()].sort()).toEqual(['elsewhere/old', 'vidbot-other/old', 'vidbot/old-image', 'vidbot/recent']);
      expect(paged.requests.filter((r) => r.method === 'GET').length).toBe(3);
      expect(await media.prune({ olderThanDays: 30 })).toEqual({ deleted: [] });
    } finally {
      await paged.close();
    }
  });

  it('fails with VIDBOT_PROVIDER_FAILED on bad credentials, without the secret', async () => {
    fake.seed('vidbot/old', { createdAt: new Date(Date.now() - 60 * DAY) });
    const url = fake.cloudinaryUrl.replace(`:${fake.apiSecret}@`, ':not-the-secret@');
    const error = await failureOf(host({ cloudinaryUrl: url }).prune({ olderThanDays: 1 }));
    expect(isVidbotError(error, 'VIDBOT_PROVIDER_FAILED')).toBe(true);
    expect(error.message).toContain('401');
    expect(JSON.stringify({ ...error, message: error.message, cause: String(error.cause) })).not.toContain('not-the-secret');
    expect(fake.resources.has('vidbot/old')).toBe(true);
  });

  it('times out a hanging Admin API and honours cancel', async () => {
    fake.hangNext();
    const error = await failureOf(host({ timeoutMs: 300 }).prune({ olderThanDays: 1 }));
    expect(isVidbotError(error, 'VIDBOT_PROVIDER_FAILED')).toBe(true);
    expect(error.message).toContain('no answer within 300 ms');

    fake.hangNext();
    const controller = new AbortController();
    const pending = host().prune({ olderThanDays: 1, signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(2);
    controller.abort();
    expect(isVidbotError(await failureOf(pending), 'VIDBOT_CANCELED')).toBe(true);
    // The Admin API never enforces its own timeout: only cutting the socket frees it.
    await expect.poll(() => fake.hanging()).toBe(0);
  });

  it('fails on a malformed listing', async () => {
    fake.respondNext(200, '{"next_cursor":null}');
    const error = await failureOf(host().prune({ olderThanDays: 1 }));
    expect(isVidbotError(error, 'VIDBOT_PROVIDER_FAILED')).toBe(true);
    expect(error.message).toContain('malformed answer');
  });

  it('refuses a negative age', async () => {
    expect(isVidbotError(await failureOf(host().prune({ olderThanDays: -1 })), 'VIDBOT_INVALID_ARGUMENT')).toBe(true);
    expect(fake.requests).toEqual([]);
  });
});

describe('parseCloudinaryUrl', () => {
  it('reads credentials and the query parameters the SDK knows', () => {
    // Built from parts so no credential-shaped string sits in the source.
    const url = ['cloudinary://', '123456', ':', 's3cr%2Ft', '@my-cloud?upload_prefix=http://127.0.0.1:1234/&signature_algorithm=sha256&api_proxy=http://127.0.0.1:8080'].join('');
    expect(parseCloudinaryUrl(url)).toEqual({
      cloudName: 'my-cloud',
      apiKey: '123456',
      apiSecret: 's3cr/t',
      uploadPrefix: 'http://127.0.0.1:1234',
      apiProxy: 'http://127.0.0.1:8080',
      signatureAlgorithm: 'sha256',
      params: { upload_prefix: 'http://127.0.0.1:1234/', signature_algorithm: 'sha256', api_proxy: 'http://127.0.0.1:8080' },
    });
    expect(parseCloudinaryUrl('  cloudinary://k:s@c/cdn.example.com\n')).toEqual({
      cloudName: 'c', apiKey: 'k', apiSecret: 's', params: {}, secureDistribution: 'cdn.example.com',
    });
  });

  it.each([
    ['', 'empty'],
    ['CLOUDINARY_URL=cloudinary://k:topsecret@c', 'without "CLOUDINARY_URL="'],
    ['https://k:topsecret@c', 'must start with cloudinary://'],
    ['cloudinary://k:topsecret@', 'shape'],
    ['cloudinary://k:topsecret@bad.cloud', 'cloud name'],
    ['cloudinary://:topsecret@c', 'API key'],
    ['cloudinary://k@c', 'API secret'],
    ['cloudinary://k:topsecret%ZZ@c', 'percent-encoded'],
    ['cloudinary://k:topsecret@c?upload_prefix=ftp://x', 'upload_prefix'],
    ['cloudinary://k:topsecret@c?upload_prefix=http://u:topsecret@x', 'upload_prefix'],
    ['cloudinary://k:topsecret@c?api_proxy=nope', 'api_proxy'],
    ['cloudinary://k:topsecret@c?signature_algorithm=md5', 'signature_algorithm'],
  ])('refuses %j', (url, problem) => {
    let error: unknown;
    try {
      parseCloudinaryUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(isVidbotError(error, 'VIDBOT_CONFIG_INVALID')).toBe(true);
    const { message, hint, cause } = error as VidbotError;
    expect(message).toContain(problem);
    expect(hint).toContain('CLOUDINARY_URL');
    expect(hint).toContain('cloudinary://API_KEY:API_SECRET@CLOUD_NAME');
    expect(`${message} ${hint} ${String(cause)}`).not.toContain('topsecret');
  });
});
