/**
 * Webhooks arriving together: each message is made durable in one unit, units arriving in the same
 * turn are journaled in one write, and each request is answered only after that write. Checked
 * through the server (inject) with what another process would find: a second SQLite connection
 * that sees only what was committed, and the journal's files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { SenderLimits, Verdict } from '../../src/lib/limits/index.ts';
import { sharedJobsOf } from '../../src/lib/pick-adapters.ts';
import { createSqliteQueue } from '../../src/lib/queue/sqlite/index.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';
import { createSqliteStore } from '../../src/lib/store/index.ts';
import { INJECT_ORIGIN, makeServer, newMessageSid, signedPost, twimlText, whatsappText } from '../helpers/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const WEBHOOK = `${INJECT_ORIGIN}/whatsapp/webhook`;
const sender = (n: number) => `whatsapp:+1555000${String(n).padStart(4, '0')}`;

const setup = async (...args: Parameters<typeof makeServer>) => {
  const server = await makeServer(...args);
  cleanups.push(server.cleanup);
  // Another connection to the file: it sees what was committed, nothing else.
  const committed = new DatabaseSync(server.vidbot.paths.database, { readOnly: true });
  cleanups.push(() => committed.close());
  const taskOf = (messageSid: string) => committed.prepare('SELECT task_id FROM tasks WHERE message_sid = ?').get(messageSid);
  const database = server.vidbot.paths.database;
  const journaled = (messageSid: string) =>
    readdirSync(dirname(database))
      .filter((name) => name.startsWith(`${basename(database)}-ingest-`))
      .some((name) => readFileSync(join(dirname(database), name), 'utf8').includes(`"messageId":"${messageSid}"`));
  const post = (from: string, body: string, messageSid = newMessageSid()) =>
    server.app.inject(signedPost(WEBHOOK, whatsappText(from, body, messageSid))).then((response) => ({
      messageSid,
      status: response.statusCode,
      text: twimlText(response.body) ?? '',
      // Read the moment the answer arrives: it must already be durable, committed or in the journal's file.
      durableWhenAnswered: taskOf(messageSid) !== undefined || journaled(messageSid),
    }));
  return { ...server, post, taskOf };
};

describe('ingest: webhooks arriving together', () => {
  it('answers each of a burst once it is durable, one task per MessageSid, places in line in the order they were stored', async () => {
    // One worker: no two of these start together (with two, the first two would both be next).
    const { vidbot, post } = await setup({}, { bot: { workers: 1 } });
    const twice = newMessageSid();
    const burst = await Promise.all([
      ...Array.from({ length: 12 }, (_, n) => post(sender(n), `a lighthouse in a storm, take ${n}`)),
      // One message delivered five times at once, among the others.
      ...Array.from({ length: 5 }, () => post(sender(99), 'a paper boat in the rain', twice)),
    ]);
    expect(burst.map((answer) => answer.status)).toEqual(Array(17).fill(200));
    expect(burst.every((answer) => answer.durableWhenAnswered)).toBe(true);
    expect(new Set(burst.slice(12).map((answer) => answer.text)).size).toBe(1);
    expect(await vidbot.store.countTasks()).toBe(13);
    expect((await vidbot.queue.counts()).waiting).toBe(13);
    // Places 1..13, each once, in the order the tasks were stored.
    const stored = await vidbot.store.listTasks({ oldestFirst: true, limit: 100 });
    const placeOf = new Map(burst.map((answer) => [answer.messageSid, Number(/#(\d+) in line|(next) in line/.exec(answer.text)?.[1] ?? 1)]));
    expect(stored.map((task) => placeOf.get(task.messageId ?? ''))).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it('fails only the message whose unit failed; the others of its batch are stored and answered', async () => {
    // Limits with a bug for one sender: its verdict breaks when the unit reads it, inside the shared transaction.
    const broken: Verdict = Object.defineProperty({}, 'allowed', {
      get() {
        throw new Error('the verdict broke');
      },
    }) as Verdict;
    const released: string[] = [];
    const faulty: SenderLimits = {
      name: 'memory',
      take: async ({ from }) => (from === sender(7) ? broken : { allowed: true }),
      allowance: async () => undefined,
      refund: async () => {},
      release: async (from) => void released.push(from),
      recount: async () => {},
    };
    const { post, vidbot, taskOf } = await setup({}, { vidbot: { overrides: { limits: faulty } }, bot: { workers: 1 } });
    const answers = await Promise.all([post(sender(1), 'a red kite over the hills'), post(sender(7), 'a fox in the snow'), post(sender(2), 'a train at dusk')]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 500, 200]);
    expect([answers[0]?.durableWhenAnswered, answers[2]?.durableWhenAnswered]).toEqual([true, true]);
    // One worker, taken as running and idle: the first starts at once, the other waits for it.
    expect(answers[0]?.text).toContain('⚙️ Starting on it now.');
    expect(answers[2]?.text).toContain("You're #2 in line.");
    // Nothing of the failed one was kept: Twilio's retry is a first delivery.
    expect(taskOf(answers[1]?.messageSid ?? '')).toBeUndefined();
    expect((await vidbot.store.claimInbound({ messageId: answers[1]?.messageSid ?? '', from: sender(7) })).claimed).toBe(true);
    // And what it took of its sender's limits was given back; the others keep theirs.
    expect(released).toEqual([sender(7)]);
  });

  it('on a full disk answers 503, and acknowledges no message whose task was not committed', async () => {
    // The pair as vidbot wires it (store and queue on one connection), on a file the test can limit.
    const { dataDir, cleanup } = await import('../helpers/vidbot.ts').then((m) => m.makeDataDir());
    cleanups.push(cleanup);
    const file = `${dataDir}/limited.db`;
    const db = openDatabase(file);
    const queue = createSqliteQueue<{ taskId: string }>({ db, maxActivePerGroup: 1 });
    const store = createSqliteStore({
      db,
      file,
      jobs: sharedJobsOf(queue),
    });
    cleanups.push(() => db.close());
    const server = await makeServer({}, { vidbot: { overrides: { store, queue } } });
    cleanups.push(server.cleanup);
    const post = (n: number) => {
      const messageSid = newMessageSid();
      return server.app.inject(signedPost(WEBHOOK, whatsappText(sender(n), `a long walk along the coast ${'and on '.repeat(130)}`, messageSid))).then((response) => ({ messageSid, status: response.statusCode }));
    };
    const pages = Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
    db.exec(`PRAGMA max_page_count = ${pages + 6}`);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, n) => post(n)));
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
    db.exec('PRAGMA max_page_count = 1073741823');
    for (const answer of answers) {
      const task = (await store.listTasks({ limit: 100 })).find((t) => t.messageId === answer.messageSid);
      expect(task !== undefined, answer.messageSid).toBe(answer.status === 200);
    }
  });
});
