import { describe, expect, it } from 'vitest';
import { Summary } from '../../src/cli/dashboard/Summary.tsx';
import { across, apply, busy, NOW } from './fixtures.ts';
import { lines, renderAt } from './render-at.tsx';

describe('Summary', () => {
  for (const width of [80, 150]) {
    it(`counts this session's jobs and shows the workers within ${width} columns`, () => {
      const frame = renderAt(width, <Summary state={busy} now={NOW} />).frame();
      expect(lines(frame)).toEqual(['queued 2 · retrying 1 · running 3 · done 1 · failed 1', 'workers 3/3 · 1 done in the last minute · median 42.0 s']);
    });
  }

  it('says when the workers are paused, and when this process has none', () => {
    const paused = apply([{ type: 'workers', running: 1, concurrency: 3, paused: true, ts: NOW }], busy);
    expect(renderAt(80, <Summary state={paused} now={NOW} />).frame()).toContain('workers 1/3 PAUSED');
    const none = apply([{ type: 'workers', running: 0, concurrency: 0, paused: false, ts: NOW }], busy);
    expect(renderAt(80, <Summary state={none} now={NOW} />).frame()).toContain('no workers in this process');
  });

  for (const width of [80, 150]) {
    it(`sums the workers of every machine heard from within ${width} columns`, () => {
      const frame = renderAt(width, <Summary state={across} now={NOW} />).frame();
      expect(lines(frame)[1]).toBe('workers 2/4 on 2 machines · 1 done in the last minute · median 30.5 s');
    });
  }
});
