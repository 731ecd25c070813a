/**
 * Writing journaled units into the tables: the same rows Store.ingest writes at once, and the
 * journal's progress in the same transaction, so a reader learns from one snapshot both what the
 * queue holds and how much of the journal is in it. Used by the journal's thread and, after a
 * crash, by the replay at start.
 */
import type { DatabaseSync } from 'node:sqlite';
import { createJobsSql, type NewJobRow } from '../queue/sqlite/jobs.ts';
import { statementCache, writeTransaction } from '../sqlite/open.ts';
import { type DecidedUnit, writeDecidedUnit } from '../store/sqlite/ingest.ts';

/** One line of a journal file. */
export interface JournalLine {
  /** 1, 2, 3 ... within its journal. */
  readonly seq: number;
  readonly unit: DecidedUnit;
  /** The task's job, as the embedded queue would have inserted it. */
  readonly job?: NewJobRow;
}

export const PROGRESS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ingest_journal_progress (
  journal TEXT PRIMARY KEY,
  units INTEGER NOT NULL,
  jobs INTEGER NOT NULL
)`;

/** The lines of a journal's text; a torn last line (the process died mid-write) is left out. */
export const parseLines = (text: string): JournalLine[] => {
  const lines: JournalLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    try {
      lines.push(JSON.parse(raw) as JournalLine);
    } catch {
      // Only the last line of a file can be torn, and its request was never answered.
    }
  }
  return lines;
};

export interface Applier {
  /** Writes one line's rows (inside the caller's transaction); false when they were already there. */
  apply(line: JournalLine): boolean;
  /**
   * Writes lines in one transaction with the journal's progress (units and jobs written so far,
   * these included); returns the messages whose rows were already there (claimed by another process).
   */
  writeLines(journal: string, lines: readonly JournalLine[], units: number, jobs: number): string[];
  forget(journal: string): void;
}

export const createApplier = (db: DatabaseSync, queue: string): Applier => {
  const { sql } = statementCache(db);
  const jobs = createJobsSql(db, queue);
  const apply = (line: JournalLine): boolean =>
    writeDecidedUnit({ sql }, line.unit, () => {
      if (line.job !== undefined) jobs.insert(line.job);
    });
  return {
    apply,
    writeLines: (journal, lines, units, jobCount) =>
      writeTransaction(db, () => {
        const skipped = lines.filter((line) => !apply(line)).map((line) => line.unit.messageId);
        sql(
          'INSERT INTO ingest_journal_progress (journal, units, jobs) VALUES (?, ?, ?) ON CONFLICT (journal) DO UPDATE SET units = excluded.units, jobs = excluded.jobs',
        ).run(journal, units, jobCount);
        return skipped;
      }),
    forget(journal) {
      sql('DELETE FROM ingest_journal_progress WHERE journal = ?').run(journal);
    },
  };
};
