/**
 * npm run bench:webhook — autocannon against POST /whatsapp/webhook with valid signatures and
 * unique MessageSids, beside a reference Express app built from Twilio's docs, in one run.
 * Each server is first held at a steady BENCH_RATE req/s for its latency; then the two take turns
 * at full load (BENCH_ROUNDS slices of BENCH_SECONDS each), so a machine whose load changes during
 * the run weighs on both alike. Each load's requests are signed before it starts
 * (BENCH_PRESIGNED_PER_SECOND). Figures, not a pass/fail test; the one check is that every 2xx left a
 * durable task, checked after vidbot is killed (SIGKILL) at the end of its last full load.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/lib/config/index.ts';
import { pickStoreAndQueue } from '../src/lib/pick-adapters.ts';
import { computeTwilioSignature } from '../src/lib/channel/twilio/signature.ts';
import { messageSidOf, senderOf } from './traffic.ts';

const SLICE_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const RATE_S = Number(process.env.BENCH_RATE_SECONDS ?? 10);
/** Full load before anything is measured: the JIT and the page caches warm, each server's threads started. */
const WARM_UP_S = 3;
/**
 * Requests signed before each load starts (this many a second of it, with a tenth more), so the load
 * generator spends the shared cores on the load; a server faster than that gets the rest signed as it
 * goes, and the run says how many.
 */
const PRESIGNED_PER_SECOND = Number(process.env.BENCH_PRESIGNED_PER_SECOND ?? 12000);
const AUTH_TOKEN = 'bench-auth-token-not-a-secret';
const serverScript = new URL('./webhook-server.ts', import.meta.url).pathname;
/** A folder to write each server's CPU profiles to (node --cpu-prof), to see where a message's time goes. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;

type Mode = 'reference' | 'vidbot';
const MODES: readonly Mode[] = ['reference', 'vidbot'];

interface Server {
  readonly mode: Mode;
  readonly port: number;
  readonly dataDir: string;
  rss(): Promise<number>;
  /** CPU microseconds the server has used so far: all its threads, and its main thread alone. */
  cpu(): Promise<{ cpu: number; mainThread: number }>;
  stop(): Promise<void>;
  /** SIGKILL (a clean exit when profiling, so the profile is written). */
  kill(): Promise<void>;
}

const ask = (child: ChildProcess, what: 'rss' | 'cpu') =>
  new Promise<Record<string, number>>((resolve) => {
    const answer = (message: unknown) => {
      const values = message as Record<string, number>;
      if (typeof values[what] !== 'number') return;
      child.off('message', answer);
      resolve(values);
    };
    child.on('message', answer);
    child.send(what);
  });

const start = async (mode: Mode, dataDir: string): Promise<Server> => {
  const execArgv = [...process.execArgv, ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF_DIR, mode)}`] : [])];
  const child = fork(serverScript, [mode, dataDir, AUTH_TOKEN], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    mode,
    port,
    dataDir,
    rss: async () => (await ask(child, 'rss')).rss ?? 0,
    cpu: async () => {
      const { cpu = 0, mainThread = 0 } = await ask(child, 'cpu');
      return { cpu, mainThread };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.send('exit');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        if (CPU_PROF_DIR) child.send('exit');
        else child.kill('SIGKILL');
      }
      await exited;
    },
  };
};

/** Every request of the run has a MessageSid of its own, across rounds and servers. */
let sent = 0;
/** Requests the loads had to sign as they went: the pre-signed ones ran out. */
let signedDuringLoad = 0;
/** The MessageSids vidbot answered with a 2xx: each must have its task at the end. */
const acknowledged: string[] = [];
const peakRss = new Map<Mode, number>();

/** One signed request with a MessageSid never sent before, across rounds and servers. */
const signedRequest = (server: Server, url: string) => {
  sent += 1;
  const params = {
    From: senderOf(sent),
    To: 'whatsapp:+14155238886',
    Body: `a fox running through a neon city at night #${sent}`,
    MessageSid: messageSidOf(sent, server.mode),
    NumMedia: '0',
  };
  return {
    sid: params.MessageSid,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature({ authToken: AUTH_TOKEN, url, params }),
    },
    body: new URLSearchParams(params).toString(),
  };
};

