import path from 'node:path';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { locateFfmpeg, resolveInstallerPackages, type LocateFfmpegOptions } from '../../src/lib/ffmpeg/locate.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';

const notFound = async (options: LocateFfmpegOptions): Promise<string> => {
  try {
    await locateFfmpeg(options);
  } catch (error) {
    expect(isVidbotError(error, 'VIDBOT_FFMPEG_NOT_FOUND')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected VIDBOT_FFMPEG_NOT_FOUND');
};

let system: Awaited<ReturnType<typeof locateFfmpeg>>;
let dir: string;
let fake: string;

beforeAll(async () => {
  system = await locateFfmpeg({ resolveInstaller: false });
  dir = await makeTempDir('vidbot-locate-');
  // An executable that exits 0 but is not ffmpeg.
  fake = path.join(dir, 'ffmpeg');
  await writeFile(fake, '#!/bin/sh\necho "not really"\n');
  await chmod(fake, 0o755);
});
afterAll(() => removeDir(dir));

describe('locateFfmpeg', () => {
  it('finds ffmpeg and ffprobe on PATH', () => {
    expect(system.source).toBe('PATH');
    expect(path.isAbsolute(system.ffmpeg)).toBe(true);
    expect(path.basename(system.ffprobe)).toBe('ffprobe');
  });

  it('prefers FFMPEG_BIN given as a path, with ffprobe found beside it', async () => {
    const found = await locateFfmpeg({ ffmpegBin: system.ffmpeg, env: { PATH: '' }, resolveInstaller: false });
    expect(found).toEqual({ ffmpeg: system.ffmpeg, ffprobe: system.ffprobe, source: 'FFMPEG_BIN' });
  });

  it('accepts FFMPEG_BIN as a command name looked up on PATH', async () => {
    const found = await locateFfmpeg({ ffmpegBin: 'ffmpeg', resolveInstaller: false });
    expect(found.source).toBe('FFMPEG_BIN');
    expect(found.ffmpeg).toBe(system.ffmpeg);
  });

  it('does not fall back to another ffmpeg when FFMPEG_BIN is set but broken', async () => {
    const message = await notFound({ ffmpegBin: '/nope/ffmpeg' });
    expect(message).toBe('ffmpeg not found: FFMPEG_BIN=/nope/ffmpeg does not exist');
  });

  it('throws VIDBOT_FFMPEG_NOT_FOUND naming FFMPEG_BIN and what was tried', async () => {
    const message = await notFound({ env: { PATH: '' }, resolveInstaller: false });
    expect(message).toMatch(/^ffmpeg not found: /);
    expect(message).toContain('FFMPEG_BIN is not set');
    expect(message).toContain('no ffmpeg on PATH');
    expect(message).toContain('@ffmpeg-installer/ffmpeg');
  });

  it('says so when FFMPEG_BIN is unset', async () => {
    const message = await notFound({ env: { PATH: '' }, resolveInstaller: false });
    expect(message).toContain('FFMPEG_BIN is not set');
  });

  it('rejects an executable that does not answer -version as ffmpeg', async () => {
    const message = await notFound({ ffmpegBin: fake, env: { PATH: '' }, resolveInstaller: false });
    expect(message).toContain(`FFMPEG_BIN=${fake} does not answer`);
  });

  it('reports a missing ffprobe when only ffmpeg can be found', async () => {
    // A working ffmpeg in a folder with no ffprobe beside it.
    const lonely = path.join(dir, 'lonely');
    await mkdir(lonely);
    await symlink(system.ffmpeg, path.join(lonely, 'ffmpeg'));
    const message = await notFound({
      ffmpegBin: path.join(lonely, 'ffmpeg'),
      env: { PATH: '' },
      resolveInstaller: async () => ({ ffmpeg: path.join(lonely, 'ffmpeg') }),
    });
    expect(message).toMatch(/^ffprobe not found: /);
  });

  it('uses an injected installer fallback when PATH has nothing', async () => {
    const found = await locateFfmpeg({
      env: { PATH: '' },
      resolveInstaller: async () => ({ ffmpeg: system.ffmpeg, ffprobe: system.ffprobe }),
    });
    expect(found.source).toBe('@ffmpeg-installer');
  });

  it('uses the real @ffmpeg-installer packages when they are installed', async () => {
    const installed = await resolveInstallerPackages();
    if (installed.ffmpeg === undefined || installed.ffprobe === undefined) return; // optional deps absent
    const found = await locateFfmpeg({ env: { PATH: '' }, timeoutMs: 15_000 });
    expect(found.source).toBe('@ffmpeg-installer');
    expect(found.ffmpeg).toBe(installed.ffmpeg);
  });
});
