import { describe, expect, it, vi } from 'vitest';
import { Dashboard, type DashboardProps } from '../../src/cli/dashboard/Dashboard.tsx';
import { shortId } from '../../src/cli/dashboard/format.ts';
import { type DashboardState, initialState } from '../../src/cli/dashboard/state.ts';
import { JOB, NOW, across, apply, busy } from './fixtures.ts';
import { lines, renderAt, tick, widest } from './render-at.tsx';

const urls = {
  local: 'http://127.0.0.1:3000',
  webhook: 'https://a1b2-203-0-113-42.ngrok-free.app/whatsapp/webhook',
  statusCallback: 'https://a1b2-203-0-113-42.ngrok-free.app/whatsapp/status',
  simulator: 'http://127.0.0.1:3000/simulator',
  public: 'https://a1b2-203-0-113-42.ngrok-free.app',
  publicVia: 'ngrok tunnel',
};

const show = (width: number, state: DashboardState, over: Partial<DashboardProps> = {}) => {
  const handlers = { onQuit: vi.fn(), onTogglePause: vi.fn(), onRetry: vi.fn(), onSelect: vi.fn() };
  const props: DashboardProps = { state, urls, now: NOW, width, height: 30, keys: { pause: true, retry: true }, ...handlers, ...over };
  return { ...renderAt(width, <Dashboard {...props} />), ...handlers };
};

/** Session counts as the summary line says them. */
const countsIn = (frame: string) => Object.fromEntries([...frame.matchAll(/(queued|retrying|running|done|failed) (\d+)/g)].map((m) => [m[1], Number(m[2])]));

/** The table's rows: the lines that start with a job's short id. */
const jobLines = (frame: string) => lines(frame).filter((line) => /^ [ ›][0-9a-f]{8} /.test(line));

const talkative = apply(
  Array.from({ length: 60 }, (_, n) => ({ type: 'log' as const, level: 'info' as const, message: `something happened (${n})`, ts: NOW - 60_000 + n })),
  busy,
);

