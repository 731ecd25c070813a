/**
 * The JobQueue contract: written once, run by every adapter (SQLite today, BullMQ on Redis later).
 * It states the port's semantics, not what one backend happens to do:
 *
 * - add is idempotent on jobId, also once the job has finished (it is not run again).
 * - Jobs run oldest first (FIFO); a worker runs at most `concurrency` handlers at once.
 * - A handler that throws an error with retryable=true is retried after base * 2^(attempt-1) ms
 *   (jitter at most ±25%) while attempts remain, in state 'delayed' meanwhile; anything else fails
 *   at once.
 *   A failed job keeps the error's message and its string `code` as errorCode; a completed one
 *   keeps no error.
 * - cancel: waiting/delayed -> 'canceled' (never runs); active -> 'cancel-requested', the
 *   handler's signal fires and the job ends 'canceled' whatever the handler does then, once the
 *   handler ends (it keeps its place meanwhile). Its stopSignal fires only for a release or a lost
 *   claim, after a cancel too.
 * - A worker closed with release hands its running jobs back at once without spending the
 *   attempt; closed without release it waits for them. pause stops claiming, not running jobs.
 * - With maxActivePerGroup, a group never has more active jobs than that, and other groups' jobs
 *   go ahead of a group's backlog.
 *
 * Timings are small but not tiny (leases of 1.5 s, backoff from 100 ms) so that a networked
 * backend passes too. makeQueue gives a queue on fresh, empty data; cleanup closes and removes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { vidbotError } from '../../src/lib/errors.ts';
import type { JobContext, JobQueue, JobState, QueueEventMap, QueueEventName } from '../../src/lib/queue/port.ts';

export interface QueueHarness {
  readonly queue: JobQueue<{ n: number }>;
  readonly cleanup: () => Promise<void>;
}

export interface MakeQueueOptions {
  readonly leaseMs: number;
  readonly backoffBaseMs: number;
  readonly maxActivePerGroup?: number;
}

type Job = JobContext<{ n: number }>;

const LEASE_MS = 1500;
const BACKOFF_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async <T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
};

/** Promises that tests resolve by hand, to hold handlers at a known point. */
const gates = () => {
  const open = new Map<string, () => void>();
  const waiting = new Map<string, Promise<void>>();
  const get = (key: string): Promise<void> => {
    let promise = waiting.get(key);
    if (promise === undefined) {
      promise = new Promise<void>((resolve) => open.set(key, resolve));
      waiting.set(key, promise);
    }
    return promise;
  };
  return {
    wait: get,
    open(key: string): void {
      void get(key);
      open.get(key)?.();
    },
  };
};

const record = <K extends QueueEventName>(queue: JobQueue<{ n: number }>, event: K): Array<QueueEventMap[K]> => {
  const seen: Array<QueueEventMap[K]> = [];
  queue.on(event, (payload) => seen.push(payload));
  return seen;
};

const retryable = (message: string) => vidbotError('VIDBOT_PROVIDER_FAILED', message);

