import type { DatabaseSync } from 'node:sqlite';
import { vidbotError } from '../../errors.ts';
import { writeTransaction } from '../../sqlite/open.ts';

/**
 * The store's tables. The same file holds the embedded queue (tables prefixed `queue_`), so the
 * schema version lives in a shared `vidbot_migrations` table keyed by component rather than in
 * `PRAGMA user_version`, which both components would fight over.
 */
export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS vidbot_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (component, version)
)`;

export const STORE_COMPONENT = 'store';

/** Applied in order, each once; append new steps, never edit shipped ones. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS session_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT,
    ts INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS session_messages_session ON session_messages (session_id, id);

  CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    message_sid TEXT,
    prompt TEXT NOT NULL,
    sid TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    polished_prompt TEXT,
    remote_job_id TEXT,
    file_path TEXT,
    cloud_url TEXT,
    media_id TEXT,
    video_id TEXT,
    cache_hit INTEGER,
    error TEXT,
    error_code TEXT,
    cancel_requested INTEGER
  );
  CREATE UNIQUE INDEX IF NOT EXISTS tasks_message_sid ON tasks (message_sid) WHERE message_sid IS NOT NULL;
  CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at);
  CREATE INDEX IF NOT EXISTS tasks_from_created ON tasks (from_addr, created_at);
  CREATE INDEX IF NOT EXISTS tasks_sid_created ON tasks (sid, created_at);
  CREATE INDEX IF NOT EXISTS tasks_status_created ON tasks (status, created_at);

  CREATE TABLE IF NOT EXISTS videos (
    video_id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    path TEXT NOT NULL,
    prompt TEXT NOT NULL,
    session_id TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    cloud_url TEXT,
    media_id TEXT,
    size_bytes INTEGER NOT NULL,
    duration_sec REAL NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS videos_created ON videos (created_at);
  CREATE INDEX IF NOT EXISTS videos_from_created ON videos (from_addr, created_at);
  CREATE INDEX IF NOT EXISTS videos_session_created ON videos (session_id, created_at);

  CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    prompt_norm TEXT NOT NULL,
    file_path TEXT NOT NULL,
    video_id TEXT,
    meta TEXT,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE IF NOT EXISTS inbound_messages (
    message_sid TEXT PRIMARY KEY,
    from_addr TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reply TEXT,
    task_id TEXT
  );
  CREATE INDEX IF NOT EXISTS inbound_from_received ON inbound_messages (from_addr, received_at);

  CREATE TABLE IF NOT EXISTS outbound_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sid TEXT NOT NULL UNIQUE,
    to_addr TEXT NOT NULL,
    body TEXT,
    media_url TEXT,
    task_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS outbound_result_per_task ON outbound_messages (task_id)
    WHERE kind = 'result' AND task_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS outbound_task ON outbound_messages (task_id, id);
  CREATE INDEX IF NOT EXISTS outbound_to ON outbound_messages (to_addr, id);
  `,
  // 2: the task lifecycle. Tasks know their queue job and their delivery; outbound messages are
  // recorded before they are sent (vidbot's own id; the channel's id once it answers); receipts for
  // ids not recorded yet are kept; a tiny table for health checks' write probe.
  `
  ALTER TABLE tasks ADD COLUMN job_id TEXT;
  ALTER TABLE tasks ADD COLUMN channel TEXT;
  ALTER TABLE tasks ADD COLUMN remote_job_requested_at INTEGER;
  ALTER TABLE tasks ADD COLUMN delivery TEXT;
  UPDATE tasks SET job_id = task_id WHERE sid <> 'cli';
  CREATE INDEX tasks_status_updated ON tasks (status, updated_at);

  CREATE TABLE outbound_messages_v2 (
    out_id TEXT PRIMARY KEY,
    message_id TEXT,
    channel TEXT,
    to_addr TEXT NOT NULL,
    body TEXT,
    media_url TEXT,
    task_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  INSERT INTO outbound_messages_v2
    (out_id, message_id, to_addr, body, media_url, task_id, kind, status, error_code, created_at, updated_at)
    SELECT sid, CASE WHEN sid LIKE 'VF%' THEN NULL ELSE sid END, to_addr, body, media_url, task_id, kind, status,
      error_code, created_at, updated_at
    FROM outbound_messages ORDER BY id;
  DROP TABLE outbound_messages;
  ALTER TABLE outbound_messages_v2 RENAME TO outbound_messages;
  CREATE UNIQUE INDEX outbound_message_id ON outbound_messages (message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX outbound_task ON outbound_messages (task_id, created_at);
  CREATE INDEX outbound_to ON outbound_messages (to_addr, created_at);
  CREATE INDEX outbound_status_updated ON outbound_messages (status, updated_at);

  CREATE TABLE kept_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX kept_receipts_message ON kept_receipts (message_id, id);

  CREATE TABLE vidbot_probe (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `,
  // 3: how far a task's video has got (0..100), for /status and the simulator.
  `
  ALTER TABLE tasks ADD COLUMN progress INTEGER;
  `,
  // 4: failover and cost. The provider that holds a task's remote job; who made its video and what
  // it cost (JSON), summed by the day for the budget (hence the index on when it was made).
  `
  ALTER TABLE tasks ADD COLUMN remote_provider TEXT;
  ALTER TABLE tasks ADD COLUMN generation TEXT;
  CREATE INDEX tasks_generation_at ON tasks (json_extract(generation, '$.at')) WHERE generation IS NOT NULL;
  `,
  // 5: reads that grew with history. The all-time generation totals (each /metrics scrape) are kept
  // by triggers instead of summed over every task that made a video (275 ms at 100,000); a session's
  // notes (the model a user picked, read for each prompt) have an index of their own instead of a read
  // of the whole conversation.
  `
  CREATE TABLE generation_totals (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    videos INTEGER NOT NULL,
    cost REAL NOT NULL,
    PRIMARY KEY (provider, model)
  ) WITHOUT ROWID;
  INSERT INTO generation_totals (provider, model, videos, cost)
    SELECT COALESCE(json_extract(generation, '$.provider'), ''), COALESCE(json_extract(generation, '$.model'), ''), COUNT(*),
      COALESCE(SUM(json_extract(generation, '$.cost')), 0)
    FROM tasks WHERE generation IS NOT NULL GROUP BY 1, 2;
  CREATE TRIGGER tasks_generation_insert AFTER INSERT ON tasks WHEN new.generation IS NOT NULL BEGIN
    INSERT INTO generation_totals (provider, model, videos, cost)
      VALUES (COALESCE(json_extract(new.generation, '$.provider'), ''), COALESCE(json_extract(new.generation, '$.model'), ''), 1,
        COALESCE(json_extract(new.generation, '$.cost'), 0))
      ON CONFLICT (provider, model) DO UPDATE SET videos = videos + 1, cost = cost + excluded.cost;
  END;
  CREATE TRIGGER tasks_generation_update AFTER UPDATE OF generation ON tasks
    WHEN old.generation IS NOT new.generation BEGIN
    UPDATE generation_totals SET videos = videos - 1, cost = cost - COALESCE(json_extract(old.generation, '$.cost'), 0)
      WHERE old.generation IS NOT NULL AND provider = COALESCE(json_extract(old.generation, '$.provider'), '')
        AND model = COALESCE(json_extract(old.generation, '$.model'), '');
    INSERT INTO generation_totals (provider, model, videos, cost)
      SELECT COALESCE(json_extract(new.generation, '$.provider'), ''), COALESCE(json_extract(new.generation, '$.model'), ''), 1,
        COALESCE(json_extract(new.generation, '$.cost'), 0)
      WHERE new.generation IS NOT NULL
      ON CONFLICT (provider, model) DO UPDATE SET videos = videos + 1, cost = cost + excluded.cost;
  END;
  CREATE TRIGGER tasks_generation_delete AFTER DELETE ON tasks WHEN old.generation IS NOT NULL BEGIN
    UPDATE generation_totals SET videos = videos - 1, cost = cost - COALESCE(json_extract(old.generation, '$.cost'), 0)
      WHERE provider = COALESCE(json_extract(old.generation, '$.provider'), '') AND model = COALESCE(json_extract(old.generation, '$.model'), '');
  END;
  CREATE INDEX session_messages_notes ON session_messages (session_id, id) WHERE role = 'system';
  `,
  // 6: kept receipts forgotten oldest first by when they came, without reading every one kept.
  `
  CREATE INDEX kept_receipts_received ON kept_receipts (received_at);
  `,
  // 7: an index no query used (tasks by session and time) dropped: each new task wrote an entry at a
  // random place in it, a page of the commit of its own. A session's tasks are found by time.
  `
  DROP INDEX IF EXISTS tasks_sid_created;
  `,
];

