/**
 * The ingest journal of the embedded store and queue. A decided unit (the claim, the user's words,
 * the task and its job, the answer) is appended as one line, and the webhook is answered once the
 * line is written: one write a turn of the event loop, where writing the unit's rows took seven
 * statements and a commit. A thread with its own connection then writes the rows, many units to a
 * transaction. The line is as durable as a commit in SQLite's WAL mode here (synchronous=NORMAL:
 * written, not flushed to disk), and after a crash the next process to open the database writes
 * what the journal holds and the tables do not.
 *
 * Until its rows are written a unit lives here: its claim answers a redelivery, its job counts in
 * the line, and the store makes every other call wait for the rows (settled), so no reader sees a
 * unit acknowledged and missing.
 */
import type { DatabaseSync } from 'node:sqlite';
import { vidbotError } from '../errors.ts';
import type { InboundClaim } from '../store/port.ts';
import type { DecidedUnit, IngestJournal } from '../store/sqlite/ingest.ts';
import { PROGRESS_TABLE_SQL, type JournalLine } from './apply.ts';
import { openJournalFiles } from './files.ts';
import type { JournalQueue } from './queue.ts';
import { recoverEvery } from './replay.ts';
import { createJournalWriter } from './writer.ts';
import { storeClosedError } from '../store/closed.ts';

export { type JournalQueue, journalQueueOf } from './queue.ts';
export { countAbandoned, recoveredText, replayJournals } from './replay.ts';

export interface IngestJournalOptions {
  /** The database file (not ':memory:'): the journal's files go beside it. */
  readonly file: string;
  /** The main thread's connection to it. */
  readonly db: DatabaseSync;
  readonly queue: JournalQueue;
  /** Told when the thread could not write for a while (it tries again). */
  readonly onWarning?: (message: string) => void;
  /** The journal's name among its database's (two words of [0-9a-z]); default from the pid and the time. */
  readonly id?: string;
  /** A new file past this size (default 8 MB). */
  readonly fileBytes?: number;
  /** How often to look for journals of processes that stopped (default 30 s). */
  readonly recoverEveryMs?: number;
}

export interface RunningJournal extends IngestJournal {
  /** Writes every unit, stops the thread and removes the files. */
  close(): Promise<void>;
}

/** How long a reader waits for journaled units to reach the tables: the main connection's busy_timeout. */
const SETTLE_WAIT_MS = 10_000;

