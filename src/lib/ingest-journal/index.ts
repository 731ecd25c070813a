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
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { vidbotError } from '../errors.ts';
import type { NewJobRow } from '../queue/sqlite/jobs.ts';
import type { InboundClaim, Task } from '../store/port.ts';
import type { DecidedUnit, IngestJournal } from '../store/sqlite/ingest.ts';
import { PROGRESS_TABLE_SQL, createApplier, parseLines, type JournalLine } from './apply.ts';
import { abandonedJournals, openJournalFiles } from './files.ts';
import type { FromThread, ThreadData } from './messages.ts';

/** What the journal needs of the embedded queue (SqliteJobQueue). */
export interface JournalQueue {
  readonly queueName: string;
  /** The job row of a task, as the queue adds it. */
  rowOf(task: Task): NewJobRow;
  lineLengthWithin(): number;
  addedElsewhere(): void;
}

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

/**
 * Writes into the tables what journals of processes that are gone hold (a crash), then removes
 * them. Returns how many units were not yet there.
 */
export const replayJournals = (db: DatabaseSync, file: string, queue: string): number => {
  const found = abandonedJournals(file);
  if (found.length === 0) return 0;
  db.exec(PROGRESS_TABLE_SQL);
  const applier = createApplier(db, queue);
  let written = 0;
  for (const [index, journal] of found.entries()) {
    const lines = parseLines(journal.read());
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const line of lines) if (applier.apply(line)) written += 1;
      applier.forget(journal.journal);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      for (const left of found.slice(index)) left.leave();
      throw vidbotError('VIDBOT_STORE_FAILED', `Cannot write the messages journaled in ${journal.paths[0] ?? file}: ${(error as Error).message}`, {
        cause: error,
        hint: 'The journal is kept; vidbot writes it the next time it opens the database.',
      });
    }
    journal.remove();
  }
  return written;
};

