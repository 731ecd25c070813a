import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isVidbotError, vidbotError } from '../../src/lib/errors.ts';
import { createSqliteQueue, type JobQueue, type QueueEventMap, type QueueEventName, type SqliteQueueOptions } from '../../src/lib/queue/index.ts';
import { backoffDelay } from '../../src/lib/queue/backoff.ts';
import { CLAIM_SEARCHES } from '../../src/lib/queue/sqlite/lease.ts';
import { QUEUE_SCHEMA_VERSION } from '../../src/lib/queue/sqlite/schema.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';
import { queueContract } from '../contract/queue.contract.ts';

type Data = { n: number };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
};

const record = <K extends QueueEventName>(queue: JobQueue<Data>, event: K): Array<QueueEventMap[K]> => {
  const seen: Array<QueueEventMap[K]> = [];
  queue.on(event, (payload) => seen.push(payload));
  return seen;
};

queueContract('sqlite', async ({ leaseMs, backoffBaseMs, maxActivePerGroup }) => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-queue-'));
  const queue = createSqliteQueue<Data>({
    file: join(dir, 'vidbot.db'),
    leaseMs,
    backoff: { baseMs: backoffBaseMs },
    ...(maxActivePerGroup === undefined ? {} : { maxActivePerGroup }),
  });
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite queue specifics', () => {
  const dirs: string[] = [];
  const queues: Array<JobQueue<Data>> = [];
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const tempFile = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-queue-'));
    dirs.push(dir);
    return join(dir, 'vidbot.db');
  };
  const open = (options: SqliteQueueOptions): JobQueue<Data> => {
    const queue = createSqliteQueue<Data>(options);
    queues.push(queue);
    return queue;
  };

  /** Puts a job in the state a worker that died mid-attempt leaves behind. */
  const insertAbandoned = (file: string, id: string, fields: { attempts: number; maxAttempts: number; cancelRequested?: boolean }) => {
    const db = openDatabase(file);
    const now = Date.now();
    db.prepare(
      `INSERT INTO queue_jobs (queue, id, data, state, attempts, max_attempts, run_at, created_at, started_at, lease_until, lease_token, worker_id, cancel_requested)
       VALUES ('default', ?, '{"n":1}', 'active', ?, ?, ?, ?, ?, ?, 'dead-token', 'dead-worker', ?)`,
    ).run(id, fields.attempts, fields.maxAttempts, now - 5000, now - 5000, now - 5000, now - 1, fields.cancelRequested ? 1 : 0);
    db.close();
  };

  it('two connections on one file with two workers run each of 50 jobs exactly once', async () => {
    const file = await tempFile();
    const first = open({ file, pollMs: 50 });
    const second = open({ file, pollMs: 50 });
    const runs = new Map<string, number>();
    const byQueue = [0, 0];
    const handler = (index: number) => async (job: { id: string; data: Data }) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      byQueue[index] = (byQueue[index] ?? 0) + 1;
      await sleep(job.data.n % 5);
    };
    first.work(handler(0), { concurrency: 2 });
    second.work(handler(1), { concurrency: 2 });
    for (let n = 0; n < 50; n += 1) await (n % 2 === 0 ? first : second).add({ n }, { jobId: `j${n}` });
    await waitFor('50 completed', async () => (await first.counts()).completed === 50, 30_000);
    expect(runs.size).toBe(50);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(byQueue[0]).toBeGreaterThan(0);
    expect(byQueue[1]).toBeGreaterThan(0);
  });

  it('takes back a job whose worker died, counting the dead attempt', async () => {
    const file = await tempFile();
    const queue = open({ file, leaseMs: 1000 });
    const stalled = record(queue, 'stalled');
    insertAbandoned(file, 'orphan', { attempts: 1, maxAttempts: 3 });
    const attempts: number[] = [];
    queue.work(async (job) => void attempts.push(job.attempt), { concurrency: 1 });
    await waitFor('completed', async () => (await queue.get('orphan'))?.state === 'completed');
    expect(attempts).toEqual([2]);
    expect(stalled).toEqual([{ jobId: 'orphan' }]);
    expect(await queue.get('orphan')).toMatchObject({ attempts: 2, workerId: expect.not.stringMatching('dead-worker') });
  });

  it('fails a stalled job that has no attempts left, with a clear error', async () => {
    const file = await tempFile();
    const queue = open({ file });
    const failed = record(queue, 'failed');
    const stalled = record(queue, 'stalled');
    insertAbandoned(file, 'doomed', { attempts: 2, maxAttempts: 2 });
    insertAbandoned(file, 'unwanted', { attempts: 1, maxAttempts: 3, cancelRequested: true });
    let runs = 0;
    queue.work(async () => void (runs += 1), { concurrency: 1 });
    await waitFor('failed', async () => (await queue.get('doomed'))?.state === 'failed');
    await waitFor('canceled', async () => (await queue.get('unwanted'))?.state === 'canceled');
    const info = await queue.get('doomed');
    expect(info?.error).toMatch(/worker died 1 time/);
    expect(info?.attempts).toBe(2);
    expect(failed.map((e) => e.jobId)).toEqual(['doomed']);
    expect(stalled.map((e) => e.jobId).sort()).toEqual(['doomed', 'unwanted']);
    expect(runs).toBe(0);
  });

  it('a worker whose lease was taken over cannot overwrite the new attempt', async () => {
    const file = await tempFile();
    // A long lease: the slow worker's first heartbeat comes only after a second.
    const slow = open({ file, leaseMs: 6000 });
    // A clock ahead of the lease: this connection sees the slow worker's leases as expired.
    const fast = open({ file, leaseMs: 6000, now: () => Date.now() + 60_000 });
    const slowEvents = [record(slow, 'completed'), record(slow, 'failed'), record(slow, 'retrying')];
    const fastStalled = record(fast, 'stalled');
    const finish = new Map<string, () => void>();
    const signals = new Map<string, AbortSignal>();
    slow.work(async (job) => {
      signals.set(job.id, job.signal);
      await new Promise<void>((resolve) => finish.set(job.id, resolve));
      if (job.id === 'fails-late') throw vidbotError('VIDBOT_PROVIDER_FAILED', 'late failure');
    }, { concurrency: 3, workerId: 'slow' });
    const ids = ['completes-late', 'fails-late', 'waits-for-heartbeat'];
    for (const [n, id] of ids.entries()) await slow.add({ n }, { jobId: id });
    await waitFor('slow active', async () => (await slow.counts()).active === 3);
    fast.work(async () => undefined, { concurrency: 3, workerId: 'fast' });
    await waitFor('fast completed', async () => (await fast.counts()).completed === 3);
    expect(fastStalled.map((e) => e.jobId).sort()).toEqual([...ids].sort());
    // Before any heartbeat: only the lease token in the database stops these late outcomes.
    finish.get('completes-late')?.();
    finish.get('fails-late')?.();
    // The last one learns at its next heartbeat that the job is no longer its own.
    await waitFor('slow aborted', () => signals.get('waits-for-heartbeat')?.aborted === true, 3000);
    finish.get('waits-for-heartbeat')?.();
    await sleep(100);
    for (const id of ids) expect(await slow.get(id)).toMatchObject({ state: 'completed', attempts: 2, workerId: 'fast' });
    expect(slowEvents.flat()).toEqual([]);
  });

  it('heartbeats keep a long job leased: no other worker takes it', async () => {
    const file = await tempFile();
    const first = open({ file, leaseMs: 300, pollMs: 50 });
    const second = open({ file, leaseMs: 300, pollMs: 50 });
    const stalled = [...[first, second].map((queue) => record(queue, 'stalled'))];
    let runs = 0;
    const handler = async () => {
      runs += 1;
      await sleep(1500);
    };
    first.work(handler, { concurrency: 1 });
    await first.add({ n: 1 }, { jobId: 'long' });
    await waitFor('active', async () => (await first.get('long'))?.state === 'active');
    second.work(handler, { concurrency: 1 });
    await waitFor('completed', async () => (await first.get('long'))?.state === 'completed');
    expect(runs).toBe(1);
    expect(stalled.flat()).toEqual([]);
    expect((await first.get('long'))?.attempts).toBe(1);
  });

  it('a cancel from another connection aborts the job within about a second', async () => {
    const file = await tempFile();
    const owner = open({ file, leaseMs: 6000 });
    const other = open({ file });
    let abortedAt = 0;
    owner.work(async (job) => {
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      abortedAt = Date.now();
    }, { concurrency: 1 });
    await owner.add({ n: 1 }, { jobId: 'remote' });
    await waitFor('active', async () => (await other.get('remote'))?.state === 'active');
    const requestedAt = Date.now();
    expect(await other.cancel('remote')).toBe('cancel-requested');
    await waitFor('canceled', async () => (await other.get('remote'))?.state === 'canceled', 3000);
    expect(abortedAt - requestedAt).toBeLessThan(1300);
  });

  it('queue.close() releases running jobs, is idempotent, and rejects later calls', async () => {
    const file = await tempFile();
    const closing = createSqliteQueue<Data>({ file });
    const observer = open({ file });
    closing.work((job) => new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true })), {
      concurrency: 1,
    });
    await closing.add({ n: 1 }, { jobId: 'held' });
    await waitFor('active', async () => (await observer.get('held'))?.state === 'active');
    await Promise.all([closing.close(), closing.close()]);
    await closing.close();
    expect(await observer.get('held')).toMatchObject({ state: 'waiting', attempts: 0 });
    const error = await closing.add({ n: 2 }, { jobId: 'late' }).catch((caught: unknown) => caught);
    expect(isVidbotError(error)).toBe(true);
  });

  it('keeps named queues apart and versions its schema next to other tables', async () => {
    const file = await tempFile();
    const db = openDatabase(file);
    db.exec('CREATE TABLE tasks (task_id TEXT PRIMARY KEY)');
    db.close();
    const main = open({ file });
    const other = open({ file, name: 'other' });
    await main.add({ n: 1 }, { jobId: 'shared-id' });
    expect((await other.add({ n: 2 }, { jobId: 'shared-id' })).created).toBe(true);
    expect((await other.get('shared-id'))?.data).toEqual({ n: 2 });
    expect((await main.counts()).waiting).toBe(1);
    open({ file });
    const check = openDatabase(file);
    const row = check.prepare("SELECT value FROM queue_meta WHERE key = 'schema_version'").get() as { value: string };
    expect(Number(row.value)).toBe(QUEUE_SCHEMA_VERSION);
    check.prepare("UPDATE queue_meta SET value = ? WHERE key = 'schema_version'").run(String(QUEUE_SCHEMA_VERSION + 1));
    check.close();
    expect(() => createSqliteQueue({ file })).toThrow(/newer than this vidbot knows/);
  });

  it('places every job of a long line as a claim would take it, from the kept counts', async () => {
    const file = await tempFile();
    let clock = 1_000;
    const queue = open({ file, now: () => clock });
    for (let n = 0; n < 150; n += 1) await queue.add({ n }, { jobId: `j${n}` });
    await queue.add({ n: -1 }, { jobId: 'soon', delayMs: 10 });
    await queue.add({ n: -2 }, { jobId: 'much-later', delayMs: 60_000 });
    clock = 1_100;
    for (let n = 150; n < 200; n += 1) await queue.add({ n }, { jobId: `j${n}` });
    for (const id of ['j3', 'j80', 'j170']) await queue.cancel(id);
    // The order a claim takes them in, worked out from the rows themselves.
    const db = openDatabase(file);
    const line = (
      db
        .prepare(
          `SELECT id FROM queue_jobs WHERE queue = 'default' AND (state = 'waiting' OR (state = 'delayed' AND run_at <= ?)) ORDER BY run_at, seq`,
        )
        .all(clock) as Array<{ id: string }>
    ).map((row) => row.id);
    const byState = db.prepare("SELECT state, COUNT(*) AS n FROM queue_jobs WHERE queue = 'default' GROUP BY state").all() as Array<{ state: string; n: number }>;
    db.close();
    expect(line).toHaveLength(198);
    expect(line.indexOf('soon')).toBe(148);
    for (const [index, id] of line.entries()) expect(await queue.position(id), id).toBe(index + 1);
    expect(await queue.position('much-later')).toBeNull();
    expect(await queue.position('j80')).toBeNull();
    const counts = await queue.counts();
    for (const { state, n } of byState) expect(counts[state as keyof typeof counts]).toBe(n);
  });

  it('counts the jobs of a file written before the counts were kept', async () => {
    const file = await tempFile();
    const first = open({ file });
    for (let n = 0; n < 5; n += 1) await first.add({ n }, { jobId: `j${n}` });
    await first.cancel('j0');
    await first.close();
    // The file as version 1 left it: no counts table, no triggers.
    const db = openDatabase(file);
    db.exec(`DROP TRIGGER queue_jobs_count_insert; DROP TRIGGER queue_jobs_count_update; DROP TRIGGER queue_jobs_count_delete;
      DROP TABLE queue_state_counts; DROP INDEX queue_jobs_active_group; CREATE INDEX queue_jobs_group ON queue_jobs (queue, grp, state);
      UPDATE queue_meta SET value = '1' WHERE key = 'schema_version'`);
    db.close();
    const reopened = open({ file });
    expect(await reopened.counts()).toMatchObject({ waiting: 4, canceled: 1 });
    await reopened.add({ n: 5 }, { jobId: 'j5' });
    expect(await reopened.position('j5')).toBe(5);
    // And the group index of version 1 became the index of active jobs alone.
    const upgraded = openDatabase(file);
    const indexes = (upgraded.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'queue_jobs'").all() as Array<{ name: string; sql: string | null }>).map((row) => row.name);
    upgraded.close();
    expect(indexes).toContain('queue_jobs_active_group');
    expect(indexes).not.toContain('queue_jobs_group');
  });

  it('claims by walking the claim index in line order, whatever the history of finished jobs', async () => {
    const file = await tempFile();
    open({ file });
    const db = openDatabase(file);
    // A long history, so the planner cannot prefer a scan for the table's smallness.
    db.exec('BEGIN');
    const insert = db.prepare(`INSERT INTO queue_jobs (queue, id, data, state, grp, max_attempts, run_at, created_at) VALUES ('default', ?, '{}', ?, ?, 3, ?, ?)`);
    for (let n = 0; n < 2_000; n += 1) insert.run(`done-${n}`, 'completed', `g${n % 50}`, n, n);
    insert.run('next', 'waiting', 'g1', 5_000, 5_000);
    db.exec('COMMIT; ANALYZE');
    const plans = CLAIM_SEARCHES.map((sql) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ queue: 'default', now: 9_000, maxGroup: 1 }) as Array<{ detail: string }>).map((row) => row.detail).join('\n'),
    );
    db.close();
    for (const plan of plans) {
      expect(plan).toMatch(/SEARCH j USING INDEX queue_jobs_claim \(queue=\? AND state=\?/);
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN j/);
      // The groups at their limit are listed once per search, not counted again for each job walked past.
      expect(plan).toMatch(/LIST SUBQUERY/);
      expect(plan).not.toMatch(/CORRELATED/);
    }
    const queue = open({ file });
    const claimed = await new Promise<string>((resolve) => queue.work(async (job) => resolve(job.id), { concurrency: 1 }));
    expect(claimed).toBe('next');
  });

  it('forgets finished jobs past their retention as BullMQ does: done after 7 days, failed or canceled after 30', async () => {
    const file = await tempFile();
    const DAY = 24 * 3600 * 1000;
    const clock = 100 * DAY;
    open({ file });
    const db = openDatabase(file);
    db.exec('BEGIN');
    const insert = db.prepare(`INSERT INTO queue_jobs (queue, id, data, state, max_attempts, run_at, created_at, finished_at) VALUES ('default', ?, '{}', ?, 3, ?, ?, ?)`);
    const finished = (id: string, state: string, daysAgo: number) => insert.run(id, state, clock - daysAgo * DAY - 1000, clock - daysAgo * DAY - 1000, clock - daysAgo * DAY);
    // More than one batch of old ones, as a file that ran for years before this was kept would have.
    for (let n = 0; n < 1_200; n += 1) finished(`old-${n}`, 'completed', 8);
    finished('done-yesterday', 'completed', 1);
    finished('failed-long-ago', 'failed', 31);
    finished('failed-last-week', 'failed', 8);
    finished('canceled-long-ago', 'canceled', 40);
    // A job not finished stays, however long ago it started (an active one, under a lease).
    insert.run('running-long', 'active', clock - 40 * DAY, clock - 40 * DAY, null);
    db.exec('COMMIT');
    db.close();
    const queue = open({ file, pollMs: 20, now: () => clock });
    queue.work(async () => undefined, { concurrency: 1 });
    await waitFor('old jobs forgotten', async () => (await queue.counts()).completed === 1);
    expect(await queue.counts()).toMatchObject({ completed: 1, failed: 1, canceled: 0 });
    expect(await queue.get('done-yesterday')).not.toBeNull();
    expect(await queue.get('failed-last-week')).not.toBeNull();
    expect(await queue.get('failed-long-ago')).toBeNull();
    expect(await queue.get('old-0')).toBeNull();
    expect(await queue.get('running-long')).toMatchObject({ state: 'active' });
  });

  it('keeps an index of active jobs alone per group, which a claim uses and adding a job does not touch', async () => {
    const file = await tempFile();
    open({ file });
    const db = openDatabase(file);
    const index = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'queue_jobs_active_group'").get() as { sql: string };
    const plan = (
      db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM queue_jobs AS a WHERE a.queue = 'default' AND a.grp = 'g' AND a.state = 'active' AND a.lease_until > 0",
        )
        .all() as Array<{ detail: string }>
    ).map((row) => row.detail);
    db.close();
    expect(index.sql).toMatch(/WHERE state = 'active'$/);
    expect(plan.join('\n')).toContain('USING INDEX queue_jobs_active_group');
  });

  it('rejects invalid options and job options', async () => {
    const file = await tempFile();
    expect(() => createSqliteQueue({ file, leaseMs: 0 })).toThrow(/leaseMs/);
    const queue = open({ file });
    await expect(queue.add({ n: 1 }, { jobId: '' })).rejects.toThrow(/jobId/);
    await expect(queue.add({ n: 1 }, { jobId: 'a', attempts: 0 })).rejects.toThrow(/attempts/);
    expect(() => queue.work(async () => undefined, { concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe('backoffDelay', () => {
  const options = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 };
  it('doubles per attempt from the base, capped at the maximum', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options, middle))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(20, options, middle)).toBe(60_000);
  });
  it('spreads delays by ± jitter', () => {
    expect(backoffDelay(2, options, () => 0)).toBe(1600);
    expect(backoffDelay(2, options, () => 1)).toBe(2400);
    expect(backoffDelay(1, { ...options, jitter: 0 }, Math.random)).toBe(1000);
  });
});
