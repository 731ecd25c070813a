/**
 * The queue's tables. They live in the same SQLite file as the store, so every name starts with
 * `queue_` and the schema version is kept in our own table rather than PRAGMA user_version (which
 * belongs to whoever owns the file).
 */
import type { DatabaseSync } from 'node:sqlite';
import { vidbotError } from '../../errors.ts';
import { writeTransaction } from '../../sqlite/open.ts';

/** Each entry upgrades the schema by one version; append, never edit a released one. */
const migrations: readonly string[] = [
  `
  CREATE TABLE queue_jobs (
    -- Insertion order: breaks ties between jobs with the same run_at (FIFO).
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed', 'canceled')),
    grp TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    -- When the job becomes claimable (delayed jobs, retries); its place in the FIFO otherwise.
    run_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    lease_until INTEGER,
    -- A fresh random token per claim: only its holder may heartbeat or finish the attempt.
    lease_token TEXT,
    worker_id TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- Times the job was taken back from a worker whose lease expired.
    stalls INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    error TEXT,
    error_code TEXT,
    UNIQUE (queue, id)
  );
  CREATE INDEX queue_jobs_claim ON queue_jobs (queue, state, run_at, seq);
  CREATE INDEX queue_jobs_group ON queue_jobs (queue, grp, state);
  `,
  // 2: jobs per state, kept by triggers in the writing transaction (so by every process sharing the
  // file): counts and a place in line read one row instead of counting a backlog.
  `
  CREATE TABLE queue_state_counts (
    queue TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (queue, state)
  ) WITHOUT ROWID;
  INSERT INTO queue_state_counts (queue, state, n) SELECT queue, state, COUNT(*) FROM queue_jobs GROUP BY queue, state;
  CREATE TRIGGER queue_jobs_count_insert AFTER INSERT ON queue_jobs BEGIN
    INSERT INTO queue_state_counts (queue, state, n) VALUES (new.queue, new.state, 1)
      ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER queue_jobs_count_update AFTER UPDATE OF state, queue ON queue_jobs
    WHEN old.state IS NOT new.state OR old.queue IS NOT new.queue BEGIN
    UPDATE queue_state_counts SET n = n - 1 WHERE queue = old.queue AND state = old.state;
    INSERT INTO queue_state_counts (queue, state, n) VALUES (new.queue, new.state, 1)
      ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER queue_jobs_count_delete AFTER DELETE ON queue_jobs BEGIN
    UPDATE queue_state_counts SET n = n - 1 WHERE queue = old.queue AND state = old.state;
  END;
  `,
  // 3: the group index holds active jobs only, all a claim asks of it: a job added to the line no
  // longer writes to it (its entry sat at a random place in the index, a page of its own in the
  // commit for each new job).
  `
  DROP INDEX IF EXISTS queue_jobs_group;
  CREATE INDEX IF NOT EXISTS queue_jobs_active_group ON queue_jobs (queue, grp) WHERE state = 'active';
  `,
];

export const QUEUE_SCHEMA_VERSION = migrations.length;

/** Creates or upgrades the queue's tables; safe when several processes open the file at once. */
export const migrateQueueSchema = (db: DatabaseSync): void => {
  db.exec('CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  writeTransaction(db, () => {
    const row = db.prepare("SELECT value FROM queue_meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    const current = row === undefined ? 0 : Number(row.value);
    if (current > QUEUE_SCHEMA_VERSION) {
      throw vidbotError(
        'VIDBOT_STORE_FAILED',
        `The queue tables are at schema version ${current}, newer than this vidbot knows (${QUEUE_SCHEMA_VERSION}).`,
        { hint: 'Upgrade vidbot, or point VIDBOT_DATA_DIR at another folder.', retryable: false },
      );
    }
    for (let version = current; version < QUEUE_SCHEMA_VERSION; version += 1) {
      db.exec(migrations[version] ?? '');
    }
    if (current !== QUEUE_SCHEMA_VERSION) {
      db.prepare(
        "INSERT INTO queue_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(QUEUE_SCHEMA_VERSION));
    }
  });
};
