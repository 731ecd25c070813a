/**
 * The journal's writer thread: its own connection to the database file, writing the units the
 * main thread journaled, as many as have arrived at a time in one transaction, and telling the main
 * thread how far it got. It never answers a request, so nothing waits on its commits but readers
 * that asked to (the store's calls after an ingest).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SAFETY_NET_PAGES } from '../sqlite/checkpointer.ts';
import { openDatabase } from '../sqlite/open.ts';
import { createApplier, type JournalLine, parseLines } from './apply.ts';
import type { FromThread, ThreadData } from './messages.ts';

/** Units in one transaction at most (some 80 ms of writing): the main thread's own writes wait for it to end. */
const MAX_UNITS = 1024;
const RETRY_MS = 500;
const GATHER_MS = 50;

const { file, journal, queue } = workerData as ThreadData;
const port = parentPort;
if (port === null) throw new Error('The ingest journal thread must run as a worker.');
const tell = (message: FromThread): void => port.postMessage(message);

const db = openDatabase(file);
// The checkpointer's thread copies the WAL into the database; this connection's commits leave it
// to that thread as the main connection's do (sqlite/checkpointer.ts).
db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
const applier = createApplier(db, queue);
let units = 0;
let jobs = 0;
const backlog: string[] = [];
let stopping = false;
let scheduled = false;
let lastCommitAt = 0;

const take = (): void => {
  for (;;) {
    const more = receiveMessageOnPort(port);
    if (more === undefined) return;
    if (more.message === 'stop') stopping = true;
    else backlog.push(more.message as string);
  }
};

const writeSome = (): void => {
  const texts: string[] = [];
  const lines: JournalLine[] = [];
  while (backlog.length > 0 && lines.length < MAX_UNITS) {
    const text = backlog.shift() as string;
    texts.push(text);
    lines.push(...parseLines(text));
  }
  const count = lines.length;
  const withJobs = lines.filter((line) => line.job !== undefined).length;
  let skipped: string[];
  try {
    skipped = applier.writeLines(journal, lines, units + count, jobs + withJobs);
  } catch (error) {
    backlog.unshift(...texts);
    throw error;
  }
  lastCommitAt = Date.now();
  units += count;
  jobs += withJobs;
  tell({ units, jobs, added: withJobs > 0, skipped });
};

const drain = (): void => {
  scheduled = false;
  try {
    take();
    while (backlog.length > 0) {
      writeSome();
      take();
    }
  } catch (error) {
    // Busy past the timeout, a full disk: the units stay journaled; tried again shortly.
    tell({ failed: error instanceof Error ? error.message : String(error) });
    scheduled = true;
    setTimeout(drain, RETRY_MS);
    return;
  }
  if (stopping) {
    db.close();
    port.close();
  }
};

port.on('message', (message: unknown) => {
  if (message === 'stop') stopping = true;
  else backlog.push(message as string);
  if (scheduled) return;
  scheduled = true;
  // At most one commit every GATHER_MS: alone a unit is written at once, under load each commit
  // takes what arrived meanwhile. A commit writes each page it touched to the WAL (two system calls
  // a page), whether one unit touched it or fifty, and every other connection drops its cached
  // pages on its next read (the main thread's claim lookups read the index from disk again): in
  // traffic as it comes, each message lands on pages of its own in six indexes, so fewer, larger
  // commits cost less per message (50 ms: a third more messages a second than 16 ms on 2 cores).
  // Nobody but readers (settled) waits for it, and the main thread's writes, which wait for those
  // units first, find the lock free between commits.
  const wait = stopping ? 0 : lastCommitAt + GATHER_MS - Date.now();
  if (wait <= 0) drain();
  else setTimeout(drain, wait);
});
