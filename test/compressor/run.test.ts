import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { locateFfmpeg, type FfmpegBinaries } from '../../src/lib/ffmpeg/locate.ts';
import { probeMedia } from '../../src/lib/ffmpeg/probe.ts';
import { createProgressParser, runFfmpeg } from '../../src/lib/ffmpeg/run.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';

let bins: FfmpegBinaries;
let dir: string;
beforeAll(async () => {
  bins = await locateFfmpeg({ resolveInstaller: false });
  dir = await makeTempDir('vidbot-run-');
});
afterAll(() => removeDir(dir));

describe('createProgressParser', () => {
  it('turns out_time_us into increasing percentages and progress=end into 100', () => {
    const seen: number[] = [];
    const onLine = createProgressParser(10, (p) => seen.push(p.percent ?? -1));
    for (const line of ['frame=1', 'out_time_us=N/A', 'out_time_us=-5000', 'out_time_us=2500000', 'out_time_us=2500000', 'out_time_us=1000000', 'out_time_us=20000000', 'progress=end']) {
      onLine(line);
    }
    expect(seen).toEqual([25, 99.9, 100]);
  });

  it('reports only the end when the duration is unknown', () => {
    const seen: number[] = [];
    const onLine = createProgressParser(undefined, (p) => seen.push(p.percent ?? -1));
    onLine('out_time_us=2500000');
    onLine('progress=end');
    expect(seen).toEqual([100]);
  });
});

describe('runFfmpeg', () => {
  it('runs ffmpeg and reports progress up to 100', async () => {
    const file = path.join(dir, 'tone.m4a');
    const seen: number[] = [];
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', '-y', file], {
      ffmpeg: bins.ffmpeg,
      durationSec: 3,
      onProgress: (p) => seen.push(p.percent ?? -1),
    });
    expect(seen.at(-1)).toBe(100);
    expect((await probeMedia(file, { ffprobe: bins.ffprobe })).durationSec).toBeCloseTo(3, 0);
  });

  it('throws VIDBOT_FFMPEG_FAILED carrying the end of stderr', async () => {
    try {
      await runFfmpeg(['-i', path.join(dir, 'missing.mp4'), '-f', 'null', '-'], { ffmpeg: bins.ffmpeg });
      expect.unreachable();
    } catch (error) {
      expect(isVidbotError(error, 'VIDBOT_FFMPEG_FAILED')).toBe(true);
      const e = error as Error & { details: Record<string, unknown> };
      expect(e.message).toContain('No such file or directory');
      expect(e.details.stderr).toContain('missing.mp4');
    }
  });

  it('throws VIDBOT_FFMPEG_NOT_FOUND for a binary that does not exist', async () => {
    await expect(runFfmpeg(['-version'], { ffmpeg: path.join(dir, 'no-ffmpeg') })).rejects.toMatchObject({
      code: 'VIDBOT_FFMPEG_NOT_FOUND',
    });
  });

  it('stops ffmpeg on abort and throws VIDBOT_CANCELED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    await expect(
      runFfmpeg(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '30', '-f', 'null', '-'], {
        ffmpeg: bins.ffmpeg,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
