import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import type { ActivityEvent } from '../../src/lib/activity/feed.ts';
import { Dashboard, type DashboardProps } from '../../src/cli/dashboard/Dashboard.tsx';
import { type DashboardState, initialState, reduce, select } from '../../src/cli/dashboard/state.ts';

const T0 = Date.parse('2026-11-25T12:00:00Z');
const apply = (events: ActivityEvent[], from: DashboardState = initialState) => events.reduce(reduce, from);
const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

const show = (state: DashboardState, over: Partial<DashboardProps> = {}) => {
  const handlers = { onQuit: vi.fn(), onTogglePause: vi.fn(), onRetry: vi.fn(), onSelect: vi.fn() };
  const view = render(
    <Dashboard
      state={state}
      urls={{ local: 'http://127.0.0.1:3000', webhook: 'https://bot.example.com/whatsapp/webhook' }}
      now={T0 + 12_000}
      keys={{ pause: true, retry: true }}
      {...handlers}
      {...over}
    />,
  );
  return { ...view, ...handlers };
};

const busy = apply([
  { type: 'counts', counts: { waiting: 3, delayed: 1, active: 2, completed: 7, failed: 0, canceled: 1 }, ts: T0 },
  { type: 'workers', running: 2, concurrency: 2, paused: false, ts: T0 },
  { type: 'job', kind: 'active', jobId: 'task-aaaaaaaa-1111', workerId: 'w1', attempt: 1, ts: T0 },
  { type: 'stage', jobId: 'task-aaaaaaaa-1111', stage: 'generate', state: 'start', ts: T0 + 1000 },
  { type: 'stage', jobId: 'task-aaaaaaaa-1111', stage: 'generate', state: 'progress', percent: 40, message: 'processing: 4/10', ts: T0 + 2000 },
  { type: 'job', kind: 'active', jobId: 'task-bbbbbbbb-2222', workerId: 'w1', attempt: 2, ts: T0 },
  { type: 'stage', jobId: 'task-bbbbbbbb-2222', stage: 'compress', state: 'progress', percent: 75, ts: T0 + 3000 },
  { type: 'job', kind: 'completed', jobId: 'task-cccccccc-3333', durationMs: 4200, ts: T0 + 5000 },
]);

describe('the dashboard', () => {
  it('shows an empty queue, the URLs and the keys', () => {
    const { lastFrame } = show(initialState);
    const frame = lastFrame() ?? '';
    expect(frame).toContain('vidbot http://127.0.0.1:3000');
    expect(frame).toContain('Twilio webhook (POST): https://bot.example.com/whatsapp/webhook');
    expect(frame).toMatch(/waiting 0\s+active 0\s+done 0\s+failed 0/);
    expect(frame).toContain('No job running.');
    expect(frame).toContain('q quit · p pause');
    expect(frame).not.toContain('Failed');
  });

  it('shows each running job with its stage, progress bar and message, and throughput', () => {
    const frame = show(busy).lastFrame() ?? '';
    expect(frame).toMatch(/waiting 4\s+active 2\s+done 7/);
    expect(frame).toMatch(/task-aaa\s+generate\s+█{8}░{12}\s+40%\s+12 s\s+processing: 4\/10/);
    expect(frame).toMatch(/task-bbb\s+compress\s+█{15}░{5}\s+75%/);
    expect(frame).toContain('workers 2/2');
    expect(frame).toContain('1 done in the last minute · median 4.2 s');
    expect(frame).toContain('task-bbb started (attempt 2)');
    expect(frame).toContain('task-ccc done in 4.2 s');
  });

  it('lists failed jobs, moves the selection and retries the selected one with r', async () => {
    const failed = apply(
      [
        { type: 'job', kind: 'failed', jobId: 'task-dddddddd-4444', error: 'the model refused it', ts: T0 + 6000 },
        { type: 'job', kind: 'failed', jobId: 'task-eeeeeeee-5555', error: 'the video service is having trouble', ts: T0 + 7000 },
      ],
      busy,
    );
    expect(failed.failed.map((job) => job.jobId)).toEqual(['task-eeeeeeee-5555', 'task-dddddddd-4444']);
    const view = show(select(failed, 1));
    const frame = view.lastFrame() ?? '';
    expect(frame).toContain('Failed (↑/↓ select, r retry)');
    expect(frame).toMatch(/› task-ddd the model refused it/);
    expect(frame).toContain('task-eee failed: the video service is having trouble');
    view.stdin.write('r');
    await tick();
    expect(view.onRetry).toHaveBeenCalledWith('task-dddddddd-4444');
    view.stdin.write('\u001B[A');
    await tick();
    expect(view.onSelect).toHaveBeenCalledWith(-1);
  });

  it('shows paused workers, and p and q reach their handlers', async () => {
    const paused = apply([{ type: 'workers', running: 1, concurrency: 2, paused: true, ts: T0 }]);
    const view = show(paused);
    expect(view.lastFrame()).toContain('workers 1/2 PAUSED');
    expect(view.lastFrame()).toContain('p resume');
    view.stdin.write('p');
    await tick();
    view.stdin.write('q');
    await tick();
    expect(view.onTogglePause).toHaveBeenCalledOnce();
    expect(view.onQuit).toHaveBeenCalledOnce();
  });

  it('offers no pause or retry to a viewer without them', async () => {
    const view = show(apply([{ type: 'job', kind: 'failed', jobId: 'x', error: 'e', ts: T0 }]), { keys: { pause: false, retry: false } });
    expect(view.lastFrame()).not.toContain('p pause');
    expect(view.lastFrame()).not.toContain('r retry');
    view.stdin.write('p');
    view.stdin.write('r');
    await tick();
    expect(view.onTogglePause).not.toHaveBeenCalled();
    expect(view.onRetry).not.toHaveBeenCalled();
  });
});
