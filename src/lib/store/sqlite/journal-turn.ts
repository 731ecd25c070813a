/**
 * Units for the ingest journal, decided together once a turn of the event loop: their lookups (the
 * claim, the queue's line) share one read transaction, so the connection loads the pages they read
 * once a turn rather than once a statement (another connection, the journal's, writes the tables
 * meanwhile), and their lines are written to the journal together. Each caller hears back once its
 * line is written.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { InboundUnit, IngestOutcome } from '../inbound-unit.ts';
import type { IngestJournal, SqliteIngest } from './ingest.ts';

/** Units journaled and not yet in the tables past which new ones wait: about a second of the writer's work. */
export const MAX_BACKLOG = 5_000;

interface Waiting {
  readonly unit: InboundUnit;
  readonly resolve: (outcome: IngestOutcome | Promise<IngestOutcome>) => void;
  readonly reject: (error: unknown) => void;
}

export const createJournalTurn = (
  db: DatabaseSync,
  ingest: Pick<SqliteIngest, 'journaled'>,
  journal: IngestJournal,
): ((unit: InboundUnit) => Promise<IngestOutcome>) => {
  let waiting: Waiting[] = [];
  let scheduled = false;

  const decideAll = (): void => {
    // Ahead of its writer by more than a moment's work: new units wait for it (memory stays bounded,
    // and a reader's wait for the tables stays short) rather than being acknowledged at once.
    const behind = journal.backlog() > MAX_BACKLOG ? journal.settled() : undefined;
    if (behind !== undefined) {
      behind.then(decideAll, (error: unknown) => {
        scheduled = false;
        for (const each of waiting.splice(0)) each.reject(error);
      });
      return;
    }
    scheduled = false;
    const turn = waiting;
    waiting = [];
    const decided: Array<{ readonly ok: true; readonly value: IngestOutcome | Promise<IngestOutcome> } | { readonly ok: false; readonly error: unknown }> = [];
    try {
      db.exec('BEGIN');
      try {
        for (const each of turn) {
          try {
            decided.push({ ok: true, value: ingest.journaled(each.unit, journal) });
          } catch (error) {
            decided.push({ ok: false, error });
          }
        }
      } finally {
        db.exec('COMMIT');
      }
    } catch (error) {
      for (const each of turn.slice(decided.length)) each.reject(error);
    }
    // The turn's lines, written now rather than at the journal's own end of turn.
    journal.flush();
    decided.forEach((result, index) => {
      const each = turn[index];
      if (each === undefined) return;
      if (result.ok) each.resolve(result.value);
      else each.reject(result.error);
    });
  };

  return (unit) =>
    new Promise<IngestOutcome>((resolve, reject) => {
      waiting.push({ unit, resolve, reject });
      if (scheduled) return;
      scheduled = true;
      setImmediate(decideAll);
    });
};
