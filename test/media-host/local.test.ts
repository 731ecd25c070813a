import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { createLocalMediaHost } from '../../src/lib/media-host/local.ts';

let root: string;
let source: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-media-'));
  source = join(root, 'work', 'clip.mp4');
  await mkdir(join(root, 'work'));
  await writeFile(source, 'not really a video, but bytes are bytes');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createLocalMediaHost', () => {
  it('describes itself as a local, unshared host', () => {
    const host = createLocalMediaHost({ dir: join(root, 'media') });
    expect(host.name).toBe('local');
    expect(host.shared).toBe(false);
  });

  it('publishes a copy under an unguessable id and resolves it back', async () => {
    const dir = join(root, 'media');
    const host = createLocalMediaHost({ dir });
    const published = await host.publish(source);

    expect(published.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(published.host).toBe('local');
    expect(published.url).toBeUndefined();
    expect(published.path).toBe(join(dir, `${published.id}.mp4`));
    expect(await readFile(published.path ?? '', 'utf8')).toBe(await readFile(source, 'utf8'));

    expect(await host.resolve?.(published.id)).toBe(published.path);
    expect(await host.resolve?.(`${published.id}.mp4`)).toBe(published.path);
    // Only the published file is left: no temp names.
    expect(await readdir(dir)).toEqual([`${published.id}.mp4`]);
  });

  it('keeps the published file when the work copy is deleted', async () => {
    const host = createLocalMediaHost({ dir: join(root, 'media') });
    const published = await host.publish(source);
    await rm(source);
    expect(await readFile(published.path ?? '', 'utf8')).toContain('bytes are bytes');
  });

  it('gives every publish a fresh id', async () => {
    const host = createLocalMediaHost({ dir: join(root, 'media') });
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await host.publish(source)).id);
    expect(ids.size).toBe(50);
    expect(await readdir(join(root, 'media'))).toHaveLength(50);
  });

  it('builds URLs from the public base URL', async () => {
    const host = createLocalMediaHost({ dir: join(root, 'media'), publicBaseUrl: 'https://bot.example.com/' });
    const published = await host.publish(source);
    expect(published.url).toBe(`https://bot.example.com/media/${published.id}.mp4`);
    expect(host.urlFor?.(published.id)).toBe(published.url);
    expect(host.urlFor?.(`${published.id}.mp4`)).toBe(published.url);
    expect(host.urlFor?.('../../etc/passwd')).toBeUndefined();

    const prefixed = createLocalMediaHost({ dir: join(root, 'media'), publicBaseUrl: 'https://example.com/vidbot' });
    expect(prefixed.urlFor?.(published.id)).toBe(`https://example.com/vidbot/media/${published.id}.mp4`);
    expect(createLocalMediaHost({ dir: join(root, 'media') }).urlFor?.(published.id)).toBeUndefined();
  });

  it('resolves nothing but well-formed ids of existing files', async () => {
    const dir = join(root, 'media');
    const host = createLocalMediaHost({ dir });
    const published = await host.publish(source);
    // A file outside the media folder that traversal attempts aim at.
    await writeFile(join(root, 'secret.mp4'), 'secret');
    await mkdir(join(dir, 'AAAAAAAAAAAAAAAAAAAAAA.mp4'));

    const attempts = [
      '',
      '../secret',
      '../secret.mp4',
      '..%2Fsecret.mp4',
      '..%2f..%2fetc%2fpasswd',
      '/etc/passwd',
      join(root, 'secret.mp4'),
      `../media/${published.id}`,
      `${published.id}/../../secret`,
      `${published.id}.mp4/..`,
      `${published.id}%00`,
      `${published.id}\u0000`,
      `${published.id}.MP4`,
      `${published.id}.mp4.mp4`,
      `${published.id} `,
      published.id.slice(1),
      `${published.id}A`,
      '..\\..\\secret',
      'AAAAAAAAAAAAAAAAAAAAAA', // well formed, but a directory
      'BBBBBBBBBBBBBBBBBBBBBB', // well formed, but never published
    ];
    for (const attempt of attempts) {
      expect(await host.resolve?.(attempt), attempt).toBeNull();
    }
  });

  it('fails clearly when the file to publish does not exist', async () => {
    const host = createLocalMediaHost({ dir: join(root, 'media') });
    const error = await host.publish(join(root, 'missing.mp4')).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_FILE_NOT_FOUND')).toBe(true);
  });

  it('fails with VIDBOT_STORE_FAILED when the media folder cannot be created', async () => {
    await writeFile(join(root, 'blocker'), 'a file where a folder should be');
    const host = createLocalMediaHost({ dir: join(root, 'blocker', 'media') });
    const error = await host.publish(source).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_STORE_FAILED')).toBe(true);
  });

  it('honours an aborted signal', async () => {
    const host = createLocalMediaHost({ dir: join(root, 'media') });
    const controller = new AbortController();
    controller.abort();
    const error = await host.publish(source, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
  });
});
