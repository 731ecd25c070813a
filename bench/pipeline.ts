/**
 * npm run bench:pipeline — what the pipeline itself costs, each figure beside a baseline from the
 * same run and against its goal:
 * 1. a cache hit, from the webhook to the messenger's send (goal < 300 ms); baseline: the webhook's
 *    own answer;
 * 2. the pipeline's overhead for a 6 s 720p clip from a provider that answers at once (goal
 *    < 1.5 s); baseline: a bare ffmpeg remux of the same clip;
 * 3. peak RSS while compressing a 100 MB video (goal < 200 MB); baseline: the same process before;
 * 4. `vidbot serve` idle (goal <= 120 MB); baseline: a bare `node -e` process.
 * The server runs in this process on the real Twilio SDK, against the loopback Twilio fake of the
 * tests. Figures, not a pass/fail test. Builds dist/ first: (4) runs the CLI as users do.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/lib/config/index.ts';
import { locateFfmpeg } from '../src/lib/ffmpeg/locate.ts';
import type { VideoProvider } from '../src/lib/video-provider/port.ts';
import { startServer } from '../src/server/index.ts';
import { computeTwilioSignature } from '../src/lib/channel/twilio/signature.ts';
import { startFakeTwilio } from '../test/fakes/twilio-api.ts';
import { freePort } from '../test/helpers/ports.ts';
import { rssOf, serveIdleRss } from './pipeline-serve.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const ACCOUNT = `AC${'b0'.repeat(16)}`;
const TOKEN = 'bench-pipeline-token-not-a-secret';
const BOT = 'whatsapp:+14155238886';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const bins = await locateFfmpeg();
const log = (line: string) => void process.stderr.write(`${line}\n`);
const ms = (from: number) => performance.now() - from;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;

const ffmpeg = (args: readonly string[]) => run(bins.ffmpeg, ['-v', 'error', '-y', ...args], { maxBuffer: 1 << 20 });

/** A model that has the video ready: what is left of a run is the pipeline's own work. */
const instantProvider = (clip: string): VideoProvider => ({
  name: 'instant',
  defaultModel: 'ready-clip',
  capabilities: () => ({ imageToVideo: false, ai: true }),
  async generate(_request, { workDir }) {
    const file = join(workDir, 'generated.mp4');
    await copyFile(clip, file);
    return { file, provider: 'instant', model: 'ready-clip' };
  },
});

const dir = await mkdtemp(join(tmpdir(), 'vidbot-bench-pipeline-'));
const rows: string[] = [];
const row = (what: string, figure: string, baseline: string, goal: string, met: boolean) =>
  rows.push(`| ${what} | ${figure} | ${baseline} | ${goal} | ${met ? '✔' : '✖ missed'} |`);

