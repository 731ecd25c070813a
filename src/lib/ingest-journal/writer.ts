/**
 * Who writes journaled units into the tables: a thread with its own connection (thread.ts),
 * started with the first unit. Should it die, the main thread writes what it had been handed, and
 * every unit after, on its own connection, as the store did before the journal.
 */
import type { DatabaseSync } from 'node:sqlite';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createApplier, parseLines } from './apply.ts';
import type { FromThread, ThreadData } from './messages.ts';

export interface JournalWriterOptions {
  readonly file: string;
  readonly journal: string;
  readonly queue: string;
  /** The main thread's connection, for when the thread is gone. */
  readonly db: DatabaseSync;
  /** Units (counted from the journal's start) in the tables so far; `added`: jobs were among them. */
  readonly onWritten: (units: number, added: boolean) => void;
  readonly onWarning?: (message: string) => void;
}

export interface JournalWriter {
  /** Hands over a turn's lines, the journal's units up to `lastSeq`. */
  hand(text: string, lastSeq: number): void;
  /** Stops the thread: at once, or after it wrote what it was handed (`finish`). */
  stop(finish: boolean): Promise<void>;
  /** Drops the journal's progress row (its units are all written, its files gone). */
  forget(): void;
}

/** The thread's module beside this one: .ts in development, .js once built. */
const threadUrl = (): URL => new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export const createJournalWriter = (options: JournalWriterOptions): JournalWriter => {
  const { db, journal } = options;
  let thread: Worker | undefined;
  let gone = false;
  let stopping = false;
  let writtenJobs = 0;
  /** Handed to the thread and not yet written by it: the main thread's to write if it dies. */
  const handed: Array<{ readonly lastSeq: number; readonly text: string }> = [];
  const applier = createApplier(db, options.queue);

  const written = (units: number, jobs: number, added: boolean): void => {
    writtenJobs = jobs;
    while (handed[0] !== undefined && handed[0].lastSeq <= units) handed.shift();
    if (handed.length === 0) thread?.unref();
    options.onWritten(units, added);
  };

  const writeHere = (texts: readonly string[], lastSeq: number): void => {
    const lines = texts.flatMap(parseLines);
    const jobs = writtenJobs + lines.filter((line) => line.job !== undefined).length;
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const line of lines) applier.apply(line);
        applier.progress(journal, lastSeq, jobs);
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      // Journaled all the same: the next process to open the database writes them.
      options.onWarning?.(`Cannot write journaled messages to the database (${(error as Error).message}); they are written when vidbot next opens it.`);
      return;
    }
    written(lastSeq, jobs, jobs > writtenJobs);
  };

  const onGone = (error: Error): void => {
    if (gone) return;
    gone = true;
    thread = undefined;
    options.onWarning?.(`The ingest journal's writer stopped (${error.message}); the main thread writes the journal's messages from now on.`);
    const texts = handed.splice(0);
    const last = texts.at(-1);
    if (last !== undefined) writeHere(texts.map((each) => each.text), last.lastSeq);
  };

  const start = (): Worker => {
    const data: ThreadData = { file: options.file, journal, queue: options.queue };
    const started = new Worker(threadUrl(), { workerData: data });
    started.on('message', (message: FromThread) => {
      if ('failed' in message) options.onWarning?.(`The ingest journal's writer could not write to the database (${message.failed}); it tries again.`);
      else written(message.units, message.jobs, message.added);
    });
    started.on('error', onGone);
    started.on('exit', (code) => {
      if (!stopping) onGone(new Error(`exited with code ${code}`));
    });
    return started;
  };

  return {
    hand(text, lastSeq) {
      if (gone) {
        writeHere([text], lastSeq);
        return;
      }
      thread ??= start();
      handed.push({ lastSeq, text });
      // Held while it has units to write, so a process does not end with a reader waiting for them;
      // let go when idle, so it never keeps an otherwise finished process alive.
      thread.ref();
      thread.postMessage(text);
    },

    async stop(finish) {
      stopping = true;
      const running = thread;
      thread = undefined;
      if (running === undefined) return;
      running.ref();
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      if (finish) running.postMessage('stop');
      else void running.terminate();
      await exited;
    },

    forget: () => applier.forget(journal),
  };
};
