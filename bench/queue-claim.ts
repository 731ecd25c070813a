/**
 * The embedded queue's claim search behind one busy sender's backlog: every job walked past belongs
 * to a group already at its limit (one job at a time per sender). Beside the same search with no
 * backlog, on a file with 100,000 finished jobs.
 */
import { join } from 'node:path';
import { CLAIM_SEARCHES } from '../src/lib/queue/sqlite/lease.ts';
import { migrateQueueSchema } from '../src/lib/queue/sqlite/schema.ts';
import { openDatabase } from '../src/lib/sqlite/open.ts';

const HISTORY = 100_000;
const REPEATS = 50;

/** Milliseconds a search for the next waiting job takes, with `backlog` waiting jobs of a busy sender ahead of another's. */
const searchBehind = (dir: string, backlog: number): number => {
  const db = openDatabase(join(dir, `claim-${backlog}.db`));
  try {
    migrateQueueSchema(db);
    const insert = db.prepare(`INSERT INTO queue_jobs (queue, id, data, state, grp, max_attempts, run_at, created_at, lease_until) VALUES ('tasks', ?, '{}', ?, ?, 3, ?, ?, ?)`);
    db.exec('BEGIN');
    for (let n = 0; n < HISTORY; n += 1) insert.run(`done-${n}`, 'completed', `sender-${n % 2000}`, n, n, null);
    insert.run('busy-running', 'active', 'busy', HISTORY, HISTORY, Number.MAX_SAFE_INTEGER);
    for (let n = 0; n < backlog; n += 1) insert.run(`busy-${n}`, 'waiting', 'busy', HISTORY + 1 + n, HISTORY + 1 + n, null);
    insert.run('other', 'waiting', 'other', 2 * HISTORY, 2 * HISTORY, null);
    db.exec('COMMIT; ANALYZE');
    const search = db.prepare(CLAIM_SEARCHES[0] ?? '');
    const params = { queue: 'tasks', now: 3 * HISTORY, maxGroup: 1 };
    const started = performance.now();
    for (let n = 0; n < REPEATS; n += 1) {
      const found = search.get(params) as { id?: string } | undefined;
      if (found?.id !== 'other') throw new Error(`the search found ${found?.id ?? 'nothing'}, not the other sender's job`);
    }
    return (performance.now() - started) / REPEATS;
  } finally {
    db.close();
  }
};

export const claimTable = (dir: string): string[] => {
  const rows = [0, 5_000, 50_000].map((backlog) => ({ backlog, ms: searchBehind(dir, backlog) }));
  const base = rows[0]?.ms ?? 1;
  return [
    `\nThe embedded queue's claim search, ${HISTORY.toLocaleString('en')} finished jobs, one job at a time per sender\n`,
    "| one busy sender's jobs waiting ahead | ms a search | vs none |",
    '|---|---|---|',
    ...rows.map(({ backlog, ms }) => `| ${backlog.toLocaleString('en')} | ${ms.toFixed(3)} | ${(ms / base).toFixed(0)}x |`),
  ];
};
