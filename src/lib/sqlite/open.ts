import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { vidbotError } from '../errors.ts';
import { makeDirsSync } from '../files.ts';

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
}

/** The WAL file's size kept once it restarts. */
const WAL_KEPT_BYTES = 32 * 1024 * 1024;

/** Each connection's page cache at most, in KiB. */
const CACHE_KIB = 32 * 1024;

/**
 * Opens (creating when needed) the SQLite file shared by the embedded store and queue, in WAL mode
 * so that readers never block the writer and several processes can share it.
 */
export const openDatabase = (file: string, options: OpenDatabaseOptions = {}): DatabaseSync => {
  if (file !== ':memory:') {
    try {
      makeDirsSync(dirname(file));
    } catch (error) {
      throw vidbotError('VIDBOT_STORE_FAILED', `Cannot create the folder of the database ${file}: ${(error as Error).message}`, {
        cause: error,
        retryable: false,
        hint: 'Set VIDBOT_DATA_DIR to a folder you can write to.',
      });
    }
  }
  try {
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    // A savepoint's undo pages (each ingested message has one) stay in memory, not in a temp file.
    db.exec('PRAGMA temp_store = MEMORY');
    // Each message lands at a random place in the indexes keyed by sender and by message id; with
    // SQLite's default 2 MB of cache a busy bot read those pages from disk again for every message
    // (writes 40 % dearer at 100,000 senders). Filled only as pages are used.
    db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
    // A burst grows the WAL (up to the checkpointer's safety net, sqlite/checkpointer.ts); once it
    // restarts, what is past this is given back to the disk rather than kept for the next burst.
    db.exec(`PRAGMA journal_size_limit = ${WAL_KEPT_BYTES}`);
    return db;
  } catch (error) {
    // SQLITE_NOTADB: another program's file (or a damaged one) where vidbot keeps its database.
    const notADatabase = ((error as { errcode?: number }).errcode ?? 0) % 256 === 26;
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot open the database ${file}: ${(error as Error).message}`, {
      cause: error,
      retryable: false,
      ...(notADatabase ? { hint: `Move ${file} away (vidbot starts a new one), or point VIDBOT_DATA_DIR at the folder of the right one.` } : {}),
    });
  }
};

/** Runs fn in a write transaction taken up front (BEGIN IMMEDIATE), so read-then-write is atomic across processes. */
export const writeTransaction = <T>(db: DatabaseSync, fn: () => T): T => {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // SQLite rolls back by itself after some errors (a full disk, I/O errors): then ROLLBACK fails
    // with "no transaction is active", which must not hide the error that caused it.
    try {
      if (db.isTransaction) db.exec('ROLLBACK');
    } catch {
      // The original error is the one worth reporting.
    }
    throw error;
  }
};

export interface StatementCache {
  /** The statement prepared once per connection (parsing it each time cost more than a small insert). */
  sql(text: string): StatementSync;
  clear(): void;
}

export const statementCache = (db: DatabaseSync): StatementCache => {
  const statements = new Map<string, StatementSync>();
  return {
    sql(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    clear: () => statements.clear(),
  };
};
