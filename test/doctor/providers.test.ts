/** The doctor's checks of fal.ai and a Cog server, against their loopback fakes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCog, checkFal, createDoctorContext } from '../../src/lib/doctor/index.ts';
import { type FakeCog, startFakeCog } from '../fakes/cog-server.ts';
import { type FakeFal, startFakeFal } from '../fakes/fal-api.ts';
import { freePort } from '../helpers/ports.ts';
import { configFrom } from './setup.ts';

let fal: FakeFal;
let cog: FakeCog;
beforeAll(async () => {
  [fal, cog] = await Promise.all([startFakeFal(), startFakeCog()]);
});
afterAll(async () => {
  await fal.close();
  await cog.close();
});

const ctx = (env: Record<string, string>) => createDoctorContext(configFrom({ VIDBOT_DATA_DIR: '/nonexistent-doctor-dir', ...env }), { env: { PATH: '' }, timeoutMs: 2_000 });

describe('fal.ai', () => {
  it('skips without a key, and fails when fal is asked for without one', async () => {
    expect((await checkFal(ctx({}))).status).toBe('skip');
    expect(await checkFal(ctx({ VIDBOT_PROVIDER: 'fal' }))).toMatchObject({ status: 'fail', detail: 'VIDBOT_PROVIDER=fal but FAL_KEY is not set' });
  });

  it('passes an accepted key, fails a refused one naming FAL_KEY, warns when fal cannot be reached', async () => {
    expect(await checkFal(ctx({ FAL_KEY: fal.key, FAL_API_BASE_URL: fal.url }))).toMatchObject({ status: 'pass' });
    expect(fal.calls.at(-1)?.path).toBe('/v1/models/requests/by-endpoint');
    const refused = await checkFal(ctx({ FAL_KEY: 'wrong:key', FAL_API_BASE_URL: fal.url }));
    expect(refused.status).toBe('fail');
    expect(refused.detail).toContain('fal rejected FAL_KEY (401)');
    expect(JSON.stringify(refused)).not.toContain('wrong:key');
    const down = await checkFal(ctx({ FAL_KEY: fal.key, FAL_API_BASE_URL: `http://127.0.0.1:${await freePort()}` }));
    expect(down.status).toBe('warn');
    expect(down.detail).toContain('ECONNREFUSED');
  });
});

describe('Cog server', () => {
  it('passes a READY server and says how the request maps onto its inputs', async () => {
    const ready = await checkCog(ctx({ VIDBOT_COG_URL: cog.url }));
    expect(ready).toMatchObject({ status: 'pass', detail: `READY at ${cog.url}; prompt→prompt, photo→image, seconds→duration, shape→aspect_ratio` });
  });

  it('warns while the model loads, fails a broken setup, fails an unreachable server in use', async () => {
    cog.setHealth('STARTING');
    expect((await checkCog(ctx({ VIDBOT_COG_URL: cog.url }))).status).toBe('warn');
    cog.setHealth('SETUP_FAILED');
    expect(await checkCog(ctx({ VIDBOT_COG_URL: cog.url }))).toMatchObject({ status: 'fail', detail: expect.stringContaining('SETUP_FAILED') });
    cog.setHealth('READY');
    const down = await checkCog(ctx({ VIDBOT_COG_URL: `http://127.0.0.1:${await freePort()}` }));
    expect(down.status).toBe('fail');
    expect(down.fix).toContain('docker run');
    expect((await checkCog(ctx({}))).status).toBe('skip');
  });
});