export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file up to the current schema. Runs in one BEGIN IMMEDIATE transaction so that two
 * processes opening a fresh file at once apply each step exactly once.
 */
/** `target` stops at an older version: tests use it to make files as earlier releases wrote them. */
export const migrate = (db: DatabaseSync, now: number = Date.now(), target: number = STORE_SCHEMA_VERSION): void => {
  writeTransaction(db, () => {
    db.exec(MIGRATIONS_TABLE_SQL);
    const row = db
      .prepare('SELECT MAX(version) AS version FROM vidbot_migrations WHERE component = ?')
      .get(STORE_COMPONENT);
    const current = typeof row?.version === 'number' ? row.version : 0;
    if (current > STORE_SCHEMA_VERSION) {
      // An older vidbot must not write into tables whose meaning it does not know.
      throw vidbotError(
        'VIDBOT_STORE_FAILED',
        `The database schema (version ${current}) is newer than this vidbot supports (${STORE_SCHEMA_VERSION}).`,
        { hint: 'Upgrade vidbot, or point VIDBOT_DATA_DIR at another folder.', retryable: false },
      );
    }
    const record = db.prepare('INSERT INTO vidbot_migrations (component, version, applied_at) VALUES (?, ?, ?)');
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (version <= current || version > target) return;
      db.exec(sql);
      record.run(STORE_COMPONENT, version, now);
    });
  });
};
