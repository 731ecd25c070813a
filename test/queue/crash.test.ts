/**
 * A real crash: a child node process takes a job, starts it, and is SIGKILLed mid-handler. The job
 * must come back after its lease, run once more to completion in this process, and its side
 * effect must exist exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createSqliteQueue, type JobQueue } from '../../src/lib/queue/index.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';

const LEASE_MS = 1500;
const moduleUrl = (path: string): string => pathToFileURL(fileURLToPath(new URL(path, import.meta.url))).href;
const queueModule = moduleUrl('../../src/lib/queue/index.ts');
const openModule = moduleUrl('../../src/lib/sqlite/open.ts');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
};

/** The job's handler: marks that it started, does slow work, then records its effect (idempotently). */
const childScript = `
import { writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteQueue } from ${JSON.stringify(queueModule)};

const [file, marker] = process.argv.slice(2);
const queue = createSqliteQueue({ file, leaseMs: ${LEASE_MS} });
queue.work(async (job) => {
  writeFileSync(marker, String(job.attempt));
  await new Promise((resolve) => setTimeout(resolve, 600_000));
  const db = new DatabaseSync(file);
  db.prepare('INSERT OR IGNORE INTO crash_effects (job_id, attempt, pid) VALUES (?, ?, ?)').run(job.id, job.attempt, process.pid);
  db.close();
}, { concurrency: 1, workerId: 'child' });
`;

/** A worker process that records every run (no unique key: a double run shows as two rows). */
const sharingScript = `
import { openDatabase } from ${JSON.stringify(openModule)};
import { createSqliteQueue } from ${JSON.stringify(queueModule)};
import { writeFileSync } from 'node:fs';

const [file, ready] = process.argv.slice(2);
const queue = createSqliteQueue({ file, pollMs: 20 });
const db = openDatabase(file);
const insert = db.prepare('INSERT INTO shared_runs (job_id, pid) VALUES (?, ?)');
queue.work(async (job) => {
  insert.run(job.id, process.pid);
  await new Promise((resolve) => setTimeout(resolve, job.data.n % 4));
}, { concurrency: 3 });
process.on('SIGTERM', () => void queue.close().then(() => process.exit(0)));
writeFileSync(ready, '');
`;

const children: ChildProcess[] = [];
let queue: JobQueue<{ n: number }> | undefined;
let dir: string | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await queue?.close();
  queue = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

it('re-runs the job of a SIGKILLed worker process once its lease expires, exactly once', async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-crash-'));
  const file = join(dir, 'vidbot.db');
  const marker = join(dir, 'started');
  const script = join(dir, 'child.mjs');
  await writeFile(script, childScript);

  queue = createSqliteQueue<{ n: number }>({ file, leaseMs: LEASE_MS, pollMs: 100 });
  const db = openDatabase(file);
  db.exec('CREATE TABLE crash_effects (job_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, pid INTEGER NOT NULL)');
  const stalled: string[] = [];
  queue.on('stalled', (event) => stalled.push(event.jobId));
  await queue.add({ n: 1 }, { jobId: 'crash-1', attempts: 3 });

  let stderr = '';
  const spawned = spawn(process.execPath, [script, file, marker], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(spawned);
  spawned.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => spawned.on('exit', (_code, signal) => resolve(signal)));
  await waitFor('the child to start the job', () => existsSync(marker) || spawned.exitCode !== null, 20_000);
  expect(existsSync(marker), `the child exited early: ${stderr}`).toBe(true);
  expect(await queue.get('crash-1')).toMatchObject({ state: 'active', attempts: 1, workerId: 'child' });

  // While the child lives, its heartbeats keep the job: a worker here must not take it.
  const attempts: number[] = [];
  let claimedAt = 0;
  queue.work(async (job) => {
    claimedAt = Date.now();
    attempts.push(job.attempt);
    db.prepare('INSERT OR IGNORE INTO crash_effects (job_id, attempt, pid) VALUES (?, ?, ?)').run(job.id, job.attempt, process.pid);
  }, { concurrency: 1, workerId: 'survivor' });
  await sleep(LEASE_MS + 500);
  expect(attempts).toEqual([]);
  expect((await queue.get('crash-1'))?.workerId).toBe('child');

  spawned.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const { lease_until: leaseUntil } = db.prepare("SELECT lease_until FROM queue_jobs WHERE id = 'crash-1'").get() as { lease_until: number };

  await waitFor('the job to complete here', async () => (await queue?.get('crash-1'))?.state === 'completed', 10_000);
  expect(attempts).toEqual([2]);
  expect(claimedAt).toBeGreaterThanOrEqual(leaseUntil);
  expect(stalled).toEqual(['crash-1']);
  expect(await queue.get('crash-1')).toMatchObject({ state: 'completed', attempts: 2, workerId: 'survivor' });
  const effects = db.prepare('SELECT job_id, attempt, pid FROM crash_effects').all();
  expect(effects).toEqual([{ job_id: 'crash-1', attempt: 2, pid: process.pid }]);
  db.close();
});

it('three worker processes share 150 jobs, each run exactly once', async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-share-'));
  const file = join(dir, 'vidbot.db');
  const script = join(dir, 'worker.mjs');
  await writeFile(script, sharingScript);
  queue = createSqliteQueue<{ n: number }>({ file });
  const db = openDatabase(file);
  db.exec('CREATE TABLE shared_runs (job_id TEXT NOT NULL, pid INTEGER NOT NULL)');

  const exits: Array<Promise<number | null>> = [];
  const readies: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const ready = join(dir, `ready-${i}`);
    readies.push(ready);
    const spawned = spawn(process.execPath, [script, file, ready], { stdio: 'ignore' });
    children.push(spawned);
    exits.push(new Promise((resolve) => spawned.on('exit', (code) => resolve(code))));
  }
  await waitFor('3 workers ready', () => readies.every((ready) => existsSync(ready)), 20_000);
  for (let n = 0; n < 150; n += 1) await queue.add({ n }, { jobId: `shared-${n}` });
  await waitFor('150 completed', async () => (await queue?.counts())?.completed === 150, 30_000);

  for (const child of children) child.kill('SIGTERM');
  expect(await Promise.all(exits)).toEqual([0, 0, 0]);
  const perJob = db.prepare('SELECT job_id, COUNT(*) AS runs FROM shared_runs GROUP BY job_id').all() as Array<{ runs: number }>;
  expect(perJob).toHaveLength(150);
  expect(perJob.every((row) => row.runs === 1)).toBe(true);
  const pids = db.prepare('SELECT DISTINCT pid FROM shared_runs').all();
  expect(pids.length).toBeGreaterThanOrEqual(2);
  db.close();
});
