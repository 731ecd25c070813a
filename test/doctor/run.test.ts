import { chmod, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkFfmpeg, createDoctorContext, type DoctorCheck, type DoctorReport, runDoctor } from '../../src/lib/doctor/index.ts';
import { locateFfmpeg, resolveInstallerPackages } from '../../src/lib/ffmpeg/locate.ts';
import { makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { configFrom, type Fakes, startFakes, startServer } from './setup.ts';
import { checkPublicUrl } from '../../src/lib/doctor/checks/public-url.ts';
import type { DoctorContext } from '../../src/lib/doctor/types.ts';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(() => fakes.close());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const sandbox = async () => {
  const box = await makeSandbox();
  cleanups.push(box.cleanup);
  return box;
};

const byId = (report: DoctorReport): Record<string, DoctorCheck> => Object.fromEntries(report.checks.map((check) => [check.id, check]));
const statuses = (report: DoctorReport): Record<string, string> => Object.fromEntries(report.checks.map((check) => [check.id, check.status]));

describe('runDoctor', { timeout: 120_000 }, () => {
  it('passes a healthy setup: every service against its fake, and a vidbot server on loopback', async () => {
    const box = await sandbox();
    const env = { ...box.env, ...fakes.env };
    const server = await startServer(env);
    cleanups.push(server.close);
    const seen: string[] = [];
    const report = await runDoctor(configFrom({ ...env, PUBLIC_BASE_URL: server.url }), { env, onCheck: (check) => seen.push(check.id) });

    expect(statuses(report)).toEqual({
      node: 'pass',
      ffmpeg: 'pass',
      store: 'pass',
      queue: 'pass',
      twilio: 'pass',
      'cloud-api': 'pass',
      replicate: 'pass',
      // Not configured in this setup: their own tests check them.
      fal: 'skip',
      cog: 'skip',
      openai: 'pass',
      cloudinary: 'pass',
      // http is fine on loopback for a test, not for Twilio: a warning, not a failure.
      'public-url': 'warn',
      signature: 'pass',
      'cloud-webhook': 'pass',
      'media-url': 'pass',
      'whatsapp-clip': 'pass',
    });
    expect(report.ok).toBe(true);
    expect(report.counts).toEqual({ pass: 13, warn: 1, fail: 0, skip: 2 });
    expect(seen.sort()).toEqual(report.checks.map((check) => check.id).sort());
    const checks = byId(report);
    expect(checks.ffmpeg?.detail).toMatch(/^ffmpeg \S+ from PATH \(.*\), ffprobe \S+; libx264, aac, and all \d+ filters of the local preview$/);
    expect(checks.twilio?.detail).toContain('"Fake account" is active');
    expect(checks.replicate?.detail).toContain('fake-user');
    expect(checks.openai?.detail).toContain('gpt-4.1-mini');
    expect(checks['public-url']?.fix).toMatch(/https/);
    expect(checks['whatsapp-clip']?.detail).toMatch(/720x1280 h264 (High|Main) yuv420p, aac-LC/);
    expect(checks['media-url']?.detail).toMatch(/^Cloudinary URL answers HEAD 200, video\/mp4, \d+ bytes: http:\/\/127\.0\.0\.1/);
    for (const check of report.checks) expect(check.durationMs).toBeGreaterThanOrEqual(0);
    // Each service was asked with its own SDK, and the test upload was removed again.
    expect(fakes.replicate.requests.some((r) => r.method === 'GET' && r.path === '/v1/account')).toBe(true);
    expect(fakes.openai.requests.some((r) => r.method === 'GET' && r.path === '/v1/models/gpt-4.1-mini')).toBe(true);
    expect(fakes.cloudinary.requests.map((r) => `${r.method} ${r.path.replace(/upload\/v\d+\/.*/, 'upload/…')}`)).toEqual(
      expect.arrayContaining(['GET /v1_1/fake-cloud/ping', 'POST /v1_1/fake-cloud/video/upload', 'HEAD /fake-cloud/video/upload/…', 'DELETE /v1_1/fake-cloud/resources/video/upload']),
    );
    expect(fakes.cloudinary.resources.size).toBe(0);
  });

  it('publishes through local media to the running server, signing with the local token', async () => {
    const box = await sandbox();
    const server = await startServer(box.env);
    cleanups.push(server.close);
    const report = await runDoctor(configFrom({ ...box.env, PUBLIC_BASE_URL: server.url }), { env: box.env });
    const checks = byId(report);
    expect(statuses(report)).toMatchObject({ twilio: 'skip', replicate: 'skip', openai: 'skip', cloudinary: 'skip', signature: 'pass', 'media-url': 'pass' });
    expect(checks.signature?.detail).toContain(`the local token in ${box.env.VIDBOT_DATA_DIR}`);
    expect(checks['media-url']?.detail).toContain(`local /media URL answers HEAD 200, video/mp4`);
    expect(checks['media-url']?.detail).toContain(`${server.url}/media/`);
    expect(checks.twilio?.detail).toMatch(/^not configured/);
    // The published test clip is removed once checked.
    expect(await readdir(join(box.env.VIDBOT_DATA_DIR ?? '', 'media'))).toEqual([]);
  });

  it('reports missing ffmpeg with its fix, and skips the clip checks that need it', async () => {
    const box = await sandbox();
    const env = { ...box.env, PATH: '', FFMPEG_BIN: join(box.root, 'nope', 'ffmpeg') };
    const report = await runDoctor(configFrom(env), { env, resolveInstaller: false });
    const checks = byId(report);
    expect(report.ok).toBe(false);
    expect(checks.ffmpeg).toMatchObject({ status: 'fail', detail: `ffmpeg not found: FFMPEG_BIN=${env.FFMPEG_BIN} does not exist` });
    expect(checks.ffmpeg?.fix).toContain('FFMPEG_BIN');
    expect(checks['whatsapp-clip']).toMatchObject({ status: 'skip', detail: 'needs a working ffmpeg (see above)' });
    expect(checks['media-url']?.status).toBe('skip');
    // The rest does not need ffmpeg and still runs.
    expect(statuses(report)).toMatchObject({ node: 'pass', store: 'pass', queue: 'pass', 'public-url': 'skip', signature: 'skip' });

    const unset = { ...box.env, PATH: '' };
    const none = byId(await runDoctor(configFrom(unset), { env: unset, resolveInstaller: false }));
    expect(none.ffmpeg?.status).toBe('fail');
    expect(none.ffmpeg?.detail).toContain('no ffmpeg on PATH');
    expect(none.ffmpeg?.fix).toMatch(/Install ffmpeg/);
  });

  it('an ffmpeg without drawtext fails for the local renderer, and only warns with Replicate (the clip is then a test pattern)', async () => {
    const box = await sandbox();
    const system = await locateFfmpeg({ resolveInstaller: false });
    // The real ffmpeg behind a wrapper without drawtext (not listed, and refused); ffprobe beside it.
    const wrapper = join(box.root, 'ffmpeg');
    await writeFile(
      wrapper,
      '#!/bin/sh\n' +
        `case "$*" in *drawtext*) echo "No such filter: 'drawtext'" >&2; exit 1;; esac\n` +
        `if [ "$2" = "-filters" ]; then "${system.ffmpeg}" "$@" | grep -v ' drawtext '; exit 0; fi\n` +
        `exec "${system.ffmpeg}" "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    await symlink(system.ffprobe, join(box.root, 'ffprobe'));
    const env = { ...box.env, FFMPEG_BIN: wrapper };

    const local = await checkFfmpeg(createDoctorContext(configFrom(env), { env }), () => undefined);
    expect(local.status).toBe('fail');
    expect(local.detail).toContain(`from FFMPEG_BIN (${wrapper})`);
    expect(local.detail).toContain('but not the drawtext filter the local preview renderer needs');
    expect(local.fix).toContain('libfreetype');

    const withReplicate = { ...env, REPLICATE_API_TOKEN: fakes.replicate.token, REPLICATE_API_BASE_URL: fakes.replicate.url };
    const report = await runDoctor(configFrom(withReplicate), { env: withReplicate });
    expect(statuses(report)).toMatchObject({ ffmpeg: 'warn', replicate: 'pass', 'whatsapp-clip': 'pass' });
  });

  it('says a PUBLIC_BASE_URL whose name resolves nowhere is the wrong address, not a server to start', async () => {
    // How undici fails a name no DNS knows (a tunnel's old address): a TypeError whose cause has the code.
    const unknownName: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND old-tunnel.example'), { code: 'ENOTFOUND' }) });
    };
    const ctx = { config: { publicBaseUrl: 'https://old-tunnel.example' }, fetch: unknownName, timeoutMs: 1_000, publicUrlName: 'PUBLIC_BASE_URL' } as unknown as DoctorContext;
    const outcome = await checkPublicUrl(ctx);
    expect(outcome).toMatchObject({ status: 'fail', detail: 'could not reach https://old-tunnel.example/health: ENOTFOUND' });
    expect(outcome.fix).toMatch(/^No address is known for old-tunnel\.example: check PUBLIC_BASE_URL's spelling/);
  });

  it('fails an unreachable PUBLIC_BASE_URL, and skips the round trips through it', async () => {
    const box = await sandbox();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const report = await runDoctor(configFrom({ ...box.env, PUBLIC_BASE_URL: closed }), { env: box.env });
    const checks = byId(report);
    expect(checks['public-url']).toMatchObject({ status: 'fail', detail: `could not reach ${closed}/health: ECONNREFUSED` });
    expect(checks['public-url']?.fix).toContain('vidbot serve');
    expect(checks.signature).toMatchObject({ status: 'skip', detail: 'PUBLIC_BASE_URL does not work (see above)' });
    expect(checks['media-url']).toMatchObject({ status: 'skip', detail: 'PUBLIC_BASE_URL does not work (see above)' });
    expect(report.ok).toBe(false);
  });
});

describe("doctor: the local preview's filters", { timeout: 120_000 }, () => {
  /** The real ffmpeg behind a wrapper whose filter list lacks `hidden`; ffprobe beside it. */
  const ffmpegWithout = async (root: string, hidden: readonly string[]): Promise<string> => {
    const system = await locateFfmpeg({ resolveInstaller: false });
    const wrapper = join(root, 'ffmpeg');
    const drop = hidden.map((name) => ` | grep -v ' ${name} '`).join('');
    await writeFile(wrapper, `#!/bin/sh\nif [ "$2" = "-filters" ]; then "${system.ffmpeg}" "$@"${drop}; exit 0; fi\nexec "${system.ffmpeg}" "$@"\n`);
    await chmod(wrapper, 0o755);
    await symlink(system.ffprobe, join(root, 'ffprobe'));
    return wrapper;
  };

  it('fails an ffmpeg without a filter the renderer cannot do without, naming it, with a fix that is not about fonts', async () => {
    const box = await sandbox();
    const env = { ...box.env, FFMPEG_BIN: await ffmpegWithout(box.root, ['overlay']) };
    const outcome = await checkFfmpeg(createDoctorContext(configFrom(env), { env }), () => undefined);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('has libx264 and aac but not the overlay filter the local preview renderer needs');
    expect(outcome.fix).toMatch(/^Install a complete ffmpeg/);
    expect(outcome.fix).not.toMatch(/font|libfreetype/);

    // With Replicate making the videos it is only a warning, and the test clip is a plain pattern.
    const withReplicate = { ...env, REPLICATE_API_TOKEN: fakes.replicate.token, REPLICATE_API_BASE_URL: fakes.replicate.url };
    const report = await runDoctor(configFrom(withReplicate), { env: withReplicate });
    expect(statuses(report)).toMatchObject({ ffmpeg: 'warn', 'whatsapp-clip': 'pass' });
  });

  it('warns for an ffmpeg that lacks only filters the renderer replaces, and renders the clip with the fallbacks', async () => {
    const box = await sandbox();
    const env = { ...box.env, FFMPEG_BIN: await ffmpegWithout(box.root, ['pseudocolor', 'aevalsrc']) };
    const report = await runDoctor(configFrom(env), { env });
    const checks = byId(report);
    expect(checks.ffmpeg?.status).toBe('warn');
    expect(checks.ffmpeg?.detail).toContain('but not pseudocolor and aevalsrc, so the preview falls back:');
    expect(checks.ffmpeg?.detail).toContain("a still background in the prompt's colours");
    expect(checks.ffmpeg?.detail).toContain('silent clips');
    expect(checks.ffmpeg?.fix).toMatch(/complete ffmpeg/);
    expect(checks['whatsapp-clip']?.status).toBe('pass');
    expect(report.ok).toBe(true);

    // With Replicate making the videos, the preview's fallbacks do not matter.
    const withReplicate = { ...env, REPLICATE_API_TOKEN: fakes.replicate.token, REPLICATE_API_BASE_URL: fakes.replicate.url };
    const remote = await checkFfmpeg(createDoctorContext(configFrom(withReplicate), { env: withReplicate }), () => undefined);
    expect(remote.status).toBe('pass');
  });

  it('passes the @ffmpeg-installer build (no gradients, which the preview does not use), and renders its clip', async (context) => {
    const old = (await resolveInstallerPackages()).ffmpeg;
    if (old === undefined) {
      console.log('Skipping: the optional @ffmpeg-installer/ffmpeg package is not installed.');
      context.skip();
      return;
    }
    const box = await sandbox();
    const env = { ...box.env, FFMPEG_BIN: old };
    const report = await runDoctor(configFrom(env), { env });
    const checks = byId(report);
    expect(checks.ffmpeg).toMatchObject({ status: 'pass', detail: expect.stringContaining('and all') });
    expect(checks['whatsapp-clip']?.status).toBe('pass');
  });
});

