/**
 * The PostgreSQL store against a real server this file starts (Debian's postgresql package): the
 * store contract, then what is PostgreSQL's own (connecting, the schema, text it cannot hold, a
 * dropped connection). Each test gets a fresh schema, reached through the URL's search_path.
 */
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import type { Store } from '../../src/lib/store/index.ts';
import { createPostgresStore } from '../../src/lib/store/postgres/index.ts';
import { FORGET_KEPT_RECEIPTS } from '../../src/lib/store/postgres/outbound.ts';
import { openPool } from '../../src/lib/store/postgres/pool.ts';
import { STORE_SCHEMA_VERSION, migrate } from '../../src/lib/store/postgres/schema.ts';
import { storeContract } from '../contract/store.contract.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/vidbot.ts';
import { TOTALS_SEED_ROWS, expectTotalsInStep } from './generation-totals.ts';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.cleanup();
});

storeContract('postgres', async () => {
  const fresh = await server.freshSchema();
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    const store = await createPostgresStore({ url: fresh.url });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const store of opened) await store.close();
      await fresh.drop();
    },
  };
});

const storeFailure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(isVidbotError(error, 'VIDBOT_STORE_FAILED'), `expected VIDBOT_STORE_FAILED, got ${String(error)}`).toBe(true);
  return error as Error & { hint: string; retryable: boolean };
};

/** A port nothing listens on: bound, then released. */
const closedPort = async (): Promise<number> => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

const task = (messageId?: string) => ({
  prompt: 'a fox',
  sessionId: 'whatsapp:+1555',
  from: 'whatsapp:+1555',
  options: { provider: 'fake', orientation: 'portrait', durationSec: 5, polish: false, useCache: true } as const,
  ...(messageId === undefined ? {} : { messageId }),
});

