/**
 * npm run bench:queue — job throughput, in one run:
 * 1. no-op jobs through raw BullMQ, through vidbot's BullMQ adapter, and through the embedded SQLite
 *    queue (the ratio shows what the adapter's cancel checks, fairness and events cost);
 * 2. jobs that take a fixed time, with 1 and then 2 worker processes on the BullMQ adapter;
 * 3. the embedded queue's claim search behind one busy sender's backlog (bench/queue-claim.ts).
 * It starts its own redis-server (REDIS_SERVER_BIN, default redis-server) on a free port.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { createBullmqQueue } from '../src/lib/queue/bullmq/index.ts';
import type { JobQueue } from '../src/lib/queue/port.ts';
import { createSqliteQueue } from '../src/lib/queue/sqlite/index.ts';
import { claimTable } from './queue-claim.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TIMED_JOBS = Number(process.env.BENCH_TIMED_JOBS ?? 80);
const JOB_MS = Number(process.env.BENCH_JOB_MS ?? 250);
const workerScript = new URL('./queue-worker.ts', import.meta.url).pathname;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const until = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
};

const rate = (jobs: number, ms: number) => Math.round((jobs / ms) * 1000);

const rawBullmq = async (url: string): Promise<number> => {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix: 'bench' });
  await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'job', data: { n }, opts: { jobId: `raw-${n}` } })));
  let done = 0;
  const started = performance.now();
  const worker = new Worker('raw', async () => {}, { connection, prefix: 'bench', concurrency: CONCURRENCY });
  worker.on('completed', () => void (done += 1));
  await until(async () => done >= JOBS);
  const ms = performance.now() - started;
  await worker.close();
  await queue.close();
  connection.disconnect();
  return ms;
};

/** Adds every job first, then times the worker alone: the same measure as rawBullmq. */
const throughPort = async (queue: JobQueue<{ n: number }>): Promise<number> => {
  for (let n = 0; n < JOBS; n += 1) await queue.add({ n }, { jobId: `job-${n}` });
  let done = 0;
  queue.on('completed', () => void (done += 1));
  const started = performance.now();
  queue.work(async () => {}, { concurrency: CONCURRENCY });
  // Counted from the queue's own events, as rawBullmq counts BullMQ's, without polling Redis.
  await until(async () => done >= JOBS);
  const ms = performance.now() - started;
  await queue.close();
  return ms;
};

/** Worker processes on the vidbot adapter whose jobs each take JOB_MS; returns the wall time. */
const timedRun = async (url: string, processes: number, name: string): Promise<number> => {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = createBullmqQueue<{ n: number }>({ connection, name, prefix: 'bench' });
  const children = Array.from({ length: processes }, () =>
    fork(workerScript, [url, name, String(JOB_MS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const started = performance.now();
  for (let n = 0; n < TIMED_JOBS; n += 1) await queue.add({ n }, { jobId: `t-${n}` });
  await until(async () => (await queue.counts()).completed >= TIMED_JOBS);
  const ms = performance.now() - started;
  for (const child of children) child.kill('SIGTERM');
  await queue.close();
  connection.disconnect();
  return ms;
};

const main = async () => {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-bench-queue-'));
  const redisServer = execa(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    reject: false,
  });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const raw = await rawBullmq(url);
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const adapter = await throughPort(createBullmqQueue({ connection, name: 'adapter', prefix: 'bench' }));
    connection.disconnect();
    const embedded = await throughPort(createSqliteQueue({ file: join(dir, 'bench.db') }));
    const one = await timedRun(url, 1, 'timed-1');
    const two = await timedRun(url, 2, 'timed-2');

    console.log(`\nNo-op jobs: ${JOBS}, worker concurrency ${CONCURRENCY}, Node ${process.version}\n`);
    console.log('| queue | jobs/s | ms | vs raw BullMQ |');
    console.log('|---|---|---|---|');
    console.log(`| raw BullMQ (no-op processor) | ${rate(JOBS, raw)} | ${Math.round(raw)} | 1.00 |`);
    console.log(`| vidbot BullMQ adapter | ${rate(JOBS, adapter)} | ${Math.round(adapter)} | ${(raw / adapter).toFixed(2)} |`);
    console.log(`| vidbot embedded SQLite queue | ${rate(JOBS, embedded)} | ${Math.round(embedded)} | ${(raw / embedded).toFixed(2)} |`);
    console.log(`\nJobs of ${JOB_MS} ms: ${TIMED_JOBS}, concurrency ${CONCURRENCY} per worker process\n`);
    console.log('| worker processes | jobs/s | wall ms | speed-up |');
    console.log('|---|---|---|---|');
    console.log(`| 1 | ${rate(TIMED_JOBS, one)} | ${Math.round(one)} | 1.00 |`);
    console.log(`| 2 | ${rate(TIMED_JOBS, two)} | ${Math.round(two)} | ${(one / two).toFixed(2)} |`);
    for (const line of claimTable(dir)) console.log(line);
  } finally {
    redisServer.kill('SIGTERM');
    await redisServer;
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
