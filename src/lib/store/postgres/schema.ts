/**
 * The store's tables: the seed bot's collections (sessions, tasks, videos, cache) as tables, with
 * the SQLite store's column names, plus vidbot's inbound and outbound messages, kept receipts and
 * the health probe. Times are epoch milliseconds (BIGINT), as in the other stores. `seq` gives
 * insertion order, which breaks ties between rows created in the same millisecond.
 *
 * Structured values are `json`, not `jsonb`: json keeps the text as written (key order, and the
 * \u0000 or lone-surrogate escapes JSON.stringify makes of what a user pasted), as SQLite's text does.
 */
import { vidbotError } from '../../errors.ts';
import type { Db } from './pool.ts';

export const STORE_COMPONENT = 'store';

/** Applied in order, each once; append new steps, never edit shipped ones. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE session_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    meta JSON,
    ts BIGINT NOT NULL
  );
  CREATE INDEX session_messages_session ON session_messages (session_id, id);

  CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_sid TEXT,
    job_id TEXT,
    channel TEXT,
    prompt TEXT NOT NULL,
    sid TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    options JSON NOT NULL,
    status TEXT NOT NULL,
    stage TEXT,
    progress INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    polished_prompt TEXT,
    remote_job_id TEXT,
    remote_job_requested_at BIGINT,
    file_path TEXT,
    cloud_url TEXT,
    media_id TEXT,
    video_id TEXT,
    cache_hit BOOLEAN,
    error TEXT,
    error_code TEXT,
    cancel_requested BOOLEAN,
    delivery JSON
  );
  CREATE UNIQUE INDEX tasks_message_sid ON tasks (message_sid) WHERE message_sid IS NOT NULL;
  CREATE INDEX tasks_created ON tasks (created_at, seq);
  CREATE INDEX tasks_from_created ON tasks (from_addr, created_at);
  CREATE INDEX tasks_sid_created ON tasks (sid, created_at);
  CREATE INDEX tasks_status_created ON tasks (status, created_at);
  CREATE INDEX tasks_status_updated ON tasks (status, updated_at);

  CREATE TABLE videos (
    video_id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    task_id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    path TEXT NOT NULL,
    prompt TEXT NOT NULL,
    session_id TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    cloud_url TEXT,
    media_id TEXT,
    size_bytes BIGINT NOT NULL,
    duration_sec DOUBLE PRECISION NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX videos_created ON videos (created_at, seq);
  CREATE INDEX videos_from_created ON videos (from_addr, created_at);
  CREATE INDEX videos_session_created ON videos (session_id, created_at);

  CREATE TABLE cache (
    key TEXT PRIMARY KEY,
    prompt_norm TEXT NOT NULL,
    file_path TEXT NOT NULL,
    video_id TEXT,
    meta JSON,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX cache_prompt_norm ON cache (prompt_norm);

  CREATE TABLE inbound_messages (
    message_sid TEXT PRIMARY KEY,
    from_addr TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    reply TEXT,
    task_id TEXT
  );
  CREATE INDEX inbound_from_received ON inbound_messages (from_addr, received_at);

  CREATE TABLE outbound_messages (
    out_id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id TEXT,
    channel TEXT,
    to_addr TEXT NOT NULL,
    body TEXT,
    media_url TEXT,
    task_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX outbound_message_id ON outbound_messages (message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX outbound_created ON outbound_messages (created_at, seq);
  CREATE INDEX outbound_task ON outbound_messages (task_id, created_at);
  CREATE INDEX outbound_to ON outbound_messages (to_addr, created_at);
  CREATE INDEX outbound_status_updated ON outbound_messages (status, updated_at);

  CREATE TABLE kept_receipts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    received_at BIGINT NOT NULL
  );
  CREATE INDEX kept_receipts_message ON kept_receipts (message_id, id);

  CREATE TABLE vidbot_probe (key TEXT PRIMARY KEY, at BIGINT NOT NULL);
  `,
  // 2: failover and cost. The provider that holds a task's remote job; who made its video and what
  // it cost, summed by the day for the budget (hence the index on when it was made).
  `
  ALTER TABLE tasks ADD COLUMN remote_provider TEXT;
  ALTER TABLE tasks ADD COLUMN generation JSON;
  CREATE INDEX tasks_generation_at ON tasks (((generation->>'at')::bigint)) WHERE generation IS NOT NULL;
  `,
  // 3: reads that grew with history. A session's notes (the model a user picked, read for each
  // prompt) have an index of their own; the all-time generation totals (each /metrics scrape) are
  // kept by a trigger instead of summed over every task that made a video.
  `
  CREATE INDEX session_messages_notes ON session_messages (session_id, id) WHERE role = 'system';
  CREATE TABLE generation_totals (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    videos BIGINT NOT NULL,
    cost DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (provider, model)
  );
  INSERT INTO generation_totals (provider, model, videos, cost)
    SELECT COALESCE(generation->>'provider', ''), COALESCE(generation->>'model', ''), COUNT(*),
      COALESCE(SUM((generation->>'cost')::double precision), 0)
    FROM tasks WHERE generation IS NOT NULL GROUP BY 1, 2;
  CREATE FUNCTION vidbot_generation_totals() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.generation IS NOT NULL THEN
      UPDATE generation_totals
        SET videos = videos - 1, cost = cost - COALESCE((OLD.generation->>'cost')::double precision, 0)
        WHERE provider = COALESCE(OLD.generation->>'provider', '') AND model = COALESCE(OLD.generation->>'model', '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.generation IS NOT NULL THEN
      INSERT INTO generation_totals (provider, model, videos, cost)
        VALUES (COALESCE(NEW.generation->>'provider', ''), COALESCE(NEW.generation->>'model', ''), 1,
          COALESCE((NEW.generation->>'cost')::double precision, 0))
        ON CONFLICT (provider, model) DO UPDATE
          SET videos = generation_totals.videos + 1, cost = generation_totals.cost + EXCLUDED.cost;
    END IF;
    RETURN NULL;
  END $$;
  -- The tables of the schema migrated into, whatever the search_path of the session writing a task.
  ALTER FUNCTION vidbot_generation_totals() SET search_path FROM CURRENT;
  CREATE TRIGGER tasks_generation_totals AFTER INSERT OR UPDATE OF generation OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION vidbot_generation_totals();
  `,
  // 4: kept receipts forgotten oldest first by when they came, without reading every one kept
  // (a seq scan a batch, 80 ms a batch behind 200,000 of them).
  `
  CREATE INDEX kept_receipts_received ON kept_receipts (received_at);
  `,
];

export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

/** One lock id for every vidbot store migration on a server ('vidb' as ASCII bytes). */
const MIGRATION_LOCK = 0x76696462;

