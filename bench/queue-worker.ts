/** A worker process for bench/queue.ts: vidbot's BullMQ adapter, jobs that take a fixed time. */
import { Redis } from 'ioredis';
import { createBullmqQueue } from '../src/lib/queue/bullmq/index.ts';

const [url = '', name = '', jobMs = '250'] = process.argv.slice(2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const queue = createBullmqQueue<{ n: number }>({ connection, name, prefix: 'bench' });
queue.work(() => new Promise((resolve) => setTimeout(resolve, Number(jobMs))), { concurrency });
process.send?.('ready');
process.on('SIGTERM', () => {
  void queue.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