const load = async (server: Server, shape: { duration: number; overallRate?: number; connections: number }) => {
  const url = `http://127.0.0.1:${server.port}/whatsapp/webhook`;
  const ready = Array.from({ length: Math.ceil((shape.overallRate ?? PRESIGNED_PER_SECOND) * shape.duration * 1.1) }, () => signedRequest(server, url));
  let next = 0;
  const cpuBefore = await server.cpu();
  const loadCpuBefore = process.cpuUsage();
  const sampler = setInterval(() => {
    void server.rss().then((rss) => peakRss.set(server.mode, Math.max(peakRss.get(server.mode) ?? 0, rss)));
  }, 500);
  const result = await autocannon({
    url,
    ...shape,
    requests: [
      {
        method: 'POST',
        // One request at a time per connection, so the context pairs each answer with its request.
        // A load that outruns the signed requests signs the rest as it goes.
        setupRequest: (request, context: { sid?: string }) => {
          const presigned = ready[next++];
          if (presigned === undefined) signedDuringLoad += 1;
          const { sid, headers, body } = presigned ?? signedRequest(server, url);
          context.sid = sid;
          return { ...request, headers, body };
        },
        onResponse: (status: number, _body: string, context: { sid?: string }) => {
          if (server.mode === 'vidbot' && status >= 200 && status < 300 && context.sid) acknowledged.push(context.sid);
        },
      },
    ],
  });
  clearInterval(sampler);
  // The numbers of requests signed but not sent go to the next load, so each load's senders follow the last one's.
  sent -= Math.max(0, ready.length - next);
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const cpuAfter = await server.cpu();
  const requests = Math.max(1, result.requests.total);
  return {
    result,
    cpuPerRequest: (cpuAfter.cpu - cpuBefore.cpu) / requests,
    mainThreadPerRequest: (cpuAfter.mainThread - cpuBefore.mainThread) / requests,
    // autocannon runs in this process: it shares the cores with the server.
    loadPerRequest: (loadCpu.user + loadCpu.system) / requests,
  };
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
const LABEL: Readonly<Record<Mode, string>> = {
  reference: 'reference (Express + twilio.webhook, persists nothing)',
  vidbot: 'vidbot (verify + persist + queue)',
};

/**
 * Every acknowledged MessageSid must have its task (requests cut off by the clock may add more),
 * after the server is killed (SIGKILL: no chance to finish anything) and the data opened again as
 * the next vidbot process would open it (writing what the ingest journal holds into the tables).
 */
const durability = async (server: Server): Promise<{ text: string; lost: number }> => {
  await server.kill();
  const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: server.dataDir }, cwd: server.dataDir, dotenv: false });
  const replayed: string[] = [];
  const opened = await pickStoreAndQueue(config, join(server.dataDir, 'vidbot.db'), {}, undefined, (message) => replayed.push(message));
  const tasks = await opened.store.countTasks();
  const stored = new Set((await opened.store.listTasks({ limit: 10_000_000 })).map((t) => t.messageId));
  await opened.closeQueue();
  await opened.closeStore();
  const lost = acknowledged.filter((sid) => !stored.has(sid)).length;
  const journal = /Recovered (\d+)/.exec(replayed.join(' '))?.[1] ?? '0';
  return {
    lost,
    text: `${acknowledged.length} acknowledged, ${lost} without a task, ${tasks} tasks ${lost === 0 ? '✔' : '✖ LOST'} (after a SIGKILL; ${journal} of them written from the ingest journal when the data was opened again)`,
  };
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-bench-webhook-'));
  const servers: Server[] = [];
  try {
    for (const mode of MODES) servers.push(await start(mode, join(dir, mode)));
    const idle = await Promise.all(servers.map((server) => server.rss()));
    const rounds = new Map<Mode, Array<{ rate: number; p50: number; p99: number; non2xx: number; cpu: number; mainThread: number; load: number }>>(
      MODES.map((mode) => [mode, []]),
    );
    // The steady loads first (after a warm-up, not counted): the rounds end with vidbot at full
    // load, and it is killed right after.
    for (const server of servers) await load(server, { duration: WARM_UP_S, connections: CONNECTIONS });
    const steady: autocannon.Result[] = [];
    for (const server of servers) steady.push((await load(server, { duration: RATE_S, overallRate: RATE, connections: CONNECTIONS })).result);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const server of servers) {
        const { result, cpuPerRequest, mainThreadPerRequest, loadPerRequest } = await load(server, { duration: SLICE_S, connections: CONNECTIONS });
        rounds.get(server.mode)?.push({
          rate: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          cpu: cpuPerRequest,
          mainThread: mainThreadPerRequest,
          load: loadPerRequest,
        });
      }
    }
    const vidbot = servers[1] as Server;
    const durable = await durability(vidbot);
    if (durable.lost > 0) process.exitCode = 1;

    const ratios = (rounds.get('vidbot') ?? []).map((r, i) => r.rate / (rounds.get('reference')?.[i]?.rate ?? 1));
    console.log(`\nPOST /whatsapp/webhook, Node ${process.version}: ${ROUNDS} rounds of ${SLICE_S} s per server, taking turns, ${CONNECTIONS} connections\n`);
    console.log('| server | req/s (median of rounds) | each round | p50 ms | p99 ms | non-2xx | server CPU per request (main thread) | RSS idle | RSS under load |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    servers.forEach((server, index) => {
      const all = rounds.get(server.mode) ?? [];
      const mid = all.find((r) => r.rate === median(all.map((x) => x.rate))) ?? all[0];
      console.log(
        `| ${LABEL[server.mode]} | ${mid?.rate.toFixed(0)} | ${all.map((r) => r.rate.toFixed(0)).join(' / ')} | ${mid?.p50} | ${mid?.p99} | ${all.reduce((n, r) => n + r.non2xx, 0)} | ${median(all.map((r) => r.cpu)).toFixed(0)} µs (${median(all.map((r) => r.mainThread)).toFixed(0)} µs) | ${mb(idle[index] ?? 0)} | ${mb(peakRss.get(server.mode) ?? 0)} |`,
      );
    });
    const loadCpu = MODES.map((mode) => `${median((rounds.get(mode) ?? []).map((r) => r.load)).toFixed(0)} µs beside ${mode}`).join(', ');
    console.log(`\nThe load generator's CPU per request (autocannon, on the same cores; the requests are signed before each load starts): ${loadCpu}.`);
    console.log(`\nvidbot / reference, round by round: ${ratios.map((r) => r.toFixed(2)).join(' / ')} (median ${median(ratios).toFixed(2)})`);
    console.log(`\nHeld at ${RATE} req/s for ${RATE_S} s:\n`);
    console.log('| server | req/s | p50 ms | p99 ms | non-2xx |');
    console.log('|---|---|---|---|---|');
    servers.forEach((server, index) => {
      const result = steady[index];
      if (result) console.log(`| ${LABEL[server.mode]} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx} |`);
    });
    console.log(`\ndurable: ${durable.text}`);
    if (signedDuringLoad > 0) {
      console.log(`\n⚠ ${signedDuringLoad} requests were signed during the loads, on the cores the servers share: raise BENCH_PRESIGNED_PER_SECOND.`);
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
