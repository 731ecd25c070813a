/**
 * npm run bench:webhook — autocannon against POST /whatsapp/webhook with valid signatures and
 * unique MessageSids, beside a reference Express app built from Twilio's docs, in one run.
 * Figures, not a pass/fail test; the one check is that every 2xx left a durable task.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createSqliteStore } from '../src/lib/store/sqlite/index.ts';
import { computeTwilioSignature } from '../src/lib/channel/twilio/signature.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const AUTH_TOKEN = 'bench-auth-token-not-a-secret';
const serverScript = new URL('./webhook-server.ts', import.meta.url).pathname;
/** A folder to write each server's CPU profile to (node --cpu-prof), to see where a message's time goes. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;

interface Started {
  port: number;
  rss: () => Promise<number>;
  stop: () => Promise<void>;
}

const start = async (mode: 'vidbot' | 'reference', dataDir: string): Promise<Started> => {
  const execArgv = [...process.execArgv, ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF_DIR, mode)}`] : [])];
  const child = fork(serverScript, [mode, dataDir, AUTH_TOKEN], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  const rss = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve((m as { rss: number }).rss));
      child.send('rss');
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.send('exit');
    await exited;
  };
  return { port, rss, stop };
};

const load = async (port: number, label: string, duringLoad: () => Promise<number>) => {
  const url = `http://127.0.0.1:${port}/whatsapp/webhook`;
  let n = 0;
  let peakRss = 0;
  const acknowledged: string[] = [];
  const sampler = setInterval(() => {
    void duringLoad().then((rss) => {
      peakRss = Math.max(peakRss, rss);
    });
  }, 500);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        // One request at a time per connection, so the context pairs each answer with its request.
        setupRequest: (request, context: { sid?: string }) => {
          n += 1;
          const params = {
            From: `whatsapp:+1555${String(n % 100_000).padStart(7, '0')}`,
            To: 'whatsapp:+14155238886',
            Body: `a fox running through a neon city at night #${n}`,
            MessageSid: `SM${label}${String(n).padStart(30, '0')}`,
            NumMedia: '0',
          };
          context.sid = params.MessageSid;
          return {
            ...request,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': computeTwilioSignature({ authToken: AUTH_TOKEN, url, params }),
            },
            body: new URLSearchParams(params).toString(),
          };
        },
        onResponse: (status: number, _body: string, context: { sid?: string }) => {
          if (status >= 200 && status < 300 && context.sid) acknowledged.push(context.sid);
        },
      },
    ],
  });
  clearInterval(sampler);
  return { result, peakRss, acknowledged };
};

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-bench-webhook-'));
  const rows: string[] = [];
  try {
    for (const mode of ['reference', 'vidbot'] as const) {
      const dataDir = join(dir, mode);
      const server = await start(mode, dataDir);
      const idleRss = await server.rss();
      const { result, peakRss, acknowledged } = await load(server.port, mode === 'vidbot' ? 'v' : 'r', server.rss);
      await server.stop();
      let durable = '—';
      if (mode === 'vidbot') {
        const store = createSqliteStore({ file: join(dataDir, 'vidbot.db') });
        const tasks = await store.countTasks();
        // Every acknowledged MessageSid must have its task (requests cut off by the clock may add more).
        const stored = new Set((await store.listTasks({ limit: 1_000_000 })).map((t) => t.messageId));
        await store.close();
        const lost = acknowledged.filter((sid) => !stored.has(sid)).length;
        durable = `${acknowledged.length} acknowledged, ${lost} without a task, ${tasks} tasks ${lost === 0 ? '✔' : '✖ LOST'}`;
        if (lost > 0) process.exitCode = 1;
      }
      rows.push(
        `| ${mode === 'vidbot' ? 'vidbot (verify + persist + queue)' : 'reference (Express + twilio.webhook, persists nothing)'} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${result['2xx']} | ${result.non2xx} | ${mb(idleRss)} | ${mb(peakRss)} | ${durable} |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\nPOST /whatsapp/webhook, ${CONNECTIONS} connections, ${DURATION_S} s each, Node ${process.version}\n`);
  console.log('| server | req/s | p50 ms | p99 ms | 2xx | non-2xx | RSS idle | RSS under load | durable |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
};

await main();