/** The thread's module beside this one: .ts in development, .js once built. */
const threadUrl = (): URL => new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export const createIngestJournal = (options: IngestJournalOptions): RunningJournal => {
  const { db, queue } = options;
  db.exec(PROGRESS_TABLE_SQL);
  const journal = options.id ?? `${process.pid.toString(36)}-${Date.now().toString(36)}`;
  const files = openJournalFiles(options.file, journal, options.fileBytes);
  const readProgress = db.prepare('SELECT jobs FROM ingest_journal_progress WHERE journal = ?');

  /** Journaled so far (units, and units with a job), and written to the tables so far. */
  let units = 0;
  let jobs = 0;
  let writtenUnits = 0;
  let writtenJobs = 0;
  /** Journaled and not yet in the tables, oldest first; by message for redeliveries. */
  const pending: Array<{ readonly seq: number; readonly messageId: string }> = [];
  const claims = new Map<string, { readonly claim: InboundClaim; readonly durable: Promise<void> }>();
  /** This turn's lines, written together at its end. */
  let lines: Array<{ readonly text: string; readonly hasJob: boolean; readonly messageId: string; readonly resolve: () => void; readonly reject: (error: unknown) => void }> = [];
  let turnWritten: Promise<void> | undefined;
  let endTurn: (() => void) | undefined;
  /** The queue's line and the journal's progress, read once a turn in one snapshot. */
  let line: { readonly queued: number; readonly writtenJobs: number } | undefined;
  let waiters: Waiter[] = [];
  let thread: Worker | undefined;
  let threadGone: Error | undefined;
  /** Texts handed to the thread and not yet written by it, for the main thread to write if it dies. */
  const handed: Array<{ readonly lastSeq: number; readonly text: string }> = [];
  let closing = false;

  const written = (upTo: number): void => {
    writtenUnits = Math.max(writtenUnits, upTo);
    while (pending[0] !== undefined && pending[0].seq <= writtenUnits) claims.delete((pending.shift() as { messageId: string }).messageId);
    while (handed[0] !== undefined && handed[0].lastSeq <= writtenUnits) handed.shift();
    files.release(writtenUnits);
    const ready = waiters.filter((waiter) => waiter.seq <= writtenUnits);
    if (ready.length > 0) {
      waiters = waiters.filter((waiter) => waiter.seq > writtenUnits);
      for (const waiter of ready) waiter.resolve();
    }
  };

  // The thread died (it should not): the main thread writes what it was handed and, from then on,
  // each turn's units itself, as the store did before the journal.
  const applier = createApplier(db, queue.queueName);
  const writeHere = (texts: readonly string[], lastSeq: number): void => {
    const parsed = texts.flatMap(parseLines);
    const withJobs = writtenJobs + parsed.filter((each) => each.job !== undefined).length;
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const each of parsed) applier.apply(each);
      applier.progress(journal, lastSeq, withJobs);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
    writtenJobs = withJobs;
    written(lastSeq);
    if (parsed.some((each) => each.job !== undefined)) queue.addedElsewhere();
  };

  const onThreadGone = (error: Error): void => {
    if (threadGone !== undefined) return;
    threadGone = error;
    thread = undefined;
    options.onWarning?.(`The ingest journal's writer stopped (${error.message}); the main thread writes the journal's units from now on.`);
    const texts = handed.splice(0);
    if (texts.length > 0) writeHere(texts.map((each) => each.text), texts.at(-1)?.lastSeq ?? writtenUnits);
  };

  const startThread = (): Worker => {
    const data: ThreadData = { file: options.file, journal, queue: queue.queueName };
    const started = new Worker(threadUrl(), { workerData: data });
    started.on('message', (message: FromThread) => {
      if ('failed' in message) {
        options.onWarning?.(`The ingest journal's writer could not write to the database (${message.failed}); it tries again.`);
        return;
      }
      writtenJobs = message.jobs;
      written(message.units);
      if (message.added) queue.addedElsewhere();
    });
    started.on('error', onThreadGone);
    started.on('exit', (code) => {
      if (!closing) onThreadGone(new Error(`exited with code ${code}`));
    });
    // Journaled units are safe without it: a process left with nothing else to do may end.
    started.unref();
    return started;
  };

  const flush = (): void => {
    const batch = lines;
    const done = endTurn;
    lines = [];
    endTurn = undefined;
    turnWritten = undefined;
    line = undefined;
    if (batch.length === 0) return;
    const text = batch.map((each) => each.text).join('');
    try {
      files.append(text, units);
    } catch (error) {
      // Nothing of the turn is journaled: its units are taken back, and their requests fail.
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
      done?.();
      return;
    }
    if (threadGone === undefined) {
      thread ??= startThread();
      handed.push({ lastSeq: units, text });
      thread.postMessage(text);
    } else {
      try {
        writeHere([text], units);
      } catch (error) {
        options.onWarning?.(`Cannot write journaled messages to the database (${(error as Error).message}); they are written when vidbot next opens it.`);
      }
    }
    for (const each of batch) each.resolve();
    done?.();
  };

  return {
    pendingClaim(messageId) {
      const found = claims.get(messageId);
      return found === undefined ? undefined : found.durable.then(() => found.claim);
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
      if (closing) return Promise.reject(vidbotError('VIDBOT_STORE_FAILED', 'The store is closed.', { retryable: false }));
      const task = unit.task;
      const job = task?.jobId === undefined ? undefined : queue.rowOf(task);
      units += 1;
      if (job !== undefined) jobs += 1;
      const entry: JournalLine = { seq: units, unit, ...(job ? { job } : {}) };
      if (turnWritten === undefined) {
        turnWritten = new Promise<void>((resolve) => {
          endTurn = resolve;
        });
        // After the turn's I/O callbacks: requests that arrived together are written together.
        setImmediate(flush);
      }
      const claim: InboundClaim = {
        messageId: unit.messageId,
        from: unit.from,
        receivedAt: unit.receivedAt,
        reply: unit.answer.text,
        ...(task ? { taskId: task.taskId } : {}),
      };
      pending.push({ seq: units, messageId: unit.messageId });
      claims.set(unit.messageId, { claim, durable: turnWritten });
      return new Promise<void>((resolve, reject) => {
        lines.push({ text: `${JSON.stringify(entry)}\n`, hasJob: job !== undefined, messageId: unit.messageId, resolve, reject });
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
          reject(
            vidbotError('VIDBOT_STORE_FAILED', 'The database stayed busy: messages acknowledged a moment ago are not yet in its tables.', {
              hint: 'Another process holds the database\'s write lock; vidbot keeps trying, and nothing acknowledged is lost.',
            }),
          );
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
      flush();
      const rest = units > writtenUnits ? new Promise<void>((resolve) => waiters.push({ seq: units, resolve })) : undefined;
      closing = true;
      const running = thread;
      thread = undefined;
      if (running !== undefined) {
        running.ref();
        const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
        // A database that stays locked must not hold the close for ever: the journal then stays for the replay.
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS)));
        const allWritten = await Promise.race([rest === undefined ? true : rest.then(() => true), timedOut]);
        clearTimeout(timer);
        if (allWritten) running.postMessage('stop');
        else void running.terminate();
        await exited;
      }
      if (writtenUnits < units) return;
      files.removeAll();
      applier.forget(journal);
    },
  };
};