describe('PostgreSQL store: connecting', () => {
  it('rejects an unreachable server with VIDBOT_STORE_FAILED, naming the host but not the password', async () => {
    const port = await closedPort();
    const url = `postgres://vidbot:s3cr%40t%2Fx@127.0.0.1:${port}/vidbot`;
    const error = await storeFailure(createPostgresStore({ url, connectTimeoutMs: 2_000 }));
    expect(error.message).toContain(`postgres://127.0.0.1:${port} (database vidbot)`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toMatch(/s3cr/);
    expect(error.hint).toMatch(/DATABASE_URL/);
    expect(error.retryable).toBe(false);
  });

  it('says the password was refused, without showing it, and hints at the credentials', async () => {
    const wrong = server.url.replace(encodeURIComponent(server.password), encodeURIComponent(`${server.password}x`));
    const error = await storeFailure(createPostgresStore({ url: wrong }));
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain(server.password);
    expect(error.message).not.toContain(encodeURIComponent(server.password));
    expect(error.hint).toMatch(/user and password in DATABASE_URL/);
  });

  it('names a missing database and how to create it', async () => {
    const error = await storeFailure(createPostgresStore({ url: server.url.replace(/\/postgres$/, '/nowhere') }));
    expect(error.message).toMatch(/nowhere/);
    expect(error.hint).toMatch(/createdb/);
  });

  it('refuses a connection string of another database without echoing it', async () => {
    const error = await storeFailure(createPostgresStore({ url: 'mongodb://app:hunter2@db.example/x' }));
    expect(error.message).toMatch(/postgres:\/\//);
    expect(error.message).not.toMatch(/hunter2/);
  });
});

describe('PostgreSQL store: specifics', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });
  const fresh = async () => {
    const schema = await server.freshSchema();
    cleanups.push(schema.drop);
    return schema;
  };
  const open = async (url: string) => {
    const store = await createPostgresStore({ url });
    cleanups.push(() => store.close());
    return store;
  };

  it("keeps the seed bot's collections as tables with its field names, and records the schema version once", async () => {
    const { url, schema } = await fresh();
    // Opened at once against an empty schema: the migration lock lets exactly one create the tables.
    const [first] = await Promise.all([open(url), open(url), open(url)]);
    await (await open(url)).close();
    const { task: created } = await first!.createTask(task('SM1'));
    await first!.updateTask(created.taskId, { status: 'done', finishedAt: 2, filePath: '/v.mp4', videoUrl: 'https://c/v.mp4' });
    await first!.appendMessage('whatsapp:+1555', { role: 'user', text: 'a fox', ts: 1 });
    const versions = await server.admin.query(`SELECT version FROM ${schema}.vidbot_migrations WHERE component = 'store' ORDER BY version`);
    expect(versions.rows.map((row) => row.version)).toEqual(Array.from({ length: STORE_SCHEMA_VERSION }, (_, i) => i + 1));
    const tables = await server.admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['sessions', 'session_messages', 'tasks', 'videos', 'cache', 'inbound_messages', 'outbound_messages']),
    );
    const row = await server.admin.query(`SELECT * FROM ${schema}.tasks WHERE task_id = $1`, [created.taskId]);
    expect(row.rows[0]).toMatchObject({ prompt: 'a fox', sid: 'whatsapp:+1555', from_addr: 'whatsapp:+1555', status: 'done', message_sid: 'SM1', file_path: '/v.mp4', cloud_url: 'https://c/v.mp4' });
    const session = await server.admin.query(`SELECT s.created_at, m.role, m.text FROM ${schema}.sessions s JOIN ${schema}.session_messages m USING (session_id)`);
    expect(session.rows).toEqual([{ created_at: '1', role: 'user', text: 'a fox' }]);
  });

  it('migrates a version 1 database: a running task resumes where it was, and old tasks count nothing against the budget', async () => {
    const { url, schema } = await fresh();
    const { db, pool } = openPool({ url });
    try {
      await migrate(db, 1);
    } finally {
      await pool.end();
    }
    await server.admin.query(
      `INSERT INTO ${schema}.tasks (task_id, prompt, sid, from_addr, options, status, attempts, created_at, updated_at, remote_job_id)
       VALUES ('T1', 'a fox', 'whatsapp:+1555', 'whatsapp:+1555', '{"provider":"replicate"}', 'processing', 1, 1, 1, 'pred_1')`,
    );
    const store = await open(url);
    const before = await store.getTask('T1');
    expect(before).toMatchObject({ remoteJobId: 'pred_1' });
    expect(before?.remoteProvider).toBeUndefined();
    expect(await store.generationCosts()).toEqual([]);
    await store.updateTask('T1', { remoteProvider: 'replicate', generation: { provider: 'replicate', model: 'minimax/video-01', cost: 0.5, at: 10 } });
    expect(await store.generationCosts({ since: 10 })).toEqual([{ provider: 'replicate', model: 'minimax/video-01', videos: 1, cost: 0.5 }]);
  });

  it('keeps the all-time generation totals in step with the tasks, from a version 2 database on', async () => {
    const { url, schema } = await fresh();
    const { db, pool } = openPool({ url });
    try {
      await migrate(db, 2);
    } finally {
      await pool.end();
    }
    await server.admin.query(`INSERT INTO ${schema}.tasks ${TOTALS_SEED_ROWS}`);
    const store = await open(url);
    await expectTotalsInStep(store);
    // A write from a session whose search_path does not name vidbot's schema (an operator's psql) keeps them too.
    await server.admin.query(`UPDATE ${schema}.tasks SET generation = NULL WHERE task_id = 'C'`);
    expect(await store.generationCosts()).toEqual([{ provider: 'fal', model: 'f1', videos: 1, cost: 0.1 }]);
  });

  it('forgets kept receipts oldest first through their index, reading only the batch', async () => {
    const { url, schema } = await fresh();
    await (await open(url)).close();
    // A day of receipts for another app's messages, and a few old ones to forget.
    await server.admin.query(
      `INSERT INTO ${schema}.kept_receipts (message_id, status, received_at) SELECT 'SM' || n, 'delivered', 1000000 + n FROM generate_series(1, 20000) AS n`,
    );
    await server.admin.query(`INSERT INTO ${schema}.kept_receipts (message_id, status, received_at) SELECT 'old' || n, 'read', n FROM generate_series(1, 5) AS n`);
    await server.admin.query(`ANALYZE ${schema}.kept_receipts`);
    const client = await server.admin.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      const plan = (await client.query(`EXPLAIN ${FORGET_KEPT_RECEIPTS}`, [1000, 1000])).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using kept_receipts_received/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      client.release();
    }
    const store = await open(url);
    expect(await store.forgetKeptReceipts(1000, 1000)).toBe(5);
  });

  it('refuses a database written by a newer schema', async () => {
    const { url, schema } = await fresh();
    await (await open(url)).close();
    await server.admin.query(`INSERT INTO ${schema}.vidbot_migrations VALUES ('store', 999, 0)`);
    const error = await storeFailure(createPostgresStore({ url }));
    expect(error.message).toMatch(/newer/);
  });

  it('lets exactly one of two pools claim each message, round after round', async () => {
    const { url } = await fresh();
    const [a, b] = [await open(url), await open(url)];
    for (let round = 0; round < 30; round += 1) {
      const claims = await Promise.all([a, b, a, b].map((store) => store.claimInbound({ messageId: `SM${round}`, from: 'A' })));
      expect(claims.filter((claim) => claim.claimed), `round ${round}`).toHaveLength(1);
      const created = await Promise.all([b, a].map((store) => store.createTask(task(`SMt${round}`))));
      expect(created.filter((result) => result.created), `round ${round}`).toHaveLength(1);
    }
    expect(await a.countTasks()).toBe(30);
  });

  it('lets two pools start a session together without losing a message', async () => {
    const { url } = await fresh();
    const [a, b] = [await open(url), await open(url)];
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).appendMessage('whatsapp:+1555', { role: 'user', text: `m${i}`, ts: 100 + i })));
    const session = await a.getSession('whatsapp:+1555');
    expect(session?.messages.map((m) => m.text).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    expect(session?.createdAt).toBeGreaterThanOrEqual(100);
  });

  it('stores text PostgreSQL cannot hold without failing: U+0000 becomes U+FFFD, json keeps it as written', async () => {
    const store = await open((await fresh()).url);
    const prompt = 'a fox\u0007 in the \u001b[31msnow\u0000 \ud83d';
    const { task: created } = await store.createTask({ ...task('SM\u0000'), prompt });
    expect(created.prompt).toBe('a fox\u0007 in the \u001b[31msnow\uFFFD \uFFFD');
    expect((await store.claimInbound({ messageId: 'SM\u0000', from: 'A' })).claimed).toBe(true);
    expect((await store.claimInbound({ messageId: 'SM\u0000', from: 'A' })).claimed).toBe(false);
    await store.appendMessage('s', { role: 'user', text: prompt, meta: { raw: prompt, b: 1, a: 2 } });
    const message = (await store.getSession('s'))?.messages[0];
    expect(message?.meta).toEqual({ raw: prompt, b: 1, a: 2 });
    expect(Object.keys(message?.meta ?? {})).toEqual(['raw', 'b', 'a']);
  });

  it('refuses a second record of one channel message id, for good', async () => {
    const store = await open((await fresh()).url);
    await store.recordOutbound({ id: 'O1', messageId: 'SM1', to: 'A', kind: 'result', status: 'sent' });
    const error = await storeFailure(store.recordOutbound({ id: 'O2', messageId: 'SM1', to: 'A', kind: 'result', status: 'sent' }));
    expect(error.retryable).toBe(false);
  });

  it('carries on after the server drops its connections', async () => {
    const { url } = await fresh();
    const store = await open(url);
    const { task: created } = await store.createTask(task());
    const dropped = await server.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vidbot'");
    expect(dropped.rows.length).toBeGreaterThan(0);
    // A call may fail while the pool learns its connections are gone (retryable), then calls pass again.
    const failures: Array<Error & { retryable: boolean }> = [];
    const again = await waitFor(
      () =>
        store.getTask(created.taskId).catch((error: Error & { retryable: boolean }) => {
          failures.push(error);
          return null;
        }),
      10_000,
    );
    expect(again).toEqual(created);
    for (const failure of failures) expect(isVidbotError(failure, 'VIDBOT_STORE_FAILED') && failure.retryable).toBe(true);
  });
});