try {
  log('building dist/ (the serve figure runs the CLI as users do) ...');
  await run('npm', ['run', 'build'], { cwd: ROOT });

  log('making a 6 s 720p clip (H.264 and AAC, as a model delivers it) ...');
  const clip = join(dir, 'clip-720p-6s.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '6', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '2M', '-c:a', 'aac', '-b:a', '128k', clip]);

  const fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const { config } = loadConfig({
    env: {
      VIDBOT_DATA_DIR: dataDir, PORT: String(port), VIDBOT_HOST: '127.0.0.1', PUBLIC_BASE_URL: base,
      TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_WHATSAPP_FROM: BOT, TWILIO_API_BASE_URL: fake.url,
      VIDBOT_VIDEO_SECONDS: '6', VIDBOT_ORIENTATION: 'landscape', VIDBOT_SHUTDOWN_GRACE_SEC: '0',
    },
    cwd: dataDir,
    dotenv: false,
  });
  // Stage durations of the fresh runs and of the cache hits, apart.
  const stages = { fresh: new Map<string, number[]>(), hit: new Map<string, number[]>() };
  let phase: keyof typeof stages = 'fresh';
  const server = await startServer(config, {
    workers: 1,
    overrides: { provider: instantProvider(clip) },
    onEvent: (_taskId, event) => {
      if (event.type === 'stage:done') stages[phase].set(event.stage, [...(stages[phase].get(event.stage) ?? []), event.durationMs]);
    },
  });

  /** Posts a message; resolves with the time to the webhook's answer and to Twilio's receipt of the video. */
  let sent = 0;
  const deliver = async (from: string, prompt: string) => {
    const before = fake.messages.filter((m) => m.mediaUrls.length > 0).length;
    const url = `${base}/whatsapp/webhook`;
    const params = { From: from, To: BOT, Body: prompt, MessageSid: `SM${String(sent).padStart(32, '0')}`, NumMedia: '0' };
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': computeTwilioSignature({ authToken: TOKEN, url, params }) };
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    await response.text();
    const answered = ms(started);
    while (fake.messages.filter((m) => m.mediaUrls.length > 0).length <= before) await fake.waitForMessages(fake.messages.length + 1, 30_000);
    sent += 1;
    return { answered, delivered: ms(started) };
  };

  log('new prompts through an instant provider, and the same prompts again (cache hits) ...');
  const fresh: number[] = [];
  const hits: number[] = [];
  const acks: number[] = [];
  for (let n = 0; n < REPEAT; n += 1) {
    const prompt = `a lighthouse in a storm, waves breaking, take ${n}`;
    phase = 'fresh';
    fresh.push((await deliver(`whatsapp:+1555010${String(n).padStart(4, '0')}`, prompt)).delivered);
    phase = 'hit';
    const hit = await deliver(`whatsapp:+1555020${String(n).padStart(4, '0')}`, prompt);
    hits.push(hit.delivered);
    acks.push(hit.answered);
  }
  const remuxes: number[] = [];
  for (let n = 0; n < REPEAT; n += 1) {
    const started = performance.now();
    await ffmpeg(['-i', clip, '-c', 'copy', '-movflags', '+faststart', join(dir, `remux-${n}.mp4`)]);
    remuxes.push(ms(started));
  }
  await server.close({ graceSec: 0 });
  await fake.close();
  const hit = median(hits);
  row('1. cache hit, webhook to the messenger\'s send', `${hit.toFixed(0)} ms`, `webhook answered in ${median(acks).toFixed(0)} ms`, '< 300 ms', hit < 300);
  const overhead = median(fresh);
  row('2. pipeline overhead, 6 s 720p clip, instant provider (webhook to send)', `${overhead.toFixed(0)} ms`, `bare ffmpeg remux ${median(remuxes).toFixed(0)} ms`, '< 1500 ms', overhead < 1500);

  log('making a 100 MB 1080p video, then compressing it in a process of its own ...');
  const big = join(dir, 'big-100mb.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30,noise=alls=20:allf=t', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '25', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '32M', '-maxrate', '32M', '-bufsize', '32M', '-c:a', 'aac', big]);
  const bigBytes = (await stat(big)).size;
  const child = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [...process.execArgv, new URL('./pipeline-rss.ts', import.meta.url).pathname, ...args], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { before: number; peak: number; seconds?: number; mode?: string; bytes?: number };
  };
  const compressed = await child('compress', big, join(dir, 'big-whatsapp.mp4'));
  row(
    `3. peak RSS compressing a ${mb(bigBytes)} video (${compressed.mode}, ${(compressed.seconds ?? 0).toFixed(0)} s)`,
    mb(compressed.peak),
    `${mb(compressed.before)} before it started`,
    '< 200 MB',
    compressed.peak < 200 * 1_048_576,
  );

  log('vidbot serve, idle ...');
  const idle = await serveIdleRss({ root: ROOT, dataDir: join(dir, 'serve') });
  const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const bare = await rssOf(node.pid ?? 0);
  node.kill();
  row(`4. vidbot serve idle (${idle.note})`, mb(idle.rss), `bare node -e: ${mb(bare)}`, '<= 120 MB', idle.rss <= 120 * 1_048_576);

  console.log(`\nNode ${process.version}, ${sent} messages delivered through the Twilio fake, medians of ${REPEAT}\n`);
  console.log('| measure | vidbot | baseline, same run | goal | |');
  console.log('|---|---|---|---|---|');
  for (const line of rows) console.log(line);
  for (const [name, byStage] of Object.entries(stages)) {
    const parts = [...byStage].map(([stage, durations]) => `${stage} ${median(durations).toFixed(0)} ms`);
    console.log(`\nStages of ${name === 'fresh' ? 'a fresh run' : 'a cache hit'} (medians): ${parts.join(', ')}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
