import { describe, expect, it } from 'vitest';
import { checkCompliance, encodeArgs, minimumBytes, planEncode } from '../../src/lib/compressor/plan.ts';
import { isVidbotError } from '../../src/lib/errors.ts';
import type { ProbedVideo } from '../../src/lib/ffmpeg/probe.ts';

const media = (over: { video?: Partial<ProbedVideo['video']>; audio?: ProbedVideo['audio'] | null; durationSec?: number } = {}): ProbedVideo => ({
  file: '/in.mp4',
  sizeBytes: 5_000_000,
  durationSec: over.durationSec ?? 10,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  video: { codec: 'h264', profile: 'High', pixelFormat: 'yuv420p', width: 1280, height: 720, rotation: 0, ...over.video },
  ...(over.audio !== null && { audio: over.audio ?? { codec: 'aac', profile: 'LC', channels: 2, sampleRate: 48_000, bitrate: 128_000 } }),
});

const plan = (m: ProbedVideo, maxBytes: number) =>
  planEncode(m, { maxBytes, maxLongSide: 1280, maxVideoBitrate: 12_000_000, audio: checkCompliance(m).audio });

describe('checkCompliance', () => {
  it('accepts H.264 Main/High yuv420p with even sizes and AAC-LC', () => {
    expect(checkCompliance(media())).toEqual({ videoCopy: true, audio: 'copy', reasons: [] });
    expect(checkCompliance(media({ video: { profile: 'Main' } })).videoCopy).toBe(true);
    // Size is not a rule: a compliant 1080p file is remuxed, not downscaled.
    expect(checkCompliance(media({ video: { width: 1920, height: 1080 } })).videoCopy).toBe(true);
  });

  it.each([
    [{ profile: 'Constrained Baseline' }, /profile/],
    [{ profile: 'High 4:4:4 Predictive', pixelFormat: 'yuv444p' }, /pixel format/],
    [{ codec: 'vp9', profile: 'Profile 0' }, /codec vp9/],
    [{ width: 1281 }, /odd dimensions/],
  ])('re-encodes video %o', (video, reason) => {
    const result = checkCompliance(media({ video }));
    expect(result.videoCopy).toBe(false);
    expect(result.reasons.join()).toMatch(reason);
  });

  it('plans audio: copy AAC-LC, encode anything else, add silence when missing', () => {
    expect(checkCompliance(media({ audio: { codec: 'aac', profile: 'HE-AAC' } })).audio).toBe('encode');
    expect(checkCompliance(media({ audio: { codec: 'opus' } })).audio).toBe('encode');
    expect(checkCompliance(media({ audio: null })).audio).toBe('add-silent');
  });
});

describe('planEncode', () => {
  it('gives video what the budget leaves after audio and container overhead', () => {
    const p = plan(media({ video: { bitrate: 50_000_000 } }), 2_000_000);
    expect(p.audio.args).toEqual(['-c:a', 'copy']);
    expect(p.videoBitrate).toBeGreaterThan(1_300_000);
    expect(p.videoBitrate).toBeLessThan(1_600_000 - 128_000);
    expect(p.longSide).toBe(1280);
  });

  it('squeezes audio and resolution when the budget is tight', () => {
    const p = plan(media({ durationSec: 60, video: { bitrate: 50_000_000 } }), 2_000_000);
    expect(p.audio.bitrate).toBe(64_000);
    expect(p.longSide).toBe(640);
  });

  it('never spends more on video than the source had', () => {
    expect(plan(media({ video: { bitrate: 900_000 } }), 16_700_000).videoBitrate).toBe(900_000);
  });

  it('throws VIDBOT_SIZE_LIMIT_UNREACHABLE with the minimum when the budget cannot work', () => {
    for (const maxBytes of [90_000, 200_000]) {
      try {
        plan(media({ durationSec: 60 }), maxBytes);
        expect.unreachable();
      } catch (error) {
        expect(isVidbotError(error, 'VIDBOT_SIZE_LIMIT_UNREACHABLE')).toBe(true);
        const minBytes = (error as { details: { minBytes: number } }).details.minBytes;
        expect(minBytes).toBe(minimumBytes(60, 64_000));
        expect(minBytes).toBeGreaterThan(maxBytes);
        // The stated minimum itself must plan successfully.
        expect(() => plan(media({ durationSec: 60 }), minBytes)).not.toThrow();
      }
    }
  });

  it('builds a capped-ABR libx264 command with an even, aspect-keeping scale', () => {
    const m = media();
    const args = encodeArgs(m, plan(m, 16_700_000), 'copy', '/out.mp4');
    expect(args).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-profile:v', 'high', '-movflags', '+faststart']));
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^scale=w='trunc\(min\(1,1280\/max\(iw,ih\)\)\*iw\/2\+0\.01\)\*2'/);
    expect(args.at(-1)).toBe('/out.mp4');
  });
});
