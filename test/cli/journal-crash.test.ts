/**
 * The ingest journal across a crash, as users run vidbot: `vidbot serve` acknowledges messages once
 * they are journaled. Here its journal's writer cannot reach the tables (another connection holds
 * the write lock), so the acknowledged messages exist only in the journal when the process is
 * SIGKILLed. `vidbot doctor` says they wait; the next process to open the data (`vidbot status`)
 * writes them, each once, and says so.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { loadConfig } from '../../src/lib/config/index.ts';
import { checkStore, createDoctorContext } from '../../src/lib/doctor/index.ts';
import { createVidbot } from '../../src/lib/create-vidbot.ts';
import { recoveredText } from '../../src/lib/ingest-journal/index.ts';
import { binPath, makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { newMessageSid, twimlText, whatsappText } from '../helpers/server.ts';
import { spawnVidbot } from '../helpers/spawn.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.().catch(() => {});
});

const TOKEN = 'journal-crash-token';

describe('the ingest journal across a SIGKILL', () => {
  it('writes every acknowledged message into the tables when the data is next opened, once', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...sandbox.env, TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_BASE_URL: base, VIDBOT_SHUTDOWN_GRACE_SEC: '0' };
    const serve = await spawnVidbot(['serve', '--no-tui', '--no-workers', '--port', String(port)], { env, cwd: sandbox.root, ready: 'vidbot serving on', cleanups });

    const dataDir = sandbox.env.VIDBOT_DATA_DIR ?? '';
    const database = join(dataDir, 'vidbot.db');
    // Another process's write lock: readers go on (WAL), the journal's writer waits.
    const blocker = new DatabaseSync(database);
    cleanups.push(async () => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');

    const say = async (from: string, text: string, messageSid = newMessageSid()) => {
      const params = whatsappText(from, text, messageSid);
      const url = `${base}/whatsapp/webhook`;
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature({ authToken: TOKEN, url, params }),
        },
        body: new URLSearchParams(params as Record<string, string>).toString(),
      });
      return { messageSid, status: response.status, text: twimlText(await response.text()) ?? '' };
    };
    const first = await Promise.all(Array.from({ length: 8 }, (_, n) => say(`whatsapp:+1555000${1000 + n}`, `a lantern drifting down a river, ${n}`)));
    // A redelivery of one of them (Twilio retries) is answered as the first was, and adds nothing.
    const again = await say('whatsapp:+15550001003', 'a lantern drifting down a river, 3', first[3]?.messageSid);
    expect(first.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(first.map((answer) => answer.text).join('\n')).toContain('#8 in line');
    expect(again).toMatchObject({ status: 200, text: first[3]?.text });
    expect(readdirSync(dataDir).some((name) => name.startsWith('vidbot.db-ingest-'))).toBe(true);

    serve.child.kill('SIGKILL');
    await serve.child;
    // Nothing of them reached the tables before the kill.
    expect(blocker.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n: 0 });
    blocker.exec('ROLLBACK');

    const journalFiles = () => readdirSync(dataDir).filter((name) => name.startsWith('vidbot.db-ingest-'));
    // The doctor looks without writing, and says what waits and what writes it.
    const { config } = loadConfig({ env, cwd: sandbox.root, dotenv: false });
    const doctor = await checkStore(createDoctorContext(config, { env, timeoutMs: 2_000 }));
    expect(doctor).toMatchObject({ status: 'warn', detail: expect.stringContaining('0 tasks, and 8 acknowledged message(s) in the ingest journal') });
    expect(journalFiles().length).toBeGreaterThan(0);
    // The next command to open the data (here `vidbot status`, a process of its own) writes them, and says so.
    const status = await execa(process.execPath, [binPath, 'status'], { env, extendEnv: false, cwd: sandbox.root, reject: false });
    expect(status.stderr).toContain(`warning: ${recoveredText(8)}`);
    expect(status.stdout).toContain('queued');
    expect(journalFiles()).toEqual([]);

    const warnings: string[] = [];
    const vidbot = await createVidbot(config, { onWarning: (message) => warnings.push(message) });
    cleanups.push(() => vidbot.close());
    expect(warnings).toEqual([]);
    const tasks = await vidbot.store.listTasks({ oldestFirst: true, limit: 100 });
    expect(tasks.map((task) => task.messageId).sort()).toEqual(first.map((answer) => answer.messageSid).sort());
    expect((await vidbot.queue.counts()).waiting).toBe(8);
    // The session keeps both lines of each message; the claim keeps the answer a redelivery gets.
    const session = await vidbot.store.getSession('whatsapp:+15550001003');
    expect(session?.messages.map((line) => line.role)).toEqual(['user', 'bot']);
    expect((await vidbot.store.claimInbound({ messageId: first[3]?.messageSid ?? '', from: 'whatsapp:+15550001003' })).claim.reply).toBe(first[3]?.text);
  });
});