/**
 * Brings the database up to the current schema in one transaction, under an advisory lock, so
 * that processes starting at once against a fresh database apply each step exactly once.
 * `target` stops at an older version: tests use it to make databases as earlier releases wrote them.
 */
export const migrate = async (db: Db, target: number = STORE_SCHEMA_VERSION): Promise<void> =>
  db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q.query(`CREATE TABLE IF NOT EXISTS vidbot_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at BIGINT NOT NULL,
      PRIMARY KEY (component, version)
    )`);
    const { rows } = await q.query('SELECT MAX(version) AS version FROM vidbot_migrations WHERE component = $1', [STORE_COMPONENT]);
    const current = Number(rows[0]?.version ?? 0);
    if (current > STORE_SCHEMA_VERSION) {
      // An older vidbot must not write into tables whose meaning it does not know.
      throw vidbotError(
        'VIDBOT_STORE_FAILED',
        `The database schema (version ${current}) is newer than this vidbot supports (${STORE_SCHEMA_VERSION}).`,
        { hint: 'Upgrade vidbot, or point DATABASE_URL at another database.', retryable: false },
      );
    }
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (version <= current || version > target) continue;
      await q.query(sql);
      await q.query('INSERT INTO vidbot_migrations (component, version, applied_at) VALUES ($1, $2, $3)', [
        STORE_COMPONENT,
        version,
        db.now(),
      ]);
    }
  });
