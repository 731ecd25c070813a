/** The open-task lister on a real SQLite store: what the dashboard learns that the queue's events do not say. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchOpenTasks } from '../../src/cli/dashboard/open-tasks.ts';
import type { DashboardEvent } from '../../src/cli/dashboard/state.ts';
import { type Store, createSqliteStore } from '../../src/lib/store/index.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const openStore = async (): Promise<Store> => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-open-tasks-'));
  const store = createSqliteStore({ file: join(dir, 'vidbot.db') });
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
};

const options = { provider: 'local', orientation: 'portrait', durationSec: 5, polish: false, useCache: true } as const;

describe('watchOpenTasks', () => {
  it('lists queued and running tasks with their prompts and senders, and the ETA basis of done ones', async () => {
    const store = await openStore();
    await store.createTask({ taskId: 't-queued', jobId: 't-queued', prompt: 'a fox in the snow', sessionId: 'whatsapp:+15550001111', from: 'whatsapp:+15550001111', options });
    await store.createTask({ taskId: 't-running', jobId: 't-running', prompt: 'neon city', sessionId: 'whatsapp:+15550002222', from: 'whatsapp:+15550002222', options });
    await store.updateTask('t-running', { status: 'processing', stage: 'generate', startedAt: 1000 });
    await store.createTask({ taskId: 't-done', jobId: 't-done', prompt: 'waves', sessionId: 'whatsapp:+1', from: 'whatsapp:+1', options });
    await store.updateTask('t-done', { status: 'done', startedAt: 0, finishedAt: 40_000 });
    // Run by its creator (`vidbot generate`): no job, not this server's.
    await store.createTask({ taskId: 't-cli', prompt: 'from a shell', sessionId: 'cli', from: '', options });

    const events: DashboardEvent[] = [];
    const stop = watchOpenTasks(store, (event) => events.push(event), { everyMs: 50, now: () => 7 });
    cleanups.push(async () => stop());
    const first = await waitFor(async () => events.find((event) => event.type === 'tasks'), 5000);
    expect(first).toMatchObject({ type: 'tasks', runSeconds: 40, ts: 7 });
    const tasks = first.type === 'tasks' ? [...first.tasks].sort((a, b) => a.jobId.localeCompare(b.jobId)) : [];
    expect(tasks).toMatchObject([
      { jobId: 't-queued', taskId: 't-queued', prompt: 'a fox in the snow', sender: 'whatsapp:+15550001111', status: 'queued' },
      { jobId: 't-running', prompt: 'neon city', sender: 'whatsapp:+15550002222', status: 'processing', stage: 'generate', startedAt: 1000 },
    ]);

    // Nothing changed: nothing sent. A change: one more list.
    const count = () => events.filter((event) => event.type === 'tasks').length;
    const before = count();
    await store.updateTask('t-running', { stage: 'compress' });
    await waitFor(async () => count() > before, 5000);
    expect(count()).toBe(before + 1);
    const last = events.at(-1);
    expect(last?.type === 'tasks' && last.tasks.find((task) => task.jobId === 't-running')?.stage).toBe('compress');
  });
});
