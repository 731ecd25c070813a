/**
 * The ingest journal of the embedded store and queue (src/lib/ingest-journal), wired as vidbot
 * wires it, on real files: what a caller is told, what another process would find, and what
 * happens when the journal cannot be written, when its writer is held up, and as its files grow.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { execa } from 'execa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { type IngestJournalOptions, createIngestJournal, journalQueueOf, recoveredText, replayJournals } from '../../src/lib/ingest-journal/index.ts';
import { sharedJobsOf } from '../../src/lib/pick-adapters.ts';
import { createSqliteQueue } from '../../src/lib/queue/sqlite/index.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';
import type { InboundUnit } from '../../src/lib/store/inbound-unit.ts';
import { createSqliteStore } from '../../src/lib/store/index.ts';
import { MAX_BACKLOG } from '../../src/lib/store/sqlite/journal-turn.ts';
import { openJournalFiles } from '../../src/lib/ingest-journal/files.ts';
import { createJournalWriter } from '../../src/lib/ingest-journal/writer.ts';
import { repoRoot } from '../helpers/cli.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const open = async (journalOptions: Partial<IngestJournalOptions> = {}) => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-journal-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'vidbot.db');
  const db = openDatabase(file);
  const queue = createSqliteQueue<{ taskId: string }>({ db, maxActivePerGroup: 1 });
  const warnings: string[] = [];
  const journal = createIngestJournal({ file, db, queue: journalQueueOf(queue), onWarning: (message) => warnings.push(message), ...journalOptions });
  const store = createSqliteStore({
    db,
    file,
    jobs: sharedJobsOf(queue),
    journal,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await journal.close();
    await store.close();
    await queue.close();
    db.close();
  };
  cleanups.push(close);
  const journalFiles = async () => (await readdir(dir)).filter((name) => /^vidbot\.db-ingest-.*-\d+$/.test(name));
  return { dir, file, db, queue, journal, store, close, journalFiles, warnings };
};

let sequence = 0;
const unit = (n: number, messageId = `SM${String((sequence += 1)).padStart(32, '0')}`): InboundUnit => {
  const from = `whatsapp:+1555${String(n).padStart(7, '0')}`;
  return {
    messageId,
    from,
    sessionId: from,
    said: { text: `a kite over the dunes ${n}`, meta: { messageSid: messageId } },
    decide: () => ({
      task: { prompt: `a kite over the dunes ${n}`, from, sessionId: from, messageId, options: { provider: 'local', orientation: 'portrait', durationSec: 5, polish: false, useCache: true }, taskId: `task-${messageId}`, jobId: `task-${messageId}` },
      answer: ({ position }) => ({ text: `#${position ?? 0} in line` }),
    }),
  };
};

/** A connection of another process: it sees what was committed, nothing else. */
const committedTasks = (file: string): number => {
  const other = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((other.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n);
  } finally {
    other.close();
  }
};

