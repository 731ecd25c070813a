import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCloudinary, startFakeCloudinary } from '../fakes/cloudinary-api.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
let cloudinary: FakeCloudinary;
beforeEach(async () => {
  sandbox = await makeSandbox();
  cloudinary = await startFakeCloudinary();
});
afterEach(async () => {
  await cloudinary.close();
  await sandbox.cleanup();
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { ...sandbox.env, ...env }, cwd: sandbox.root });
const DAY = 24 * 60 * 60 * 1000;

describe('vidbot media prune', () => {
  it('deletes only the folder\'s uploads older than the limit', async () => {
    cloudinary.seed('vidbot/old', { createdAt: new Date(Date.now() - 40 * DAY) });
    cloudinary.seed('vidbot/new', { createdAt: new Date(Date.now() - 2 * DAY) });
    cloudinary.seed('other/old', { createdAt: new Date(Date.now() - 40 * DAY) });
    const result = await cli(['media', 'prune', '--older-than', '30', '--json'], { CLOUDINARY_URL: cloudinary.cloudinaryUrl });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, olderThanDays: 30, deleted: ['vidbot/old'] });
    expect([...cloudinary.resources.keys()].sort()).toEqual(['other/old', 'vidbot/new']);
  });

  it('explains what is missing', async () => {
    const noAge = await cli(['media', 'prune'], { CLOUDINARY_URL: cloudinary.cloudinaryUrl });
    expect(noAge.exitCode).toBe(2);
    expect(noAge.stderr).toMatch(/^✖ No age given: media prune deletes uploads older than a number of days\./);
    expect(noAge.stderr).toContain('VIDBOT_MEDIA_RETENTION_DAYS');
    const local = await cli(['media', 'prune', '--older-than', '3']);
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toContain('CLOUDINARY_URL');
    expect(local.stderr).toContain('local media lives in VIDBOT_MEDIA_DIR (default VIDBOT_DATA_DIR/media)');
    const bad = await cli(['media', 'prune', '--older-than', 'soon'], { CLOUDINARY_URL: cloudinary.cloudinaryUrl });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--older-than');
  });
});
