/**
 * npm run bench:ingest — what a typed prompt costs through the bot and the SQLite store, without
 * HTTP: CPU per message (every thread's) when 1, 4 and 20 messages arrive together (and so share a
 * journal write, and the rows of those a commit), beside
 * an empty transaction per message as the baseline of the same run. It is the part of the webhook
 * benchmark that the store owns; figures, not a pass/fail test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createBot } from '../src/lib/bot/create-bot.ts';
import type { InboundMessage } from '../src/lib/channel/port.ts';
import { loadConfig } from '../src/lib/config/index.ts';
import { createVidbot } from '../src/lib/create-vidbot.ts';
import { messageSidOf, senderOf } from './traffic.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 6000);
const BATCHES = (process.env.BENCH_BATCHES ?? '1,4,20').split(',').map(Number);

let sent = 0;
const message = (): InboundMessage => {
  sent += 1;
  return {
    channel: 'twilio',
    messageId: messageSidOf(sent),
    from: senderOf(sent),
    to: 'whatsapp:+14155238886',
    body: `a fox running through a neon city at night #${sent}`,
    media: [],
    fields: {},
  } as unknown as InboundMessage;
};

/** CPU of every thread per message, until the last message's rows are in the tables (`settled`). */
const cpuPer = async (count: number, batch: number, one: () => Promise<unknown>, settled: () => Promise<unknown>): Promise<number> => {
  const before = process.cpuUsage();
  for (let done = 0; done < count; done += batch) await Promise.all(Array.from({ length: batch }, one));
  await settled();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
};

const emptyTransactions = (file: string): number => {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const before = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i += 1) {
    db.exec('BEGIN IMMEDIATE');
    insert.run('x');
    db.exec('COMMIT');
  }
  const used = process.cpuUsage(before);
  db.close();
  return (used.user + used.system) / MESSAGES;
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-bench-ingest-'));
  try {
    const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dir, VIDBOT_RATE_LIMIT: '10000' }, cwd: dir, dotenv: false });
    const vidbot = await createVidbot(config);
    const bot = createBot({ vidbot });
    // Warm up the JIT and the statement cache before measuring.
    // Any call of the store waits for the ingest journal's units to be written into the tables.
    const settled = () => vidbot.store.countTasks();
    await cpuPer(1000, 20, () => bot.handleInbound(message()), settled);
    console.log(`\nA typed prompt through the bot and the SQLite store (no HTTP), Node ${process.version}, ${MESSAGES} messages each\n`);
    console.log('| messages arriving together | CPU per message |');
    console.log('|---|---|');
    console.log(`| baseline: one row in a transaction of its own | ${emptyTransactions(join(dir, 'baseline.db')).toFixed(0)} µs |`);
    for (const batch of BATCHES) {
      const cpu = await cpuPer(MESSAGES, batch, () => bot.handleInbound(message()), settled);
      console.log(`| ${batch} | ${cpu.toFixed(0)} µs |`);
    }
    await vidbot.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