/** How long a close waits for the thread to write what is journaled. */
const CLOSE_WAIT_MS = 15_000;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface Line {
  readonly text: string;
  readonly hasJob: boolean;
  readonly messageId: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** This turn's lines, and a promise of their being written that redeliveries wait on. */
interface Turn {
  readonly lines: Line[];
  readonly written: Promise<void>;
  readonly settle: (error?: unknown) => void;
}

const newTurn = (): Turn => {
  let settle: (error?: unknown) => void = () => {};
  const written = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Heard by the redeliveries that wait on it, if any.
  written.catch(() => {});
  return { lines: [], written, settle };
};

const busyError = () =>
  vidbotError('VIDBOT_STORE_FAILED', 'The database stayed busy: messages acknowledged a moment ago are not yet in its tables.', {
    hint: "Another process holds the database's write lock; vidbot keeps trying, and nothing acknowledged is lost.",
  });

export const createIngestJournal = (options: IngestJournalOptions): RunningJournal => {
  const { db, queue } = options;
  db.exec(PROGRESS_TABLE_SQL);
  const journal = options.id ?? `${process.pid}-${Date.now().toString(36)}`;
  const files = openJournalFiles(options.file, journal, options.fileBytes);
  const readProgress = db.prepare('SELECT jobs FROM ingest_journal_progress WHERE journal = ?');

  /** Journaled so far (units, and units with a job), and written to the tables so far. */
  let units = 0;
  let jobs = 0;
  let writtenUnits = 0;
  /** Journaled and not yet in the tables, oldest first; by message for redeliveries. */
  const pending: Array<{ readonly seq: number; readonly messageId: string }> = [];
  const claims = new Map<string, { readonly claim: InboundClaim; readonly written: Promise<void> }>();
  let turn: Turn | undefined;
  /** The queue's line and the journal's progress, read once a turn in one snapshot. */
  let line: { readonly queued: number; readonly writtenJobs: number } | undefined;
  let waiters: Waiter[] = [];
  let closing = false;

  const written = (upTo: number): void => {
    writtenUnits = Math.max(writtenUnits, upTo);
    while (pending[0] !== undefined && pending[0].seq <= writtenUnits) claims.delete((pending.shift() as { messageId: string }).messageId);
    files.release(writtenUnits);
    // Every unit counted is in the tables, those of the turn not yet written to the file included.
    if (writtenUnits === units) files.emptied();
    if (waiters.some((waiter) => waiter.seq <= writtenUnits)) {
      const ready = waiters.filter((waiter) => waiter.seq <= writtenUnits);
      waiters = waiters.filter((waiter) => waiter.seq > writtenUnits);
      for (const waiter of ready) waiter.resolve();
    }
  };

  const writer = createJournalWriter({
    file: options.file,
    journal,
    queue: queue.queueName,
    db,
    onWritten: (upTo, added) => {
      written(upTo);
      if (added) queue.addedElsewhere();
    },
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });

  const stopRecovering = recoverEvery(db, options.file, queue, options.onWarning, options.recoverEveryMs);

  /** Nothing of the turn is journaled: its units are taken back, and their requests fail. */
  const takeBack = (batch: readonly Line[], error: unknown): void => {
    units -= batch.length;
    jobs -= batch.filter((each) => each.hasJob).length;
    for (const each of batch) {
      claims.delete(each.messageId);
      pending.pop();
    }
    // Whoever waits for units up to one taken back waits for the last one kept.
    waiters = waiters.map((waiter) => (waiter.seq > units ? { seq: units, resolve: waiter.resolve } : waiter));
    written(writtenUnits);
    const failure = vidbotError('VIDBOT_STORE_FAILED', `Cannot write the ingest journal: ${(error as Error).message}`, { cause: error });
    for (const each of batch) each.reject(failure);
  };

  const flush = (): void => {
    const ending = turn;
    turn = undefined;
    line = undefined;
    if (ending === undefined || ending.lines.length === 0) return;
    const text = ending.lines.map((each) => each.text).join('');
    try {
      files.append(text, units);
    } catch (error) {
      takeBack(ending.lines, error);
      ending.settle(error);
      return;
    }
    writer.hand(text, units);
    for (const each of ending.lines) each.resolve();
    ending.settle();
  };

  return {
    pendingClaim(messageId) {
      const found = claims.get(messageId);
      return found === undefined ? undefined : found.written.then(() => found.claim);
    },

    lineLength() {
      if (line === undefined) {
        const inTransaction = db.isTransaction;
        if (!inTransaction) db.exec('BEGIN');
        try {
          const queued = queue.lineLengthWithin();
          const row = readProgress.get(journal) as { jobs: number } | undefined;
          line = { queued, writtenJobs: row?.jobs ?? 0 };
        } finally {
          if (!inTransaction) db.exec('COMMIT');
        }
      }
      return line.queued + (jobs - line.writtenJobs);
    },

    append(unit: DecidedUnit) {
      if (closing) return Promise.reject(storeClosedError());
      const task = unit.task;
      const job = task?.jobId === undefined ? undefined : queue.rowOf(task);
      units += 1;
      if (job !== undefined) jobs += 1;
      const entry: JournalLine = { seq: units, unit, ...(job ? { job } : {}) };
      if (turn === undefined) {
        turn = newTurn();
        // After the turn's I/O callbacks: requests that arrived together are written together.
        setImmediate(flush);
      }
      const current = turn;
      const claim: InboundClaim = {
        messageId: unit.messageId,
        from: unit.from,
        receivedAt: unit.receivedAt,
        reply: unit.answer.text,
        ...(task ? { taskId: task.taskId } : {}),
      };
      pending.push({ seq: units, messageId: unit.messageId });
      claims.set(unit.messageId, { claim, written: current.written });
      return new Promise<void>((resolve, reject) => {
        current.lines.push({ text: `${JSON.stringify(entry)}\n`, hasJob: job !== undefined, messageId: unit.messageId, resolve, reject });
      });
    },

    flush,

    backlog: () => units - writtenUnits,

    settled() {
      if (writtenUnits >= units) return undefined;
      const seq = units;
      return new Promise<void>((resolve, reject) => {
        // As a write waits for another process's lock (busy_timeout), and then fails: a caller is not held for ever.
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.resolve !== done);
          reject(busyError());
        }, SETTLE_WAIT_MS);
        timer.unref();
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ seq, resolve: done });
      });
    },

    async close() {
      if (closing) return;
      stopRecovering();
      flush();
      closing = true;
      // A process that journaled nothing (a CLI command) has no file, no thread and no row to remove.
      if (units === 0) return;
      // A database that stays locked must not hold the close for ever: the journal then stays for the replay.
      let timer: NodeJS.Timeout | undefined;
      const allWritten =
        writtenUnits >= units ||
        (await Promise.race([
          new Promise<boolean>((resolve) => waiters.push({ seq: units, resolve: () => resolve(true) })),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS))),
        ]));
      clearTimeout(timer);
      await writer.stop(allWritten);
      if (writtenUnits < units) {
        // Left for the next process to open the database: unlocked, so it does not wait for this one to end.
        files.letGo();
        return;
      }
      files.removeAll();
      writer.forget();
    },
  };
};
