/**
 * WAL checkpoints on a thread of their own. SQLite otherwise checkpoints inside the commit that
 * crosses wal_autocheckpoint: it copies pages into the database file and waits on two fsyncs, and
 * every request on the event loop waits with it. The thread checkpoints PASSIVE-ly (it never
 * blocks the writer) twice a second. The writer's own automatic checkpoint stays as a safety
 * net at a larger WAL, for when writes never pause long enough for the thread to catch up and let
 * SQLite restart the log; by then the thread has copied most pages, so that checkpoint is short.
 * The thread starts on first use, so a process that never writes much never pays for it.
 */
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';

/** The writer's automatic checkpoint while the thread runs: about 80 MB of WAL instead of SQLite's 4 MB. */
export const SAFETY_NET_PAGES = 20_000;

/**
 * How often the thread checkpoints. A checkpoint copies the newest version of each page written
 * since the last one; a busy bot writes each message's index entries at random places, so the same
 * pages are written again and again within a second, and copied once if the checkpoint waits (500
 * ms against 100: half the checkpoint's CPU and a third of its bytes a message, at 4,000 a second).
 */
const EVERY_MS = 500;

// Plain JavaScript, run with `eval`: the thread needs nothing but node:sqlite, and no file to find
// next to this one (which is .ts in development and .js once built).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file);
db.exec('PRAGMA busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* busy or gone: the next turn, or the writer, does it */ }
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Starts the thread (once) and hands the writer's checkpoints to it. */
  start(): void;
  stop(): Promise<void>;
}

export const createCheckpointer = (db: DatabaseSync, file: string, options: { everyMs?: number } = {}): Checkpointer => {
  let worker: Worker | undefined;
  // Heard from the moment the thread starts: one that ends early (an error) must not leave stop() waiting for ever.
  let exited: Promise<void> | undefined;
  let stopped = false;
  return {
    start() {
      if (worker !== undefined || stopped || file === ':memory:') return;
      const started = new Worker(THREAD, { eval: true, workerData: { file, everyMs: options.everyMs ?? EVERY_MS } });
      worker = started;
      exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
      // The thread's failure is not the writer's: SQLite's own checkpoints take over.
      worker.on('error', () => {
        try {
          db.exec('PRAGMA wal_autocheckpoint = 1000');
        } catch {
          // Closed meanwhile: nothing left to checkpoint from here.
        }
      });
      worker.unref();
      db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    },
    async stop() {
      stopped = true;
      const running = worker;
      worker = undefined;
      if (running === undefined) return;
      // Held while it stops: an unref'd thread keeps nothing alive, and a process with nothing else
      // left would end while its close still waits on this promise.
      running.ref();
      running.postMessage('stop');
      await exited;
    },
  };
};
