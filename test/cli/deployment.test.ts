import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { assertSharedMedia } from '../../src/lib/deployment.ts';
import { pickStoreAndQueue } from '../../src/lib/pick-adapters.ts';
import { pickStoreKind } from '../../src/lib/pick-store.ts';
import type { MediaHost } from '../../src/lib/media-host/port.ts';
import type { Store } from '../../src/lib/store/port.ts';

const store = (shared: boolean) => ({ name: shared ? 'mongodb' : 'sqlite', shared }) as Store;
const media = (shared: boolean) => ({ name: shared ? 'cloudinary' : 'local', shared }) as MediaHost;

describe('assertSharedMedia', () => {
  it('refuses a shared store with media that stays on one machine, and says what to set', () => {
    expect(() => assertSharedMedia({ store: store(true), mediaHost: media(false) })).toThrow(
      expect.objectContaining({ code: 'VIDBOT_CONFIG_INVALID', hint: expect.stringContaining('CLOUDINARY_URL') }),
    );
  });

  it('accepts one machine, or a shared store with shared media', () => {
    expect(() => assertSharedMedia({ store: store(false), mediaHost: media(false) })).not.toThrow();
    expect(() => assertSharedMedia({ store: store(true), mediaHost: media(true) })).not.toThrow();
  });
});

describe('picking the store', () => {
  const config = (env: Record<string, string>) => loadConfig({ env: { VIDBOT_DATA_DIR: '/nonexistent', ...env }, dotenv: false }).config;

  it('takes PostgreSQL for DATABASE_URL, MongoDB for MONGODB_URI, SQLite otherwise', () => {
    expect(pickStoreKind(config({ DATABASE_URL: 'postgres://db/vidbot' }))).toBe('postgres');
    expect(pickStoreKind(config({ MONGODB_URI: 'mongodb://db' }))).toBe('mongodb');
    expect(pickStoreKind(config({}))).toBe('sqlite');
  });

  it('refuses MONGODB_URI and DATABASE_URL together, before opening anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-pick-'));
    try {
      const both = config({ MONGODB_URI: 'mongodb://db', DATABASE_URL: 'postgres://db/vidbot' });
      await expect(pickStoreAndQueue(both, join(dir, 'vidbot.db'))).rejects.toMatchObject({
        code: 'VIDBOT_CONFIG_INVALID',
        hint: expect.stringContaining('Unset one of them'),
      });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
