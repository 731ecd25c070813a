import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/lib/text.ts';
import { aboutSeconds, clock, elapsed, inSeconds, maskSender, middleTruncate, oneLine, shortId, wrapText } from '../../src/cli/dashboard/format.ts';

describe('the dashboard text helpers', () => {
  it('shows times, ids and senders short', () => {
    const at = new Date(2026, 10, 25, 9, 5, 7).getTime();
    expect(clock(at)).toBe('09:05:07');
    expect(shortId('0f0f0f0f-aaaa-4aaa-8aaa-000000000001')).toBe('00000001');
    expect(shortId('019a1f2e-3b4c-7d5e-8f60-a1b2c3d4e5f6')).toBe('c3d4e5f6');
    expect(shortId('job-1')).toBe('job-1');
    expect(shortId('019a1f2e-3b4c-7d5e-8f60-a1b2c3d4e5f6#2')).toBe('c3d4e5f6#2');
    expect(shortId('job-1#12')).toBe('job-1#12');
    expect(maskSender('whatsapp:+15550001111', false)).toBe('whatsapp:+1555…1111');
    expect(maskSender('whatsapp:+15550001111', true)).toBe('+1555…1111');
    expect(maskSender('cli', true)).toBe('cli');
  });

  it('words times ahead and behind', () => {
    expect([aboutSeconds(0), aboutSeconds(3), aboutSeconds(42), aboutSeconds(150), aboutSeconds(7200)]).toEqual(['soon', '~5s', '~40s', '~3m', '~2h']);
    expect([inSeconds(7.2), inSeconds(0), inSeconds(600)]).toEqual(['8s', '0s', '10m']);
    expect([elapsed(42_400), elapsed(185_000), elapsed(3_720_000)]).toEqual(['42s', '3m05s', '1h02m']);
  });

  it('cuts the middle of what cannot fit, and wraps words into lines that do', () => {
    expect(middleTruncate('https://example.com/a/long/path', 15)).toBe('https:/…ng/path');
    expect(middleTruncate('short', 15)).toBe('short');
    expect(wrapText('the quick brown fox jumps over the lazy dog', 16, 2)).toEqual(['the quick brown', '  fox jumps over', '  the lazy dog']);
    expect(wrapText('abcdefghijklmnopqrstuvwxyz', 10)).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz']);
    for (const line of wrapText('a very long error message with a https://example.com/some/very/long/url/that/goes/on in it', 20, 4)) {
      expect(line.length).toBeLessThanOrEqual(20);
    }
    // Wide characters take two columns: a line of them wraps where the terminal would, losing nothing.
    const wide = wrapText('3c0000d0 "🔥🔥 fire dance 日本語のテキスト with emoji" made by local-preview, cost 0.00', 40);
    expect(wide.map(displayWidth).every((columns) => columns <= 40)).toBe(true);
    expect(wide.join(' ')).toBe('3c0000d0 "🔥🔥 fire dance 日本語のテキスト with emoji" made by local-preview, cost 0.00');
    expect(oneLine('ffmpeg failed: exit code 1\n[libx264] details\n')).toBe('ffmpeg failed: exit code 1');
    // A prompt is a stranger's text: it cannot reorder or redraw the dashboard's line.
    expect(oneLine('a fox \u202Ethgin ta\u202C \u001b[31mred')).toBe('a fox thgin ta [31mred');
  });
});
