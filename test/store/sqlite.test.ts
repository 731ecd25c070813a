import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import type { InboundUnit, Store } from '../../src/lib/store/index.ts';
import { listTasksQuery, taskWhere } from '../../src/lib/store/sqlite/tasks.ts';
import { TOTALS_SEED_ROWS, expectTotalsInStep } from './generation-totals.ts';
import { createSqliteStore } from '../../src/lib/store/index.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';
import { STORE_SCHEMA_VERSION, migrate } from '../../src/lib/store/sqlite/schema.ts';
import { FORGET_KEPT_RECEIPTS } from '../../src/lib/store/sqlite/messages.ts';
import { storeContract } from '../contract/store.contract.ts';
import { createSqliteQueue, type SqliteJobQueue } from '../../src/lib/queue/sqlite/queue.ts';
import type { SharedJobs } from '../../src/lib/store/sqlite/ingest.ts';

const sharedJobs = (queue: SqliteJobQueue<{ taskId: string }>): SharedJobs => ({
  add: (task) => void queue.addWithin({ taskId: task.taskId }, { jobId: task.jobId ?? task.taskId, group: task.sessionId }),
  position: (jobId) => queue.positionWithin(jobId),
});

const run = promisify(execFile);

storeContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-store-'));
  const file = join(dir, 'vidbot.db');
  const opened: Store[] = [];
  const open = (): Store => {
    const store = createSqliteStore({ file });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    reopen: async () => open(),
    cleanup: async () => {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// The pair as vidbot runs it by default: the embedded queue on the store's connection.
storeContract('sqlite with the embedded queue', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-store-'));
  const file = join(dir, 'vidbot.db');
  const closers: Array<() => Promise<void>> = [];
  const open = (): Store => {
    const db = openDatabase(file);
    const queue = createSqliteQueue<{ taskId: string }>({ db });
    const store = createSqliteStore({ db, jobs: sharedJobs(queue) });
    closers.push(async () => {
      await store.close();
      await queue.close();
      db.close();
    });
    return store;
  };
  return {
    store: open(),
    reopen: async () => open(),
    placesJobs: true,
    cleanup: async () => {
      for (const close of closers) await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const task = (messageId?: string) => ({
  prompt: 'a fox',
  sessionId: 'cli',
  from: '',
  options: { provider: 'fake', orientation: 'portrait', durationSec: 5, polish: false, useCache: true } as const,
  ...(messageId === undefined ? {} : { messageId }),
});

describe('SQLite store specifics', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidbot-store-'));
    file = join(dir, 'nested', 'vidbot.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const raw = <T>(fn: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  it('uses WAL mode, creating the folder and recording its schema version once', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    await createSqliteStore({ file }).close();
    expect(raw((db) => db.prepare('PRAGMA journal_mode').get())).toEqual({ journal_mode: 'wal' });
    const versions = raw((db) =>
      db.prepare("SELECT version FROM vidbot_migrations WHERE component = 'store' ORDER BY version").all(),
    );
    expect(versions.map((row) => row.version)).toEqual(
      Array.from({ length: STORE_SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('gives back what a burst grew the WAL to once it restarts (journal_size_limit)', () => {
    // SQLite truncates the WAL to this size when it restarts it; a burst no longer keeps its high-water mark.
    const db = openDatabase(file);
    try {
      expect(db.prepare('PRAGMA journal_size_limit').get()).toEqual({ journal_size_limit: 32 * 1024 * 1024 });
    } finally {
      db.close();
    }
  });

  it('shares the file with the queue tables without touching them', async () => {
    await mkdir(dirname(file), { recursive: true });
    raw((db) => {
      db.exec('CREATE TABLE queue_jobs (id TEXT PRIMARY KEY)');
      db.exec("INSERT INTO queue_jobs VALUES ('j1')");
    });
    const store = createSqliteStore({ file });
    await store.createTask(task());
    await store.close();
    expect(raw((db) => db.prepare('SELECT id FROM queue_jobs').all())).toEqual([{ id: 'j1' }]);
  });

  it('keeps data in the file after close', async () => {
    const first = createSqliteStore({ file });
    const { task: created } = await first.createTask(task('SM1'));
    await first.close();
    expect(existsSync(file)).toBe(true);
    const second = createSqliteStore({ file });
    expect(await second.getTask(created.taskId)).toEqual(created);
    await second.close();
  });

  it('reports a full disk as such, not as the failed rollback SQLite makes of it', async () => {
    const db = openDatabase(file);
    const store = createSqliteStore({ db });
    try {
      // A database that may not grow: the writes that need a new page fail as on a full disk.
      const pages = Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
      db.exec(`PRAGMA max_page_count = ${pages + 2}`);
      let failure: unknown;
      for (let i = 0; i < 50 && failure === undefined; i += 1) {
        await store.appendMessage('s', { role: 'user', text: 'x'.repeat(4000) }).catch((error: unknown) => void (failure = error));
      }
      expect(isVidbotError(failure, 'VIDBOT_STORE_FAILED')).toBe(true);
      expect((failure as Error).message).toMatch(/full/);
      expect((failure as Error).message).not.toMatch(/rollback/);
      // The connection is still usable: nothing was left half-open.
      expect(db.isTransaction).toBe(false);
      expect((await store.getSession('s'))?.messages.length).toBeGreaterThan(0);
    } finally {
      await store.close();
      db.close();
    }
  });

  describe('ingest with the embedded queue on the same connection', () => {
    const SENDER = 'whatsapp:+15550009';
    const unit = (messageId: string, over: { fail?: boolean; text?: string } = {}): InboundUnit => ({
      messageId,
      from: SENDER,
      sessionId: SENDER,
      said: { text: over.text ?? messageId },
      decide: () => {
        if (over.fail) throw new Error('the decision failed');
        return {
          task: { ...task(messageId), sessionId: SENDER, from: SENDER, taskId: `T-${messageId}`, jobId: `T-${messageId}` },
          answer: ({ position }) => ({ text: `#${position ?? '-'}` }),
        };
      },
    });
    const openPair = () => {
      const db = openDatabase(file);
      const queue = createSqliteQueue<{ taskId: string }>({ db });
      const store = createSqliteStore({ db, jobs: sharedJobs(queue) });
      const close = async () => {
        await store.close();
        await queue.close();
        db.close();
      };
      return { db, queue, store, close };
    };

    it('places a burst in the order it came, once per message: a redelivery in the same batch gets the first answer', async () => {
      const { queue, store, close } = openPair();
      try {
        const ids = Array.from({ length: 12 }, (_, i) => `SMb${i}`);
        // Redeliveries of three of them, handed in with the burst.
        const handed = [...ids.slice(0, 6), 'SMb1', ...ids.slice(6), 'SMb4', 'SMb11'];
        const outcomes = await Promise.all(handed.map((id) => store.ingest(unit(id))));
        const claimed = outcomes.filter((o) => o.claimed);
        expect(claimed.map((o) => o.claim.messageId)).toEqual(ids);
        expect(claimed.map((o) => o.position)).toEqual(ids.map((_, i) => i + 1));
        for (const [index, id] of handed.entries()) {
          const outcome = outcomes[index];
          expect(outcome?.claim.reply, id).toBe(`#${ids.indexOf(id) + 1}`);
        }
        expect(outcomes.filter((o) => !o.claimed).map((o) => o.claim.messageId)).toEqual(['SMb1', 'SMb4', 'SMb11']);
        expect(await store.countTasks()).toBe(12);
        expect((await queue.counts()).waiting).toBe(12);
        expect(await queue.position('T-SMb7')).toBe(8);
      } finally {
        await close();
      }
    });

    it('fails only the unit that failed in a batch; the connection is left with no transaction open', async () => {
      const { db, store, close } = openPair();
      try {
        const results = await Promise.allSettled([store.ingest(unit('SMf1')), store.ingest(unit('SMf2', { fail: true })), store.ingest(unit('SMf3'))]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(results.map((r) => (r.status === 'fulfilled' ? r.value.position : null))).toEqual([1, null, 2]);
        expect(db.isTransaction).toBe(false);
        // Nothing of the failed unit stays: its redelivery is a first delivery.
        expect((await store.claimInbound({ messageId: 'SMf2', from: SENDER })).claimed).toBe(true);
        expect(await store.getTask('T-SMf2')).toBeNull();
      } finally {
        await close();
      }
    });

    it('on a full disk, fails units with VIDBOT_STORE_FAILED and acknowledges none whose task was not written', async () => {
      const { db, store, close } = openPair();
      try {
        const pages = Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
        db.exec(`PRAGMA max_page_count = ${pages + 4}`);
        const ids = Array.from({ length: 40 }, (_, i) => `SMd${i}`);
        const results = await Promise.allSettled(ids.map((id) => store.ingest(unit(id, { text: 'x'.repeat(3000) }))));
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
        expect(failures.length).toBeGreaterThan(0);
        for (const failure of failures) {
          expect(isVidbotError(failure, 'VIDBOT_STORE_FAILED')).toBe(true);
          expect(failure.message).toMatch(/full/);
        }
        expect(db.isTransaction).toBe(false);
        db.exec('PRAGMA max_page_count = 1073741823');
        for (const [index, id] of ids.entries()) {
          const written = (await store.getTask(`T-${id}`)) !== null;
          expect(written, id).toBe(results[index]?.status === 'fulfilled');
          // A failed one was not claimed either: its redelivery is handled as new.
          if (!written) expect((await store.ingest(unit(id))).claimed, id).toBe(true);
        }
      } finally {
        await close();
      }
    });
  });

  it('migrates a version 1 file: outbound records keep their Twilio sid as the channel id', async () => {
    await mkdir(dirname(file), { recursive: true });
    raw((db) => {
      migrate(db, Date.now(), 1);
      db.exec(`INSERT INTO outbound_messages (sid, to_addr, body, task_id, kind, status, error_code, created_at, updated_at)
        VALUES ('SMold', 'whatsapp:+1555', 'hi', 'T1', 'result', 'read', NULL, 1, 2),
               ('VFlocal', 'whatsapp:+1555', 'no', 'T2', 'result', 'failed', '63016', 3, 4)`);
      db.exec(`INSERT INTO tasks (task_id, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
        VALUES ('T3', 'a fox', 'whatsapp:+1555', 'whatsapp:+1555', '{}', 'queued', 0, 1, 1),
               ('T4', 'a boat', 'cli', '', '{}', 'processing', 1, 1, 1)`);
    });
    const store = createSqliteStore({ file });
    try {
      expect(await store.findOutbound({ messageId: 'SMold' })).toMatchObject({ id: 'SMold', status: 'read', taskId: 'T1' });
      const local = await store.findOutbound({ id: 'VFlocal' });
      expect(local).toMatchObject({ status: 'failed', errorCode: '63016' });
      expect(local?.messageId).toBeUndefined();
      // Queued tasks of the bot had a job under their own id; CLI runs had none.
      expect((await store.getTask('T3'))?.jobId).toBe('T3');
      expect((await store.getTask('T4'))?.jobId).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('migrates a version 2 file: its tasks gain a progress, unset until a run reports one', async () => {
    await mkdir(dirname(file), { recursive: true });
    raw((db) => {
      migrate(db, Date.now(), 2);
      db.exec(`INSERT INTO tasks (task_id, prompt, sid, from_addr, options, status, stage, attempts, created_at, updated_at)
        VALUES ('T5', 'a fox', 'whatsapp:+1555', 'whatsapp:+1555', '{}', 'processing', 'generate', 1, 1, 1)`);
    });
    const store = createSqliteStore({ file });
    try {
      const before = await store.getTask('T5');
      expect(before).toMatchObject({ status: 'processing', stage: 'generate' });
      expect(before?.progress).toBeUndefined();
      expect((await store.updateTask('T5', { progress: 42 })).progress).toBe(42);
    } finally {
      await store.close();
    }
  });

  it('migrates a version 3 file: a task running on a provider resumes there, and old tasks count nothing against the budget', async () => {
    await mkdir(dirname(file), { recursive: true });
    raw((db) => {
      migrate(db, Date.now(), 3);
      db.exec(`INSERT INTO tasks (task_id, prompt, sid, from_addr, options, status, stage, attempts, created_at, updated_at, remote_job_id)
        VALUES ('T6', 'a fox', 'whatsapp:+1555', 'whatsapp:+1555', '{"provider":"replicate"}', 'processing', 'generate', 1, 1, 1, 'pred_1')`);
    });
    const store = createSqliteStore({ file });
    try {
      const before = await store.getTask('T6');
      expect(before).toMatchObject({ remoteJobId: 'pred_1', options: { provider: 'replicate' } });
      expect(before?.remoteProvider).toBeUndefined();
      expect(before?.generation).toBeUndefined();
      expect(await store.generationCosts()).toEqual([]);
      const made = await store.updateTask('T6', { remoteProvider: 'replicate', generation: { provider: 'replicate', model: 'minimax/video-01', cost: 0.5, at: 10 } });
      expect(made.generation).toEqual({ provider: 'replicate', model: 'minimax/video-01', cost: 0.5, at: 10 });
      expect(await store.generationCosts({ since: 10 })).toEqual([{ provider: 'replicate', model: 'minimax/video-01', videos: 1, cost: 0.5 }]);
    } finally {
      await store.close();
    }
  });

  it('forgets kept receipts oldest first through their index, reading only the batch', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    const plan = raw((db) => {
      db.exec('BEGIN');
      const insert = db.prepare("INSERT INTO kept_receipts (message_id, status, received_at) VALUES (?, 'delivered', ?)");
      for (let n = 0; n < 3_000; n += 1) insert.run(`SM${n}`, 1_000_000 + n);
      db.exec('COMMIT');
      return (db.prepare(`EXPLAIN QUERY PLAN ${FORGET_KEPT_RECEIPTS}`).all(1_000, 1_000) as Array<{ detail: string }>).map((row) => row.detail).join('\n');
    });
    expect(plan).toContain('USING COVERING INDEX kept_receipts_received (received_at<?)');
    expect(plan).not.toMatch(/SCAN kept_receipts|TEMP B-TREE/);
  });

  it("reads a sender's tasks of a status by the sender's index, on a file without statistics", async () => {
    const store = createSqliteStore({ file });
    await store.close();
    const plan = raw((db) => {
      db.exec('BEGIN');
      const insert = db.prepare(`INSERT INTO tasks (task_id, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
        VALUES (?, 'p', ?, ?, '{}', 'done', 1, ?, ?)`);
      for (let n = 0; n < 3_000; n += 1) insert.run(`T${n}`, `s${n % 300}`, `f${n % 300}`, n, n);
      db.exec('COMMIT');
      const where = taskWhere({ from: 'f7', status: ['done'] });
      return (db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE ${where.clause} ORDER BY created_at DESC, rowid DESC LIMIT 10`).all(...where.params) as Array<{ detail: string }>)
        .map((row) => row.detail)
        .join('\n');
    });
    expect(plan).toContain('USING INDEX tasks_from_created (from_addr=?)');
  });

  it("says to move another program's file away where the database should be", async () => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'these bytes are not a SQLite database, and there are enough of them to tell\n'.repeat(4));
    let caught: unknown;
    try {
      openDatabase(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'VIDBOT_STORE_FAILED', message: expect.stringContaining('file is not a database'), hint: `Move ${file} away (vidbot starts a new one), or point VIDBOT_DATA_DIR at the folder of the right one.` });
  });

  it('lists several statuses each on its own index, sorting only what it kept (not every open task)', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    const plan = raw((db) => {
      db.exec('BEGIN');
      const insert = db.prepare(`INSERT INTO tasks (task_id, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
        VALUES (?, 'p', ?, ?, '{}', ?, 0, ?, ?)`);
      for (let n = 0; n < 3_000; n += 1) insert.run(`T${n}`, `s${n}`, `f${n}`, n % 10 === 0 ? 'processing' : 'queued', n, n);
      db.exec('COMMIT');
      const { sql, params } = listTasksQuery({ status: ['queued', 'processing', 'delivering'] }, 201);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail).join('\n');
    });
    expect(plan.match(/SEARCH tasks USING INDEX tasks_status_created \(status=\?\)/g)).toHaveLength(3);
    expect(plan).not.toMatch(/SCAN tasks/);
  });

  it('keeps the all-time generation totals in step with the tasks, from a version 4 file on', async () => {
    await mkdir(dirname(file), { recursive: true });
    raw((db) => {
      migrate(db, Date.now(), 4);
      db.exec(`INSERT INTO tasks ${TOTALS_SEED_ROWS}`);
    });
    const store = createSqliteStore({ file });
    try {
      await expectTotalsInStep(store);
    } finally {
      await store.close();
    }
  });

  it('fails with VIDBOT_STORE_FAILED when the file cannot be opened', () => {
    let caught: unknown;
    try {
      createSqliteStore({ file: dir });
    } catch (error) {
      caught = error;
    }
    expect(isVidbotError(caught, 'VIDBOT_STORE_FAILED')).toBe(true);
  });

  it('refuses a file written by a newer schema', async () => {
    await createSqliteStore({ file }).close();
    raw((db) => db.exec("INSERT INTO vidbot_migrations VALUES ('store', 999, 0)"));
    let caught: unknown;
    try {
      createSqliteStore({ file });
    } catch (error) {
      caught = error;
    }
    expect(isVidbotError(caught, 'VIDBOT_STORE_FAILED')).toBe(true);
    expect(String(caught)).toMatch(/newer/);
  });

  it('creates each task and claims each message once across processes racing on a fresh file', async () => {
    const storeUrl = pathToFileURL(resolve(import.meta.dirname, '../../src/lib/store/sqlite/index.ts')).href;
    const rounds = 300;
    // Each child opens the (not yet existing) file, waits for a common start time, then races.
    const script = `
      const { createSqliteStore } = await import(${JSON.stringify(storeUrl)});
      const [file, startAt, rounds] = process.argv.slice(1);
      const store = createSqliteStore({ file });
      await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
      const out = [];
      for (let i = 0; i < Number(rounds); i += 1) {
        const options = { provider: 'fake', orientation: 'portrait', durationSec: 5, polish: false, useCache: true };
        const { created } = await store.createTask({ prompt: 'p', sessionId: 's', from: 'f', options, messageId: 'SM' + i });
        const { claimed } = await store.claimInbound({ messageId: 'IN' + i, from: 'f' });
        out.push([created, claimed]);
      }
      await store.close();
      process.stdout.write(JSON.stringify(out));
    `;
    const startAt = String(Date.now() + 1500);
    const children = Array.from({ length: 4 }, () =>
      run(process.execPath, ['--input-type=module', '--no-warnings', '-e', script, file, startAt, String(rounds)], {
        timeout: 30_000,
      }),
    );
    const outputs = (await Promise.all(children)).map(
      ({ stdout }) => JSON.parse(stdout) as Array<[created: boolean, claimed: boolean]>,
    );
    for (let i = 0; i < rounds; i += 1) {
      expect(outputs.filter((out) => out[i]?.[0] === true), `task SM${i}`).toHaveLength(1);
      expect(outputs.filter((out) => out[i]?.[1] === true), `claim IN${i}`).toHaveLength(1);
    }
    const store = createSqliteStore({ file });
    expect(await store.countTasks()).toBe(rounds);
    await store.close();
  });
});