describe('Dashboard', () => {
  for (const width of [80, 150]) {
    describe(`at ${width} columns`, () => {
      it('pins the URLs whole above everything, however much is logged', () => {
        const frame = show(width, talkative).frame();
        expect(lines(frame).slice(0, 5)).toEqual([
          ' vidbot serving on http://127.0.0.1:3000',
          ` webhook (POST)   ${urls.webhook}`,
          ` status callback  ${urls.statusCallback}`,
          ` simulator        ${urls.simulator}`,
          ` public URL       ${urls.public} (ngrok tunnel)`,
        ]);
        expect(frame).toContain('something happened (59)');
      });

      it('never draws a line wider than the terminal, and stays a line shorter than it', () => {
        for (const height of [24, 30, 50]) {
          const frame = show(width, talkative, { height }).frame();
          expect(widest(frame)).toBeLessThanOrEqual(width);
          expect(lines(frame).length).toBeLessThan(height);
        }
      });

      it('shows each job with its prompt, sender, stage, percent and ETA, and counts exactly those rows', () => {
        const frame = show(width, busy, { height: 40 }).frame();
        const rows = jobLines(frame);
        const counts = countsIn(frame);
        expect(rows).toHaveLength(8);
        expect(counts).toEqual({ queued: 2, retrying: 1, running: 3, done: 1, failed: 1 });
        for (const [status, pattern] of [
          ['queued', /queued/],
          ['retrying', /retry in/],
          ['running', /generate|compress|polish/],
          ['done', / done/],
          ['failed', /failed/],
        ] as const) {
          expect(rows.filter((row) => pattern.test(row)), status).toHaveLength(counts[status] ?? -1);
        }
        const storm = rows.find((row) => row.includes('5757e757')) ?? '';
        expect(storm).toMatch(/\+4477…0123 a lighthouse in a storm/);
        expect(storm).toMatch(/generate .*62%.*~1m/);
        expect(rows.find((row) => row.includes('0f0f0f0f'))).not.toMatch(/%/);
        expect(frame).toMatch(/ job\s+sender\s+prompt\s+stage\s+(%|progress)/);
      });

      it('says on its last frame after Ctrl-C what happened to the running jobs', () => {
        const stopped = apply(
          [
            { type: 'stopping', graceSec: 10, ts: NOW },
            { type: 'job', kind: 'completed', jobId: JOB.sunset, durationMs: 3000, ts: NOW + 2000 },
            { type: 'stopped', handedBack: 2, ts: NOW + 10_000 },
          ],
          busy,
        );
        const frame = show(width, stopped).frame();
        expect(frame.replace(/\n /g, ' ')).toContain('Stopped. 1 job finished; 2 jobs were stopped and went back to the queue; they resume on the next start.');
        expect(frame).not.toContain('q quit');
        expect(jobLines(frame).filter((row) => row.includes('handed back'))).toHaveLength(2);
        expect(countsIn(frame)).toMatchObject({ running: 0, queued: 4, done: 2 });
        expect(widest(frame)).toBeLessThanOrEqual(width);
      });
    });
  }

  it('closes the table with what did not fit, so it still adds up to the counts', () => {
    const frame = show(80, busy, { height: 24 }).frame();
    const more = lines(frame).find((line) => /^\s+\+ \d+ more: /.test(line));
    const shown = jobLines(frame).length;
    expect(more).toMatch(/^ {2}\+ \d+ more: \d+ queued/);
    expect(shown + Number(/\+ (\d+)/.exec(more ?? '')?.[1])).toBe(8);
    expect(lines(frame).length).toBeLessThan(24);
  });

  it('shows an empty session and the keys', () => {
    const frame = show(80, initialState).frame();
    expect(frame).toContain('queued 0 · running 0 · done 0 · failed 0');
    expect(frame).toContain('No jobs yet');
    expect(lines(frame).at(-1)).toBe(' q quit · p pause');
  });

  it('sends p, q, the arrows and r (for the selected failed job) to their handlers', async () => {
    const view = show(80, busy);
    expect(view.frame()).toContain('r retry 3003d00d');
    for (const key of ['p', 'r', '\u001B[A', '\u001B[B', 'q']) {
      view.stdin.write(key);
      await tick();
    }
    expect(view.onTogglePause).toHaveBeenCalledOnce();
    expect(view.onRetry).toHaveBeenCalledWith(JOB.moon);
    expect(view.onSelect.mock.calls).toEqual([[-1], [1]]);
    expect(view.onQuit).toHaveBeenCalledOnce();
  });

  it('offers no pause or retry to a viewer without them, nor while stopping', async () => {
    const view = show(80, busy, { keys: { pause: false, retry: false } });
    expect(view.frame()).not.toContain('p pause');
    expect(view.frame()).not.toContain('r retry');
    const stopping = show(80, apply([{ type: 'stopping', graceSec: 10, ts: NOW }], busy));
    expect(stopping.frame()).toContain('Stopping: 3 running jobs get up to 10 s to finish; no new job starts.');
    for (const target of [view, stopping]) {
      target.stdin.write('p');
      target.stdin.write('r');
      await tick();
      expect(target.onTogglePause).not.toHaveBeenCalled();
      expect(target.onRetry).not.toHaveBeenCalled();
    }
  });

  it('lists for a remote viewer the queued jobs it cannot show', () => {
    const remote = apply([
      { type: 'counts', counts: { waiting: 3, delayed: 0, active: 0, completed: 9, failed: 0, canceled: 0 }, ts: NOW },
      { type: 'job', kind: 'active', jobId: JOB.fox, attempt: 1, ts: NOW - 5000 },
    ]);
    const frame = show(80, remote, { urls: { server: 'http://10.0.0.5:3000' } }).frame();
    expect(frame).toContain('vidbot watching http://10.0.0.5:3000');
    expect(frame).toContain('queued 3 · running 1');
    expect(frame).toContain('+ 3 more: 3 queued (this viewer cannot list queued jobs)');
  });

  for (const width of [80, 150]) {
    it(`shows a remote viewer every machine's jobs with their prompts and machines, and the summed workers, at ${width} columns`, () => {
      const frame = show(width, across, { urls: { server: 'http://10.0.0.5:3000' } }).frame();
      expect(widest(frame)).toBeLessThanOrEqual(width);
      expect(frame).toContain('workers 2/4 on 2 machines');
      expect(lines(frame).find((line) => /^\s+job\s+sender/.test(line))).toMatch(/prompt\s+machine\s+stage/);
      expect(jobLines(frame).find((line) => line.includes(shortId(JOB.fox)))).toMatch(/a fox running.*worker-a\s+generate/);
    });
  }
});
