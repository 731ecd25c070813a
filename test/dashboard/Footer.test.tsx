import { describe, expect, it } from 'vitest';
import { Footer } from '../../src/cli/dashboard/Footer.tsx';
import { lines, renderAt, widest } from './render-at.tsx';

describe('Footer', () => {
  it('lists the keys that do something here', () => {
    expect(renderAt(80, <Footer width={80} keys={{ pause: true, retry: true }} paused={false} />).frame()).toBe('q quit · p pause');
    expect(renderAt(80, <Footer width={80} keys={{ pause: true, retry: true }} paused selectedFailed="019a0000-2222-7222-8222-00003003d00d" notice="Retrying 3003d00d." />).frame()).toBe(
      'Retrying 3003d00d.\nq quit · p resume · ↑/↓ select · r retry 3003d00d',
    );
    expect(renderAt(80, <Footer width={80} keys={{ pause: false, retry: false }} paused={false} selectedFailed="x" />).frame()).toBe('q quit');
  });

  it('gives way to what happened to the running jobs once stopping, wrapped to the width', () => {
    const text = 'Stopped. 1 job finished; 2 jobs were stopped and went back to the queue; they resume on the next start.';
    const frame = renderAt(80, <Footer width={80} keys={{ pause: true, retry: true }} paused={false} stop={{ done: true, text }} />).frame();
    expect(frame.replace(/\n/g, ' ')).toBe(text);
    expect(widest(frame)).toBeLessThanOrEqual(78);
    expect(lines(frame)).toHaveLength(2);
    expect(frame).not.toContain('q quit');
  });
});
