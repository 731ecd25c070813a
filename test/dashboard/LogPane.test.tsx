import { describe, expect, it } from 'vitest';
import { clock } from '../../src/cli/dashboard/format.ts';
import { LogPane, visibleLog } from '../../src/cli/dashboard/LogPane.tsx';
import type { LogLine } from '../../src/cli/dashboard/state.ts';
import { T0 } from './fixtures.ts';
import { lines, renderAt, widest } from './render-at.tsx';

const log: LogLine[] = Array.from({ length: 30 }, (_, n) => ({ ts: T0 + n * 1000, level: 'info', text: `line ${n}` }));
const long: LogLine = {
  ts: T0 + 60_000,
  level: 'warn',
  text: 'TWILIO_AUTH_TOKEN is not set: webhooks are verified with a local token (/home/someone/.local/share/vidbot/local-auth-token); `vidbot sign` uses it too.',
};

describe('LogPane', () => {
  it('shows the newest lines that fit the height, each with its time', () => {
    const frame = renderAt(80, <LogPane lines={log} width={80} height={5} />).frame();
    expect(lines(frame)).toEqual([25, 26, 27, 28, 29].map((n) => `${clock(T0 + n * 1000)} line ${n}`));
  });

  for (const width of [80, 150]) {
    it(`wraps a long warning under its text within ${width} columns instead of cutting it`, () => {
      const frame = renderAt(width, <LogPane lines={[...log, long]} width={width} height={6} />).frame();
      expect(widest(frame)).toBeLessThanOrEqual(width - 2);
      expect(frame.replace(/\n\s+/g, ' ')).toContain(`${clock(long.ts)} ${long.text}`);
      expect(lines(frame)).toHaveLength(6);
    });
  }

  it('counts wrapped lines against the height, keeping the start of the oldest shown', () => {
    expect(visibleLog([long, log[0] as LogLine], 80, 2).map((line) => line.time)).toEqual([clock(long.ts), clock(T0)]);
    expect(visibleLog([long], 80, 1)[0]?.text).toMatch(/^TWILIO_AUTH_TOKEN is not set.*…$/);
    // Shown whole, it has no ellipsis.
    expect(visibleLog([long], 80, 10).at(-1)?.text).not.toMatch(/…$/);
  });
});