export const queueContract = (
  name: string,
  makeQueue: (opts: MakeQueueOptions) => Promise<QueueHarness>,
): void => {
  describe(`JobQueue contract: ${name}`, () => {
    const harnesses: QueueHarness[] = [];
    afterEach(async () => {
      for (const harness of harnesses.splice(0)) await harness.cleanup();
    });

    const setup = async (over: Partial<MakeQueueOptions> = {}): Promise<JobQueue<{ n: number }>> => {
      const harness = await makeQueue({ leaseMs: LEASE_MS, backoffBaseMs: BACKOFF_MS, ...over });
      harnesses.push(harness);
      return harness.queue;
    };

    const stateOf = async (queue: JobQueue<{ n: number }>, id: string): Promise<JobState | undefined> =>
      (await queue.get(id))?.state;

    const untilState = (queue: JobQueue<{ n: number }>, id: string, state: JobState, timeoutMs?: number) =>
      waitFor(`job ${id} to be ${state}`, async () => (await stateOf(queue, id)) === state, timeoutMs);

    describe('adding and reading jobs', () => {
      it('stores a job and reads it back', async () => {
        const queue = await setup();
        const before = Date.now();
        expect(await queue.add({ n: 1 }, { jobId: 'j1', attempts: 4, group: 'g1' })).toEqual({ id: 'j1', created: true });
        const info = await queue.get('j1');
        expect(info).toMatchObject({ id: 'j1', data: { n: 1 }, state: 'waiting', attempts: 0, maxAttempts: 4, group: 'g1', cancelRequested: false });
        expect(info?.createdAt).toBeGreaterThanOrEqual(before - 5);
        expect(info?.createdAt).toBeLessThanOrEqual(Date.now() + 5);
        expect(info?.startedAt).toBeUndefined();
        expect(info?.error).toBeUndefined();
        expect(await queue.get('unknown')).toBeNull();
        await queue.add({ n: 2 }, { jobId: 'j2' });
        expect((await queue.get('j2'))?.maxAttempts).toBeGreaterThanOrEqual(1);
      });

      it('is idempotent on jobId, also after the job finished', async () => {
        const queue = await setup();
        expect((await queue.add({ n: 1 }, { jobId: 'same' })).created).toBe(true);
        expect(await queue.add({ n: 2 }, { jobId: 'same' })).toEqual({ id: 'same', created: false });
        expect((await queue.get('same'))?.data).toEqual({ n: 1 });
        expect((await queue.counts()).waiting).toBe(1);
        const runs: number[] = [];
        queue.work(async (job) => void runs.push(job.data.n), { concurrency: 1 });
        await untilState(queue, 'same', 'completed');
        expect((await queue.add({ n: 3 }, { jobId: 'same' })).created).toBe(false);
        await sleep(500);
        expect(runs).toEqual([1]);
      });

      it('holds a delayed job until its delay has passed', async () => {
        const queue = await setup();
        const starts = new Map<string, number>();
        queue.work(async (job) => void starts.set(job.id, Date.now()), { concurrency: 1 });
        const added = Date.now();
        await queue.add({ n: 1 }, { jobId: 'later', delayMs: 600 });
        expect(await stateOf(queue, 'later')).toBe('delayed');
        expect((await queue.counts()).delayed).toBe(1);
        await queue.add({ n: 2 }, { jobId: 'now' });
        await untilState(queue, 'later', 'completed');
        expect(starts.get('now')).toBeLessThan(starts.get('later') ?? 0);
        expect((starts.get('later') ?? 0) - added).toBeGreaterThanOrEqual(590);
      });
    });

    describe('running jobs', () => {
      it('runs jobs oldest first with concurrency 1', async () => {
        const queue = await setup();
        for (let n = 0; n < 6; n += 1) await queue.add({ n }, { jobId: `fifo-${n}` });
        const order: number[] = [];
        queue.work(async (job) => {
          order.push(job.data.n);
          await sleep(10);
        }, { concurrency: 1 });
        await queue.add({ n: 6 }, { jobId: 'fifo-6' });
        await untilState(queue, 'fifo-6', 'completed');
        expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
      });

      it('runs up to `concurrency` handlers at once, never more', async () => {
        const queue = await setup();
        let current = 0;
        let max = 0;
        const worker = queue.work(async () => {
          current += 1;
          max = Math.max(max, current);
          await sleep(250);
          current -= 1;
        }, { concurrency: 3 });
        for (let n = 0; n < 7; n += 1) await queue.add({ n }, { jobId: `c-${n}` });
        await waitFor('3 running', () => worker.running === 3);
        await waitFor('all completed', async () => (await queue.counts()).completed === 7);
        expect(max).toBe(3);
        expect(worker.running).toBe(0);
      });

      it('emits active and completed events with the worker id', async () => {
        const queue = await setup();
        const active = record(queue, 'active');
        const completed = record(queue, 'completed');
        const worker = queue.work(() => sleep(120), { concurrency: 1, workerId: 'worker-a' });
        expect(worker.id).toBe('worker-a');
        await queue.add({ n: 1 }, { jobId: 'ev' });
        await untilState(queue, 'ev', 'completed');
        await waitFor('completed event', () => completed.length === 1);
        expect(active).toEqual([{ jobId: 'ev', workerId: 'worker-a', attempt: 1 }]);
        expect(completed[0]).toMatchObject({ jobId: 'ev', workerId: 'worker-a' });
        expect(completed[0]?.durationMs).toBeGreaterThanOrEqual(100);
        const info = await queue.get('ev');
        expect(info).toMatchObject({ state: 'completed', attempts: 1, workerId: 'worker-a' });
        expect(info?.finishedAt).toBeGreaterThanOrEqual(info?.startedAt ?? Number.POSITIVE_INFINITY);
      });

      it('reports progress as events and stores the latest', async () => {
        const queue = await setup();
        const events = record(queue, 'progress');
        const gate = gates();
        queue.work(async (job) => {
          job.progress({ percent: 10, message: 'starting' });
          job.progress({ percent: 50 });
          await gate.wait('half');
          job.progress({ percent: 80 });
          job.progress({ percent: 90, message: 'almost', stage: 'compress' });
        }, { concurrency: 1, workerId: 'w-progress' });
        await queue.add({ n: 1 }, { jobId: 'p' });
        await waitFor('stored progress 50', async () => (await queue.get('p'))?.progress?.percent === 50);
        gate.open('half');
        await untilState(queue, 'p', 'completed');
        expect(events.map((e) => e.progress.percent)).toEqual([10, 50, 80, 90]);
        expect(events[0]).toEqual({ jobId: 'p', workerId: 'w-progress', progress: { percent: 10, message: 'starting' } });
        // The last report, made just before the handler returned, is not lost to throttling.
        expect((await queue.get('p'))?.progress).toEqual({ percent: 90, message: 'almost', stage: 'compress' });
      });
    });

    describe('failures and retries', () => {
      it('retries a retryable error with growing backoff, then completes', async () => {
        const queue = await setup();
        const retrying = record(queue, 'retrying');
        const statesWhileWaiting: Array<Promise<JobState | undefined>> = [];
        queue.on('retrying', (event) => statesWhileWaiting.push(stateOf(queue, event.jobId)));
        const attempts: Array<[number, number]> = [];
        queue.work(async (job) => {
          attempts.push([job.attempt, Date.now()]);
          expect(job.maxAttempts).toBe(4);
          if (job.attempt < 4) throw retryable(`flaky ${job.attempt}`);
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'r', attempts: 4 });
        await untilState(queue, 'r', 'completed');
        expect(attempts.map(([attempt]) => attempt)).toEqual([1, 2, 3, 4]);
        expect(retrying.map((e) => [e.attempt, e.error])).toEqual([[1, 'flaky 1'], [2, 'flaky 2'], [3, 'flaky 3']]);
        const delays = retrying.map((e) => e.delayMs);
        // base * 2^(attempt-1): jitter (at most ±25%) cannot hide a fourfold growth.
        expect(delays[0]).toBeGreaterThanOrEqual(BACKOFF_MS * 0.75);
        expect(delays[0]).toBeLessThanOrEqual(BACKOFF_MS * 1.25);
        expect(delays[2]).toBeGreaterThanOrEqual((delays[0] ?? 0) * 2);
        // Each retry waits (at least) its announced delay.
        for (let i = 1; i < attempts.length; i += 1) {
          const gap = (attempts[i]?.[1] ?? 0) - (attempts[i - 1]?.[1] ?? 0);
          expect(gap).toBeGreaterThanOrEqual((delays[i - 1] ?? 0) - 10);
        }
        expect(await Promise.all(statesWhileWaiting)).toEqual(['delayed', 'delayed', 'delayed']);
        const info = await queue.get('r');
        expect(info).toMatchObject({ state: 'completed', attempts: 4 });
        expect(info?.error).toBeUndefined();
      });

      it('fails with the last error once a retryable error has used every attempt', async () => {
        const queue = await setup();
        const failed = record(queue, 'failed');
        const retrying = record(queue, 'retrying');
        let runs = 0;
        queue.work(async () => {
          runs += 1;
          throw retryable(`provider down ${runs}`);
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'x', attempts: 2 });
        await untilState(queue, 'x', 'failed');
        const info = await queue.get('x');
        expect(info).toMatchObject({ state: 'failed', attempts: 2, error: 'provider down 2', errorCode: 'VIDBOT_PROVIDER_FAILED' });
        expect(info?.finishedAt).toBeDefined();
        expect(runs).toBe(2);
        expect(retrying).toHaveLength(1);
        await waitFor('failed event', () => failed.length === 1);
        expect(failed[0]).toMatchObject({ jobId: 'x', error: 'provider down 2', errorCode: 'VIDBOT_PROVIDER_FAILED' });
      });

      it('fails a non-retryable error at once', async () => {
        const queue = await setup();
        const runs = new Map<string, number>();
        queue.work(async (job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          if (job.data.n === 1) throw new Error('boom');
          if (job.data.n === 2) throw vidbotError('VIDBOT_INPUT_INVALID', 'bad input');
          throw vidbotError('VIDBOT_PROVIDER_FAILED', 'rejected for good', { retryable: false });
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'plain', attempts: 3 });
        await queue.add({ n: 2 }, { jobId: 'input', attempts: 3 });
        await queue.add({ n: 3 }, { jobId: 'final', attempts: 3 });
        await untilState(queue, 'final', 'failed');
        await untilState(queue, 'plain', 'failed');
        const plain = await queue.get('plain');
        expect(plain).toMatchObject({ attempts: 1, error: 'boom' });
        expect(plain?.errorCode).toBeUndefined();
        expect(await queue.get('input')).toMatchObject({ state: 'failed', attempts: 1, errorCode: 'VIDBOT_INPUT_INVALID' });
        expect(await queue.get('final')).toMatchObject({ attempts: 1, errorCode: 'VIDBOT_PROVIDER_FAILED' });
        expect([...runs.values()]).toEqual([1, 1, 1]);
      });
    });

    describe('cancel', () => {
      it('cancels waiting and delayed jobs at once; they never run', async () => {
        const queue = await setup();
        const canceled = record(queue, 'canceled');
        const gate = gates();
        const ran: string[] = [];
        queue.work(async (job) => {
          ran.push(job.id);
          await gate.wait(job.id);
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'blocker' });
        await untilState(queue, 'blocker', 'active');
        await queue.add({ n: 2 }, { jobId: 'queued' });
        await queue.add({ n: 3 }, { jobId: 'delayed', delayMs: 200 });
        expect(await queue.cancel('queued')).toBe('canceled');
        expect(await queue.cancel('delayed')).toBe('canceled');
        const info = await queue.get('queued');
        expect(info?.state).toBe('canceled');
        expect(info?.finishedAt).toBeDefined();
        gate.open('blocker');
        await untilState(queue, 'blocker', 'completed');
        await sleep(600);
        expect(ran).toEqual(['blocker']);
        expect(canceled.map((e) => e.jobId).sort()).toEqual(['delayed', 'queued']);
      });

      it('aborts an active job and ends it canceled, not retried', async () => {
        const queue = await setup();
        const canceled = record(queue, 'canceled');
        const failed = record(queue, 'failed');
        let signal: AbortSignal | undefined;
        let runs = 0;
        queue.work(async (job) => {
          runs += 1;
          signal = job.signal;
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
          // Even an error that would be retried does not bring a canceled job back.
          throw retryable('interrupted');
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'busy', attempts: 3 });
        await untilState(queue, 'busy', 'active');
        expect(await queue.cancel('busy')).toBe('cancel-requested');
        await untilState(queue, 'busy', 'canceled', LEASE_MS + 1000);
        expect(signal?.aborted).toBe(true);
        expect(await queue.get('busy')).toMatchObject({ state: 'canceled', attempts: 1, cancelRequested: true });
        await waitFor('canceled event', () => canceled.length === 1);
        await sleep(400);
        expect(runs).toBe(1);
        expect(failed).toEqual([]);
      });

      it('ends an active job canceled even when its handler swallows the abort', async () => {
        const queue = await setup();
        const completed = record(queue, 'completed');
        queue.work(async (job) => {
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'stubborn' });
        await untilState(queue, 'stubborn', 'active');
        expect(await queue.cancel('stubborn')).toBe('cancel-requested');
        await untilState(queue, 'stubborn', 'canceled', LEASE_MS + 1000);
        expect(completed).toEqual([]);
      });

      it('waits for a handler that finishes its work past a cancel; its stop signal fires only for a release', async () => {
        const queue = await setup();
        const gate = gates();
        const canceled = record(queue, 'canceled');
        let stopSignal: AbortSignal | undefined;
        const worker = queue.work(async (job) => {
          stopSignal = job.stopSignal;
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
          gate.open('heard');
          // Work a cancel lets finish (a made video's delivery).
          await gate.wait('finish');
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'finishing' });
        await untilState(queue, 'finishing', 'active');
        expect(await queue.cancel('finishing')).toBe('cancel-requested');
        await gate.wait('heard');
        // Still this worker's: it holds its place, and its stop signal has not fired.
        expect(stopSignal?.aborted).toBe(false);
        expect(worker.running).toBe(1);
        expect((await queue.get('finishing'))?.state).toBe('active');
        expect(canceled).toEqual([]);
        gate.open('finish');
        await untilState(queue, 'finishing', 'canceled', LEASE_MS + 1000);
        await waitFor('canceled event', () => canceled.length === 1);

        // A shutdown after a cancel still stops such work.
        const second = queue.work(async (job) => {
          stopSignal = job.stopSignal;
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
          gate.open('heard again');
          await new Promise((resolve) => job.stopSignal?.addEventListener('abort', resolve, { once: true }));
        }, { concurrency: 1 });
        await worker.close();
        await queue.add({ n: 2 }, { jobId: 'shut' });
        await untilState(queue, 'shut', 'active');
        expect(await queue.cancel('shut')).toBe('cancel-requested');
        await gate.wait('heard again');
        await second.close({ release: true });
        expect(stopSignal?.aborted).toBe(true);
      });

      it('tells finished and unknown jobs apart', async () => {
        const queue = await setup();
        queue.work(async (job) => {
          if (job.data.n === 2) throw new Error('nope');
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'done' });
        await queue.add({ n: 2 }, { jobId: 'bad' });
        await untilState(queue, 'bad', 'failed');
        expect(await queue.cancel('done')).toBe('already-finished');
        expect(await queue.cancel('bad')).toBe('already-finished');
        expect(await queue.cancel('nobody')).toBe('not-found');
        expect(await stateOf(queue, 'done')).toBe('completed');
      });
    });

    describe('retry', () => {
      it('puts failed and canceled jobs back with fresh attempts, under the same id', async () => {
        const queue = await setup();
        const gate = gates();
        const runs = new Map<string, number[]>();
        let failFirst = true;
        queue.work(async (job) => {
          runs.set(job.id, [...(runs.get(job.id) ?? []), job.attempt]);
          if (job.id === 'broken' && failFirst) throw new Error('broken once');
          if (job.id === 'held') await gate.wait('held');
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'broken', attempts: 2 });
        await untilState(queue, 'broken', 'failed');
        await queue.add({ n: 2 }, { jobId: 'held' });
        await untilState(queue, 'held', 'active');
        await queue.add({ n: 3 }, { jobId: 'dropped' });
        expect(await queue.cancel('dropped')).toBe('canceled');
        failFirst = false;
        expect(await queue.retry('broken')).toBe('retried');
        expect(await queue.retry('dropped')).toBe('retried');
        expect(await queue.get('broken')).toMatchObject({ state: 'waiting', attempts: 0 });
        expect((await queue.get('broken'))?.error).toBeUndefined();
        expect(await queue.retry('held')).toBe('not-failed');
        expect(await queue.retry('nobody')).toBe('not-found');
        gate.open('held');
        await untilState(queue, 'broken', 'completed');
        await untilState(queue, 'dropped', 'completed');
        expect(runs.get('broken')).toEqual([1, 1]);
        expect(runs.get('dropped')).toEqual([1]);
        expect(await queue.retry('broken')).toBe('not-failed');
        expect(await queue.counts()).toMatchObject({ failed: 0, canceled: 0, completed: 3 });
      });
    });

    describe('inspection', () => {
      it('counts jobs in every state', async () => {
        const queue = await setup();
        const gate = gates();
        queue.work(async (job) => {
          if (job.data.n === 2) throw new Error('bad');
          if (job.data.n === 3) await gate.wait('busy');
        }, { concurrency: 1 });
        expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 });
        await queue.add({ n: 1 }, { jobId: 'done' });
        await queue.add({ n: 2 }, { jobId: 'bad' });
        await queue.add({ n: 3 }, { jobId: 'busy' });
        await untilState(queue, 'busy', 'active');
        await queue.add({ n: 4 }, { jobId: 'w1' });
        await queue.add({ n: 5 }, { jobId: 'w2' });
        await queue.add({ n: 6 }, { jobId: 'later', delayMs: 60_000 });
        await queue.add({ n: 7 }, { jobId: 'gone' });
        await queue.cancel('gone');
        expect(await queue.counts()).toEqual({ waiting: 2, delayed: 1, active: 1, completed: 1, failed: 1, canceled: 1 });
        gate.open('busy');
      });

      it('gives positions in claim order, 0 when active, null otherwise', async () => {
        const queue = await setup();
        const gate = gates();
        queue.work((job) => gate.wait(job.id), { concurrency: 1 });
        await queue.add({ n: 0 }, { jobId: 'a' });
        await untilState(queue, 'a', 'active');
        for (const id of ['b', 'c', 'd']) await queue.add({ n: 1 }, { jobId: id });
        await queue.add({ n: 2 }, { jobId: 'e', delayMs: 60_000 });
        expect(await queue.position('a')).toBe(0);
        expect([await queue.position('b'), await queue.position('c'), await queue.position('d')]).toEqual([1, 2, 3]);
        expect(await queue.position('e')).toBeNull();
        expect(await queue.position('unknown')).toBeNull();
        await queue.cancel('b');
        expect(await queue.position('b')).toBeNull();
        expect([await queue.position('c'), await queue.position('d')]).toEqual([1, 2]);
        gate.open('a');
        await untilState(queue, 'c', 'active');
        expect(await queue.position('a')).toBeNull();
        expect([await queue.position('c'), await queue.position('d')]).toEqual([0, 1]);
        gate.open('c');
        gate.open('d');
      });

      it('places a job: added as add adds it, with its place in line in the same answer', async () => {
        const queue = await setup({ maxActivePerGroup: 1 });
        expect(await queue.place({ n: 1 }, { jobId: 'p1' })).toEqual({ id: 'p1', created: true, position: 1 });
        expect(await queue.place({ n: 2 }, { jobId: 'p2', group: 'alice' })).toEqual({ id: 'p2', created: true, position: 2 });
        // The id is the idempotency key: the job keeps its data and its place.
        expect(await queue.place({ n: 9 }, { jobId: 'p1' })).toEqual({ id: 'p1', created: false, position: 1 });
        expect((await queue.get('p1'))?.data).toEqual({ n: 1 });
        expect(await queue.place({ n: 3 }, { jobId: 'later', delayMs: 60_000 })).toEqual({ id: 'later', created: true, position: null });
        await queue.cancel('p2');
        expect(await queue.place({ n: 2 }, { jobId: 'p2' })).toEqual({ id: 'p2', created: false, position: null });
        expect(await queue.place({ n: 4 }, { jobId: 'p3' })).toMatchObject({ created: true, position: 2 });
        expect(await queue.counts()).toMatchObject({ waiting: 2, delayed: 1, canceled: 1 });
      });

      it('stops delivering events to an unsubscribed listener', async () => {
        const queue = await setup();
        const seen: string[] = [];
        const off = queue.on('completed', (event) => seen.push(event.jobId));
        queue.work(async () => undefined, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'one' });
        await waitFor('first event', () => seen.length === 1);
        off();
        await queue.add({ n: 2 }, { jobId: 'two' });
        await untilState(queue, 'two', 'completed');
        await sleep(50);
        expect(seen).toEqual(['one']);
      });
    });

    describe('workers', () => {
      it('pauses claiming without stopping the running job, and resumes', async () => {
        const queue = await setup();
        const gate = gates();
        const ran: string[] = [];
        const worker = queue.work(async (job) => {
          ran.push(job.id);
          await gate.wait(job.id);
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'first' });
        await untilState(queue, 'first', 'active');
        worker.pause();
        expect(worker.paused).toBe(true);
        await queue.add({ n: 2 }, { jobId: 'second' });
        gate.open('first');
        await untilState(queue, 'first', 'completed');
        await sleep(700);
        expect(await stateOf(queue, 'second')).toBe('waiting');
        expect(ran).toEqual(['first']);
        expect(worker.running).toBe(0);
        worker.resume();
        expect(worker.paused).toBe(false);
        gate.open('second');
        await untilState(queue, 'second', 'completed');
      });

      it('close({ release: true }) hands the running job back at once, without spending the attempt', async () => {
        const queue = await setup();
        const seen: Array<[string, number]> = [];
        let finishFirst: () => void = () => undefined;
        let firstSignal: AbortSignal | undefined;
        const first = queue.work(async (job) => {
          seen.push(['first', job.attempt]);
          firstSignal = job.signal;
          // Ignores the abort: release must not wait for the handler.
          await new Promise<void>((resolve) => (finishFirst = resolve));
        }, { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'handed-back', attempts: 3 });
        await untilState(queue, 'handed-back', 'active');
        const closing = Date.now();
        await first.close({ release: true });
        expect(Date.now() - closing).toBeLessThan(LEASE_MS / 2);
        expect(firstSignal?.aborted).toBe(true);
        expect(await queue.get('handed-back')).toMatchObject({ state: 'waiting', attempts: 0 });
        queue.work(async (job) => void seen.push(['second', job.attempt]), { concurrency: 1 });
        await untilState(queue, 'handed-back', 'completed');
        // The first handler ending late must not change the outcome.
        finishFirst();
        await sleep(200);
        expect(seen).toEqual([['first', 1], ['second', 1]]);
        expect(await queue.get('handed-back')).toMatchObject({ state: 'completed', attempts: 1 });
      });

      it('close() without release waits for running jobs and claims no more', async () => {
        const queue = await setup();
        const worker = queue.work(() => sleep(300), { concurrency: 1 });
        await queue.add({ n: 1 }, { jobId: 'running' });
        await queue.add({ n: 2 }, { jobId: 'next' });
        await untilState(queue, 'running', 'active');
        await worker.close();
        expect(await stateOf(queue, 'running')).toBe('completed');
        expect(worker.running).toBe(0);
        await sleep(400);
        expect(await stateOf(queue, 'next')).toBe('waiting');
      });

      it('with maxActivePerGroup=1, another group goes ahead of a burst', async () => {
        const queue = await setup({ maxActivePerGroup: 1 });
        for (let n = 1; n <= 5; n += 1) await queue.add({ n }, { jobId: `a${n}`, group: 'A' });
        await queue.add({ n: 6 }, { jobId: 'b1', group: 'B' });
        const starts: string[] = [];
        const active = { A: 0, B: 0 };
        let maxA = 0;
        queue.work(async (job) => {
          const group = job.id.startsWith('a') ? 'A' : 'B';
          starts.push(job.id);
          active[group] += 1;
          maxA = Math.max(maxA, active.A);
          await sleep(150);
          active[group] -= 1;
        }, { concurrency: 2 });
        await waitFor('all completed', async () => (await queue.counts()).completed === 6);
        expect(starts.slice(0, 2).sort()).toEqual(['a1', 'b1']);
        expect(starts.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
        expect(maxA).toBe(1);
      });

      it('runs each of 100 jobs exactly once across 2 workers', async () => {
        const queue = await setup();
        const runs = new Map<string, number>();
        const byWorker = new Map<string, number>();
        const handler = (workerId: string) => async (job: Job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          byWorker.set(workerId, (byWorker.get(workerId) ?? 0) + 1);
          await sleep(job.data.n % 7);
        };
        queue.work(handler('w1'), { concurrency: 4, workerId: 'w1' });
        queue.work(handler('w2'), { concurrency: 4, workerId: 'w2' });
        for (let n = 0; n < 100; n += 1) await queue.add({ n }, { jobId: `many-${n}` });
        await waitFor('100 completed', async () => (await queue.counts()).completed === 100, 30_000);
        expect(runs.size).toBe(100);
        expect([...runs.values()].every((count) => count === 1)).toBe(true);
        expect(byWorker.get('w1')).toBeGreaterThan(0);
        expect(byWorker.get('w2')).toBeGreaterThan(0);
        expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, completed: 100, failed: 0 });
      });
    });
  });
};