describe('the ingest journal', () => {
  it('acknowledges with places in line counted across the journal and the tables, and every other call sees the units', async () => {
    const { store, queue, file } = await open();
    const first = await Promise.all([1, 2, 3].map((n) => store.ingest(unit(n))));
    expect(first.map((outcome) => outcome.position)).toEqual([1, 2, 3]);
    // The store's calls wait for the units acknowledged before them.
    expect(await store.countTasks()).toBe(3);
    expect(committedTasks(file)).toBe(3);
    expect((await queue.counts()).waiting).toBe(3);
    const later = await Promise.all([4, 5].map((n) => store.ingest(unit(n))));
    expect(later.map((outcome) => outcome.position)).toEqual([4, 5]);
    const session = await store.getSession(unit(4).from);
    expect(session?.messages.map((line) => [line.role, line.text])).toEqual([
      ['user', 'a kite over the dunes 4'],
      ['bot', '#4 in line'],
    ]);
  });

  it('answers a redelivery with the first delivery\'s claim, even before its rows are written, and writes nothing twice', async () => {
    const { store } = await open();
    const once = unit(7, 'SMredelivered');
    const [first, second, third] = await Promise.all([store.ingest(once), store.ingest(once), store.ingest(unit(7, 'SMredelivered'))]);
    expect(first?.claimed).toBe(true);
    expect([second?.claimed, third?.claimed]).toEqual([false, false]);
    expect(second?.claim).toEqual(first?.claim);
    expect(await store.countTasks()).toBe(1);
    const fourth = await store.ingest(once);
    expect(fourth).toMatchObject({ claimed: false, claim: { reply: '#1 in line', taskId: 'task-SMredelivered' } });
  });

  it('acknowledges nothing it could not write: a full disk fails the turn, and the message stays unclaimed', async () => {
    const id = `${process.pid.toString(36)}-full`;
    const { store, dir, file } = await open({ id });
    await symlink('/dev/full', join(dir, `vidbot.db-ingest-${id}-1`));
    const failed = await Promise.allSettled([store.ingest(unit(1, 'SMfull1')), store.ingest(unit(2, 'SMfull2'))]);
    for (const outcome of failed) {
      expect(outcome.status).toBe('rejected');
      const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
      expect(isVidbotError(reason, 'VIDBOT_STORE_FAILED'), String(reason)).toBe(true);
    }
    expect(await store.countTasks()).toBe(0);
    expect(committedTasks(file)).toBe(0);
    expect((await store.claimInbound({ messageId: 'SMfull1', from: unit(1).from })).claimed).toBe(true);
  });

  it('moves to a new file past its size and removes each once written; closing writes everything and removes the rest', async () => {
    const { store, journalFiles, close, file, dir } = await open({ fileBytes: 2_000 });
    for (let round = 0; round < 6; round += 1) await Promise.all([1, 2, 3].map((n) => store.ingest(unit(10 * round + n))));
    expect(await store.countTasks()).toBe(18);
    // Past the size each turn: every file but the one being written is gone once its units are.
    expect((await journalFiles()).length).toBeLessThanOrEqual(1);
    await Promise.all([1, 2].map((n) => store.ingest(unit(100 + n))));
    await close();
    expect(committedTasks(file)).toBe(20);
    expect((await readdir(dir)).filter((name) => name.includes('-ingest-'))).toEqual([]);
  });

  it('leaves a live journal to its process: another opening of the database does not replay it', async () => {
    const { store, db, file, journalFiles, queue } = await open();
    const blocker = new DatabaseSync(file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    await store.ingest(unit(1));
    expect(await journalFiles()).toHaveLength(1);
    blocker.exec('ROLLBACK');
    // As another process opening the file would: the journal is locked by its (living) writer.
    expect(replayJournals(db, file, queue.queueName)).toBe(0);
    expect(await journalFiles()).toHaveLength(1);
    expect(await store.countTasks()).toBe(1);
  });

  it(`holds new units back once ${MAX_BACKLOG} wait for the tables, and takes them when the writer catches up`, async () => {
    const { store, file } = await open();
    const blocker = new DatabaseSync(file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    const ahead = await Promise.all(Array.from({ length: MAX_BACKLOG + 1 }, (_, n) => store.ingest(unit(n))));
    expect(ahead).toHaveLength(MAX_BACKLOG + 1);
    let answered = false;
    const held = store.ingest(unit(MAX_BACKLOG + 5)).then((outcome) => {
      answered = true;
      return outcome;
    });
    // Turns of the event loop go by (the journal's writer stays locked out): the unit is not taken.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    blocker.exec('ROLLBACK');
    expect((await held).position).toBe(MAX_BACKLOG + 2);
    expect(await store.countTasks()).toBe(MAX_BACKLOG + 2);
  });

  it('writes on the main thread when its writer thread dies, what it had handed over and everything after', async () => {
    const { db, queue, file, dir } = await open();
    await mkdir(join(dir, 'not-a-file'));
    const warnings: string[] = [];
    const written: number[] = [];
    // The thread cannot open this database (a folder where the file would be): it dies at once.
    const writer = createJournalWriter({
      file: join(dir, 'not-a-file'),
      journal: 'main-thread',
      queue: queue.queueName,
      db,
      onWritten: (units) => written.push(units),
      onWarning: (message) => warnings.push(message),
    });
    const line = (seq: number, n: number) => {
      const decided = unit(n);
      const task = { ...decided.decide().task, status: 'queued', attempts: 0, createdAt: 1, updatedAt: 1 } as const;
      return `${JSON.stringify({ seq, unit: { messageId: decided.messageId, from: decided.from, sessionId: decided.sessionId, receivedAt: 1, said: decided.said, answer: { text: 'ok' }, task } })}\n`;
    };
    writer.hand(line(1, 1) + line(2, 2), 2);
    await vi.waitFor(() => expect(written).toEqual([2]), { timeout: 10_000 });
    expect(warnings.join('\n')).toContain("The ingest journal's writer stopped");
    writer.hand(line(3, 3), 3);
    expect(written).toEqual([2, 3]);
    expect(committedTasks(file)).toBe(3);
    // Locked out (without waiting on the lock): it keeps what it could not write, in order, and tries again.
    db.exec('PRAGMA busy_timeout = 0');
    const blocker = new DatabaseSync(file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    writer.hand(line(4, 4), 4);
    writer.hand(line(5, 5), 5);
    expect(written).toEqual([2, 3]);
    expect(warnings.join('\n')).toContain('Cannot write journaled messages to the database');
    blocker.exec('ROLLBACK');
    await vi.waitFor(() => expect(written).toEqual([2, 3, 5]), { timeout: 10_000 });
    expect(committedTasks(file)).toBe(5);
    await writer.stop(true);
  });

  it('numbers each new file past all earlier ones, so removing a written file never removes unwritten lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-journal-files-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const files = openJournalFiles(join(dir, 'vidbot.db'), 'files-test', 10);
    const onDisk = async () => {
      const names = (await readdir(dir)).filter((name) => /-\d+$/.test(name)).sort();
      return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
    };
    // Each line fills a file: the next line goes to a new one.
    files.append('{"seq":1}\n', 1);
    files.append('{"seq":2}\n', 2);
    files.release(1);
    files.append('{"seq":3}\n', 3);
    // The writer reports the second line written: its file goes, the third line stays.
    files.release(2);
    expect(await onDisk()).toEqual(['{"seq":3}\n']);
    files.release(3);
    expect(await onDisk()).toEqual([]);
    files.removeAll();
  });

  it('answers a message that reached two processes at once in both, makes one task, and says so', async () => {
    const first = await open();
    const warnings: string[] = [];
    // A second process on the same database file: its own connection, queue and journal.
    const db = openDatabase(first.file);
    const queue = createSqliteQueue<{ taskId: string }>({ db, maxActivePerGroup: 1 });
    const journal = createIngestJournal({ file: first.file, db, queue: journalQueueOf(queue), onWarning: (message) => warnings.push(message) });
    const second = createSqliteStore({ db, file: first.file, jobs: { add: () => {}, position: () => null }, journal });
    cleanups.push(async () => {
      await journal.close();
      await second.close();
      await queue.close();
      db.close();
    });
    // Held back from the tables until both have answered: neither sees the other's claim.
    const blocker = new DatabaseSync(first.file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    const both = await Promise.all([first.store.ingest(unit(3, 'SMtwice')), second.ingest(unit(3, 'SMtwice'))]);
    expect(both.map((outcome) => outcome.claimed)).toEqual([true, true]);
    blocker.exec('ROLLBACK');
    expect(await first.store.countTasks()).toBe(1);
    expect(await second.countTasks()).toBe(1);
    const made = (await first.store.listTasks({ limit: 10 }))[0]?.taskId;
    expect([both[0]?.task?.taskId, both[1]?.task?.taskId]).toContain(made);
    await vi.waitFor(() => expect(warnings.join('\n') + first.warnings.join('\n')).toContain('SMtwice reached two vidbot processes on this database at once'), { timeout: 10_000 });
  });

  it('keeps a process alive while its units wait to be written, and lets it end once they are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-journal-process-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const lib = (path: string) => JSON.stringify(join(repoRoot, 'src', 'lib', path));
    // A script that ingests and then reads, with nothing else to keep it alive but the journal's writer.
    await writeFile(
      join(dir, 'script.ts'),
      `
import { createBot } from ${lib('bot/create-bot.ts')};
import { loadConfig } from ${lib('config/index.ts')};
import { createVidbot } from ${lib('create-vidbot.ts')};
const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: ${JSON.stringify(join(dir, 'data'))} }, cwd: ${JSON.stringify(dir)}, dotenv: false });
const vidbot = await createVidbot(config);
const bot = createBot({ vidbot });
await Promise.all(Array.from({ length: 5 }, (_, n) => bot.handleInbound({
  channel: 'local', messageId: 'SMscript' + n, from: 'whatsapp:+1555000900' + n, to: 'whatsapp:+14155238886',
  body: 'a heron in the reeds ' + n, media: [], fields: {},
})));
console.log('tasks', await vidbot.store.countTasks());
`,
    );
    const run = await execa(process.execPath, [join(dir, 'script.ts')], { reject: false, all: true, timeout: 30_000 });
    expect(run.all).toContain('tasks 5');
    expect(run.exitCode).toBe(0);
  });

  it('writes, while it runs, what a journal of a process that stopped beside it holds, and wakes its workers', async () => {
    const { store, queue, dir, warnings } = await open({ recoverEveryMs: 50 });
    const woken: string[] = [];
    const worker = queue.work(async (job) => void woken.push(job.data.taskId), { concurrency: 1 });
    cleanups.push(() => worker.close());
    // What a `serve` killed beside this process leaves: a journal file whose lock nobody holds.
    const left = unit(4, 'SMleftbehind');
    const task = { ...left.decide().task, status: 'queued', attempts: 0, createdAt: 1, updatedAt: 1 };
    const job = queue.rowOf({ taskId: task.taskId ?? '' }, { jobId: task.jobId ?? '', group: task.sessionId });
    const entry = { seq: 1, unit: { messageId: left.messageId, from: left.from, sessionId: left.sessionId, receivedAt: 1, said: left.said, answer: { text: 'queued' }, task }, job };
    // Put in place whole, as a dead process left it: written in place, the 50 ms scan could read it
    // empty (created, not yet written), take it for done and remove it.
    const staged = join(dir, 'staged.tmp');
    await writeFile(staged, `${JSON.stringify(entry)}\n`);
    await rename(staged, join(dir, 'vidbot.db-ingest-999999-dead-1'));
    await vi.waitFor(() => expect(woken).toEqual(['task-SMleftbehind']), { timeout: 10_000 });
    expect(warnings).toContain(recoveredText(1));
    expect((await store.getTask('task-SMleftbehind'))?.messageId).toBe('SMleftbehind');
    expect((await readdir(dir)).filter((name) => name.includes('-dead-'))).toEqual([]);
  });

  it('replays a journal whose last line a kill tore mid-write: the whole lines, once each', async () => {
    const { store, db, file, dir, queue } = await open();
    const line = (seq: number, messageId: string) => {
      const left = unit(seq, messageId);
      const task = { ...left.decide().task, status: 'queued', attempts: 0, createdAt: 1, updatedAt: 1 };
      return JSON.stringify({ seq, unit: { messageId, from: left.from, sessionId: left.sessionId, receivedAt: 1, said: left.said, answer: { text: 'queued' }, task } });
    };
    const torn = line(3, 'SMtorn').slice(0, 40);
    await writeFile(join(dir, 'vidbot.db-ingest-999998-torn-1'), `${line(1, 'SMwhole1')}\n${line(2, 'SMwhole2')}\n${torn}`);
    expect(replayJournals(db, file, queue.queueName)).toBe(2);
    expect((await store.listTasks({ limit: 10 })).map((task) => task.messageId).sort()).toEqual(['SMwhole1', 'SMwhole2']);
    expect((await readdir(dir)).filter((name) => name.includes('-torn-'))).toEqual([]);
  });
});
