/**
 * The embedded store: one SQLite file (WAL) that several processes may open at once. Every
 * read-modify-write runs in BEGIN IMMEDIATE and every uniqueness rule is a UNIQUE index, so
 * idempotent creation holds across connections, not just within one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isVidbotError, vidbotError, type VidbotError } from '../../errors.ts';
import { createCheckpointer } from '../../sqlite/checkpointer.ts';
import { createGroupCommit } from '../../sqlite/group-commit.ts';
import { openDatabase, statementCache, writeTransaction } from '../../sqlite/open.ts';
import { ingestInSteps, isCallerError } from '../ingest-steps.ts';
import type { Store } from '../port.ts';
import type { Conn, SyncOps } from './conn.ts';
import { type IngestJournal, type SharedJobs, sqliteIngest } from './ingest.ts';
import { createJournalTurn } from './journal-turn.ts';
import { cacheOps, videoOps } from './media.ts';
import { inboundOps, outboundOps, sessionOps } from './messages.ts';
import { migrate } from './schema.ts';
import { taskOps } from './tasks.ts';
import { storeClosedError } from '../closed.ts';

export interface SqliteStoreOptions {
  /** Path of the database file (created with its folder when missing), or ':memory:'; with `db`, the file it has open. */
  readonly file?: string;
  /**
   * An open connection to use instead of opening `file`; it stays the caller's to close. The
   * embedded queue shares it, so a task and its job are written in one transaction.
   */
  readonly db?: DatabaseSync;
  /**
   * The embedded queue on `db`: it adds each new task's job inside createTask's transaction, and an
   * ingest reads the job's place in line inside its own.
   */
  readonly jobs?: SharedJobs;
  /**
   * With `jobs`: an ingested unit is appended here and written into the tables by the journal
   * (src/lib/ingest-journal), and every other call first waits for what was appended before it.
   */
  readonly journal?: IngestJournal;
  /**
   * 'background' moves WAL checkpoints to a thread once messages are ingested (see
   * sqlite/checkpointer.ts), so no webhook waits on them; it needs `file`, also beside `db`.
   * Default 'inline', SQLite's own.
   */
  readonly checkpoints?: 'inline' | 'background';
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

  const statements = statementCache(db);
  // Inside a group commit's piece the batch's transaction is the one: no BEGIN of its own.
  let inPiece = 0;
  const conn: Conn = {
    sql: statements.sql,
    tx: (fn) => (inPiece > 0 ? fn() : writeTransaction(db, fn)),
    now: () => Date.now(),
  };

  const ops: SyncOps = {
    ...sessionOps(conn),
    ...taskOps(conn, options.jobs?.add),
    ...videoOps(conn),
    ...cacheOps(conn),
    ...inboundOps(conn),
    ...outboundOps(conn),
  };

  const ingest = sqliteIngest(conn, ops);
  const checkpointer =
    options.checkpoints === 'background' && options.file !== undefined ? createCheckpointer(db, options.file) : undefined;
  const batch = createGroupCommit(db);
  const piece =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): Promise<R> =>
      batch.run(() => {
        inPiece += 1;
        try {
          return fn(...args);
        } finally {
          inPiece -= 1;
        }
      });
  const openInPiece = piece(ingest.open);
  const closeInPiece = piece(ingest.close);
  const wholeInPiece = piece(ingest.whole);

  let closed = false;
  // node:sqlite is synchronous; each call runs to completion before the promise settles, so no
  // transaction ever stays open across an await.
  const { journal } = options;
  const journaledInTurn = journal === undefined ? undefined : createJournalTurn(db, ingest, journal);
  const call =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      if (closed) throw storeClosedError();
      // Units acknowledged before this call are in the tables before it reads or writes them.
      const behind = journal?.settled();
      if (behind !== undefined) await behind;
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
    latestNote: call(ops.latestNote),
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
    async ingest(unit) {
      if (closed) throw storeClosedError();
      checkpointer?.start();
      try {
        const { jobs } = options;
        if (jobs !== undefined && journaledInTurn !== undefined) return await journaledInTurn(unit);
        if (jobs !== undefined) return await wholeInPiece(unit, jobs);
        return await ingestInSteps({ open: openInPiece, close: closeInPiece }, unit);
      } catch (error) {
        throw isCallerError(error) ? error : toStoreError(error);
      }
    },
    lastInboundAt: call(ops.lastInboundAt),
    recordOutbound: call(ops.recordOutbound),
    findOutbound: call(ops.findOutbound),
    listOutbound: call(ops.listOutbound),
    updateOutbound: call(ops.updateOutbound),
    keepReceipt: call(ops.keepReceipt),
    takeReceipts: call(ops.takeReceipts),
    forgetKeptReceipts: call(ops.forgetKeptReceipts),
    probeWrite: call(ops.probeWrite),
    close: async () => {
      if (closed) return;
      closed = true;
      // What was handed in before the close is committed, not dropped.
      batch.flush();
      await checkpointer?.stop();
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
