/** After a crash: what journals of processes that are gone hold, written into the tables. */
import type { DatabaseSync } from 'node:sqlite';
import { vidbotError } from '../errors.ts';
import { writeTransaction } from '../sqlite/open.ts';
import { type Applier, PROGRESS_TABLE_SQL, createApplier, parseLines } from './apply.ts';
import { abandonedJournals } from './files.ts';
import type { JournalQueue } from './queue.ts';

/**
 * Writes into the tables what journals of processes that are gone hold, then removes them.
 * Returns how many units were not yet there.
 */
export const replayJournals = (db: DatabaseSync, file: string, queue: string): number => {
  const found = abandonedJournals(file);
  if (found.length === 0) return 0;
  let applier: Applier;
  try {
    db.exec(PROGRESS_TABLE_SQL);
    applier = createApplier(db, queue);
  } catch (error) {
    for (const left of found) left.leave();
    throw error;
  }
  let written = 0;
  for (const [index, journal] of found.entries()) {
    try {
      const lines = parseLines(journal.read());
      written += writeTransaction(db, () => {
        const fresh = lines.filter((line) => applier.apply(line)).length;
        applier.forget(journal.journal);
        return fresh;
      });
    } catch (error) {
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

/** What is said when a journal a stopped process left is written. */
export const recoveredText = (units: number): string =>
  `Recovered ${units} acknowledged message(s) from the ingest journal of a vidbot process that stopped before writing them; they go on as usual.`;

/** How often a running process looks for journals other processes left (a `serve` killed beside a `worker`). */
const RECOVER_EVERY_MS = 30_000;

/**
 * Looks now and then for journals of processes that stopped beside this one, whose acknowledged
 * messages no process would otherwise write until the next start. Returns the stop.
 */
export const recoverEvery = (
  db: DatabaseSync,
  file: string,
  queue: Pick<JournalQueue, 'queueName' | 'addedElsewhere'>,
  onWarning: ((message: string) => void) | undefined,
  everyMs = RECOVER_EVERY_MS,
): (() => void) => {
  const timer = setInterval(() => {
    try {
      const recovered = replayJournals(db, file, queue.queueName);
      if (recovered === 0) return;
      onWarning?.(recoveredText(recovered));
      queue.addedElsewhere();
    } catch (error) {
      onWarning?.((error as Error).message);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

/** Messages waiting in journals of processes that stopped, counted without writing them (`vidbot doctor`). */
export const countAbandoned = (file: string): number => {
  let units = 0;
  for (const journal of abandonedJournals(file)) {
    try {
      units += parseLines(journal.read()).length;
    } finally {
      journal.leave();
    }
  }
  return units;
};
