/**
 * Who writes journaled units into the tables: a thread with its own connection (thread.ts),
 * started with the first unit. Should it die, the main thread writes what it had been handed, and
 * every unit after, on its own connection, as the store did before the journal.
 */
import type { DatabaseSync } from 'node:sqlite';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Applier, createApplier, parseLines } from './apply.ts';
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

/** How soon the main thread tries again to write what it could not (the thread's own pace, thread.ts). */
const RETRY_MS = 500;

export const createJournalWriter = (options: JournalWriterOptions): JournalWriter => {
  const { db, journal } = options;
  let thread: Worker | undefined;
  let gone = false;
  let stopping = false;
  let retry: NodeJS.Timeout | undefined;
  let writtenJobs = 0;
  /**
   * Handed over and not yet written, in order: the thread's until it dies, then the main thread's,
   * which writes them all or none and tries again until it can.
   */
  const handed: Array<{ readonly lastSeq: number; readonly text: string }> = [];
  // Prepared only if ever needed: most processes never write on the main thread, many never journal.
  let applier: Applier | undefined;
  const applierHere = (): Applier => (applier ??= createApplier(db, options.queue));

  // Said once per outage (a lock held for a minute would otherwise say it twice a second), again after a write.
  let failing = false;
  const failed = (message: string): void => {
    if (!failing) options.onWarning?.(message);
    failing = true;
  };

  const written = (units: number, jobs: number, added: boolean, skipped: readonly string[]): void => {
    failing = false;
    writtenJobs = jobs;
    while (handed[0] !== undefined && handed[0].lastSeq <= units) handed.shift();
    if (handed.length === 0) thread?.unref();
    if (skipped.length > 0) {
      // Another process on this database answered these messages first (a redelivery that reached
      // both within moments): its task stands, this process's answer named one that is not made.
      options.onWarning?.(`Message(s) ${skipped.join(', ')} reached two vidbot processes on this database at once; the first one's task stands.`);
    }
    options.onWritten(units, added);
  };

  /** The main thread's writing, once the thread is gone: everything handed, in one transaction. */
  const writeHere = (): void => {
    retry = undefined;
    const last = handed.at(-1);
    if (last === undefined || stopping) return;
    const lines = handed.flatMap((each) => parseLines(each.text));
    const jobs = writtenJobs + lines.filter((line) => line.job !== undefined).length;
    let skipped: string[];
    try {
      skipped = applierHere().writeLines(journal, lines, last.lastSeq, jobs);
    } catch (error) {
      // Still journaled, and still waited for: tried again shortly, as the thread would.
      failed(`Cannot write journaled messages to the database (${(error as Error).message}); trying again.`);
      retry = setTimeout(writeHere, RETRY_MS);
      retry.unref();
      return;
    }
    written(last.lastSeq, jobs, jobs > writtenJobs, skipped);
  };

  const onGone = (error: Error): void => {
    if (gone) return;
    gone = true;
    thread = undefined;
    options.onWarning?.(`The ingest journal's writer stopped (${error.message}); the main thread writes the journal's messages from now on.`);
    writeHere();
  };

  const start = (): Worker => {
    const data: ThreadData = { file: options.file, journal, queue: options.queue };
    const started = new Worker(threadUrl(), { workerData: data });
    started.on('message', (message: FromThread) => {
      // Once the thread is given up on, the main thread keeps the count.
      if (gone) return;
      if ('failed' in message) failed(`The ingest journal's writer could not write to the database (${message.failed}); it tries again.`);
      else written(message.units, message.jobs, message.added, message.skipped);
    });
    started.on('error', onGone);
    started.on('exit', (code) => {
      if (!stopping) onGone(new Error(`exited with code ${code}`));
    });
    return started;
  };

  return {
    hand(text, lastSeq) {
      handed.push({ lastSeq, text });
      if (!gone && thread === undefined) {
        try {
          thread = start();
        } catch (error) {
          onGone(error as Error);
          return;
        }
      }
      if (thread === undefined) {
        // Behind a failed write, this waits for the retry (order is kept); otherwise written now.
        if (retry === undefined) writeHere();
        return;
      }
      // Held while it has units to write, so a process does not end with a reader waiting for them;
      // let go when idle, so it never keeps an otherwise finished process alive.
      thread.ref();
      thread.postMessage(text);
    },

    async stop(finish) {
      stopping = true;
      clearTimeout(retry);
      const running = thread;
      thread = undefined;
      if (running === undefined) return;
      running.ref();
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      if (finish) running.postMessage('stop');
      else void running.terminate();
      await exited;
    },

    forget: () => applierHere().forget(journal),
  };
};
