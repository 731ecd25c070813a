/**
 * The embedded store: one SQLite file (WAL) that several processes may open at once. Every
 * read-modify-write runs in BEGIN IMMEDIATE and every uniqueness rule is a UNIQUE index, so
 * idempotent creation holds across connections, not just within one.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { isVidbotError, vidbotError, type VidbotError } from '../../errors.ts';
import { openDatabase, writeTransaction } from '../../sqlite/open.ts';
import type { Store, Task } from '../port.ts';
import type { Conn, SyncOps } from './conn.ts';
import { cacheOps, videoOps } from './media.ts';
import { inboundOps, outboundOps, sessionOps } from './messages.ts';
import { migrate } from './schema.ts';
import { taskOps } from './tasks.ts';

export interface SqliteStoreOptions {
  /** Path of the database file (created with its folder when missing), or ':memory:'. */
  readonly file?: string;
  /**
   * An open connection to use instead of opening `file`; it stays the caller's to close. The
   * embedded queue shares it, so a task and its job are written in one transaction.
   */
  readonly db?: DatabaseSync;
  /** Runs inside createTask's transaction for each new task that has a job (the embedded queue adds the job). */
  readonly onTaskCreated?: (task: Task) => void;
}

// SQLite primary result codes (the low byte of extended codes).
const SQLITE_CONSTRAINT = 19;

const toStoreError = (error: unknown): VidbotError => {
  if (isVidbotError(error)) return error;
  const errcode = (error as { errcode?: unknown }).errcode;
  const primary = typeof errcode === 'number' ? errcode & 0xff : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return vidbotError('VIDBOT_STORE_FAILED', `The SQLite store failed: ${message}`, {
    cause: error,
    // A constraint violation fails the same way again; busy, locked or I/O errors may not.
    ...(primary === SQLITE_CONSTRAINT ? { retryable: false } : {}),
  });
};

export const createSqliteStore = (options: SqliteStoreOptions): Store => {
  const owned = options.db === undefined;
  if (owned && options.file === undefined) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'createSqliteStore needs a file or a db.');
  const db: DatabaseSync = options.db ?? openDatabase(options.file ?? ':memory:');
  try {
    migrate(db);
  } catch (error) {
    if (owned) db.close();
    throw toStoreError(error);
  }

  const statements = new Map<string, StatementSync>();
  const conn: Conn = {
    sql: (text) => {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    tx: (fn) => writeTransaction(db, fn),
    now: () => Date.now(),
  };

  const ops: SyncOps = {
    ...sessionOps(conn),
    ...taskOps(conn, options.onTaskCreated),
    ...videoOps(conn),
    ...cacheOps(conn),
    ...inboundOps(conn),
    ...outboundOps(conn),
  };

  let closed = false;
  // node:sqlite is synchronous; each call runs to completion before the promise settles, so no
  // transaction ever stays open across an await.
  const call =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      if (closed) throw vidbotError('VIDBOT_STORE_FAILED', 'The store is closed.', { retryable: false });
      try {
        return fn(...args);
      } catch (error) {
        throw toStoreError(error);
      }
    };

  return {
    name: 'sqlite',
    shared: false,
    appendMessage: call(ops.appendMessage),
    getSession: call(ops.getSession),
    createTask: call(ops.createTask),
    getTask: call(ops.getTask),
    updateTask: call(ops.updateTask),
    transitionTask: call(ops.transitionTask),
    listTasks: call(ops.listTasks),
    countTasks: call(ops.countTasks),
    generationCosts: call(ops.generationCosts),
    addVideo: call(ops.addVideo),
    getVideo: call(ops.getVideo),
    listVideos: call(ops.listVideos),
    getCache: call(ops.getCache),
    putCache: call(ops.putCache),
    deleteCache: call(ops.deleteCache),
    claimInbound: call(ops.claimInbound),
    updateInbound: call(ops.updateInbound),
    lastInboundAt: call(ops.lastInboundAt),
    recordOutbound: call(ops.recordOutbound),
    findOutbound: call(ops.findOutbound),
    listOutbound: call(ops.listOutbound),
    updateOutbound: call(ops.updateOutbound),
    keepReceipt: call(ops.keepReceipt),
    takeReceipts: call(ops.takeReceipts),
    probeWrite: call(ops.probeWrite),
    close: async () => {
      if (closed) return;
      closed = true;
      statements.clear();
      if (!owned) return;
      try {
        db.close();
      } catch (error) {
        throw toStoreError(error);
      }
    },
  };
};
