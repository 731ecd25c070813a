/** The ack's basis: the line as last read, and the jobs queued here since, which the next read shows. */
import { expect, it } from 'vitest';
import { ackReply } from '../../src/lib/bot/admission.ts';
import { createEtaBasis } from '../../src/lib/bot/eta-basis.ts';
import type { Task } from '../../src/lib/store/port.ts';

it('forgets a job queued here once a later read shows it, running as well as waiting', async () => {
  let clock = 0;
  let tasks: Task[] = [];
  const task = (taskId: string, from: string, status: Task['status'], startedAt?: number) =>
    ({ taskId, jobId: taskId, from, sessionId: from, status, ...(startedAt === undefined ? {} : { startedAt }) }) as Task;
  const basis = createEtaBasis({
    store: { listTasks: async ({ status } = {}) => tasks.filter((each) => status?.includes(each.status) ?? true) },
    queue: { counts: async () => ({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 }) },
    workers: 2,
    now: () => clock,
  });
  // Alice's and Bob's prompts, acknowledged before a read lists them.
  await basis.read();
  basis.queued({ taskId: 'a1', sender: 'alice' });
  basis.queued({ taskId: 'b1', sender: 'bob' });
  expect((await basis.read()).since?.map((job) => job.taskId)).toEqual(['a1', 'b1']);
  // Both started (Alice's 20 s ago, Bob's 5 s ago), and Carol's waits for a worker.
  const now = Date.now();
  tasks = [task('c1', 'carol', 'queued'), task('b1', 'bob', 'processing', now - 5_000), task('a1', 'alice', 'processing', now - 20_000)];
  basis.queued({ taskId: 'c1', sender: 'carol' });
  clock += 1_000;
  const read = await basis.read();
  // Were they kept, Alice's and Bob's would come after Carol's in the line, and hers be taken for started.
  expect(read.since).toEqual([]);
  expect(read.line?.waiting.map((job) => job.taskId)).toEqual(['c1']);
  // Dave's, second by the queue's count: Carol's starts when Alice's ends, his when Bob's does.
  const dave = ackReply('d1', 2, { ...read, runSeconds: 40 }, {}, { sender: 'dave' });
  expect(dave.text).toContain("📋 You're #2 in line.");
  // Queued after that read: known until the next one.
  basis.queued({ taskId: 'd1', sender: 'dave' });
  expect((await basis.read()).since?.map((job) => job.taskId)).toEqual(['d1']);
});

it('says the workers are paused, so that the ack promises no time while nothing starts', async () => {
  let live = { concurrency: 2, paused: false };
  const basis = createEtaBasis({
    store: { listTasks: async () => [] },
    queue: { counts: async () => ({ waiting: 1, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 }) },
    workers: 2,
    liveWorkers: () => live,
    now: () => 0,
  });
  expect(await basis.read()).toMatchObject({ workersRun: true });
  expect((await basis.read()).paused).toBeUndefined();
  live = { concurrency: 2, paused: true };
  const paused = await basis.read();
  expect(paused).toMatchObject({ workersRun: false, paused: true });
  expect(ackReply('t2', 2, { ...paused, runSeconds: 40 }, {}).text).not.toContain('Ready in');
});
