/**
 * Group commit: work handed in during one turn of the event loop shares one write transaction
 * (BEGIN IMMEDIATE ... COMMIT), each piece in a SAVEPOINT of its own, so one failing piece fails
 * only its caller. Every caller hears back after the COMMIT: nothing is acknowledged before it is
 * durable. A failure that ends the whole transaction (SQLite rolls back by itself on a full disk or
 * an I/O error) or a failing COMMIT fails every piece of the batch.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface GroupCommit {
  /** Runs `work` (synchronous) in the next batch's transaction; resolves once that is committed. */
  run<T>(work: () => T): Promise<T>;
  /** Commits what is pending now, without waiting for the turn to end (before the connection closes). */
  flush(): void;
}

interface Piece {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Result = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** The statements around each piece, prepared once: parsing them per piece cost more than a small insert. */
interface Savepoints {
  readonly open: StatementSync;
  readonly release: StatementSync;
  readonly rollback: StatementSync;
}

/** Runs one piece in its savepoint; throws only when the whole transaction is gone with it. */
const runPiece = (db: DatabaseSync, savepoint: Savepoints, piece: Piece): Result => {
  savepoint.open.run();
  try {
    const value = piece.work();
    savepoint.release.run();
    return { ok: true, value };
  } catch (error) {
    if (!db.isTransaction) throw error;
    savepoint.rollback.run();
    savepoint.release.run();
    return { ok: false, error };
  }
};

const commitBatch = (db: DatabaseSync, savepoint: Savepoints, batch: readonly Piece[]): void => {
  const results: Result[] = [];
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const piece of batch) results.push(runPiece(db, savepoint, piece));
    db.exec('COMMIT');
  } catch (error) {
    try {
      if (db.isTransaction) db.exec('ROLLBACK');
    } catch {
      // The error that ended the batch is the one to report.
    }
    for (const piece of batch) piece.reject(error);
    return;
  }
  batch.forEach((piece, index) => {
    const result = results[index];
    if (result?.ok === true) piece.resolve(result.value);
    else piece.reject(result?.error);
  });
};

export const createGroupCommit = (db: DatabaseSync): GroupCommit => {
  let pending: Piece[] = [];
  let scheduled = false;
  let savepoint: Savepoints | undefined;

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      // Prepared on the first batch (a closed connection fails it, and the batch with it).
      savepoint ??= { open: db.prepare('SAVEPOINT piece'), release: db.prepare('RELEASE piece'), rollback: db.prepare('ROLLBACK TO piece') };
    } catch (error) {
      for (const piece of batch) piece.reject(error);
      return;
    }
    commitBatch(db, savepoint, batch);
  };

  return {
    run: <T>(work: () => T) =>
      new Promise<T>((resolve, reject) => {
        pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // After the turn's I/O callbacks: requests that arrived together commit together.
          setImmediate(flush);
        }
      }),
    flush,
  };
};
