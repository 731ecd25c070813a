/**
 * Worker processes killed with SIGKILL at the worst moments, on the embedded queue and on BullMQ:
 * between Twilio's acceptance of the video and its answer (the user still gets one video), and on
 * every attempt of a job (the queue gives up, the task fails, the user is told once).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { type Vidbot, createVidbot } from '../../src/lib/create-vidbot.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { ACCOUNT, BOT_NUMBER } from '../helpers/bot.ts';
import { repoRoot } from '../helpers/cli.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { TEST_AUTH_TOKEN } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const src = (path: string) => JSON.stringify(join(repoRoot, 'src', 'lib', path));
const USER = 'whatsapp:+15550004444';

// A worker process on the same data (and Redis, when given). With STALL set, its provider writes
// its pid to a marker file and hangs, so the test can kill it mid-job.
const workerScript = `
import { appendFileSync } from 'node:fs';
import { loadConfig } from ${src('config/index.ts')};
import { createVidbot } from ${src('create-vidbot.ts')};
import { createLocalProvider } from ${src('video-provider/local.ts')};
const env = JSON.parse(process.argv[2]);
const { config } = loadConfig({ env, cwd: env.VIDBOT_DATA_DIR, dotenv: false });
const local = createLocalProvider({ ffmpeg: 'ffmpeg' });
const stalling = { ...local, generate: async () => {
  appendFileSync(env.STALL, process.pid + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 120_000));
  throw new Error('unreachable');
} };
const vidbot = await createVidbot(config, env.STALL ? { overrides: { provider: stalling } } : {});
vidbot.startWorkers({ concurrency: 1 });
process.stdout.write('worker ready\\n');
`;

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.cleanup();
});

describe.each([
  ['the embedded queue', () => ({})],
  ['BullMQ', () => ({ REDIS_URL: redis?.url ?? '' })],
] as const)('SIGKILLed workers on %s', (_name, queueEnv) => {
  let dir: string;
  let fake: FakeTwilio;
  let vidbot: Vidbot;
  let env: Record<string, string>;
  const children: ResultPromise[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidbot-crash-'));
    await writeFile(join(dir, 'worker.ts'), workerScript);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error(outputs.join('\n---\n'));
    outputs.length = 0;
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child;
    }
    await vidbot.close();
    await fake.close();
    await redis?.client().flushall();
  });

  const setUp = async (extra: Record<string, string> = {}) => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN });
    const dataDir = await mkdtemp(join(dir, 'data-'));
    env = {
      VIDBOT_DATA_DIR: dataDir,
      VIDBOT_VIDEO_SECONDS: '1',
      VIDBOT_JOB_LEASE_SEC: '1',
      PUBLIC_BASE_URL: 'https://bot.example.test',
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_WHATSAPP_FROM: BOT_NUMBER,
      TWILIO_API_BASE_URL: fake.url,
      ...queueEnv(),
      ...extra,
    };
    vidbot = await createVidbot(loadConfig({ env, cwd: dataDir, dotenv: false }).config);
    // The user wrote in just now: WhatsApp's 24-hour window is open.
    await vidbot.store.claimInbound({ messageId: `SM${'1'.repeat(32)}`, from: USER });
  };

  // Wrapped: a ResultPromise is a thenable, so an async function returning it would wait for its exit.
  const spawnWorker = async (extra: Record<string, string> = {}): Promise<{ child: ResultPromise }> => {
    const child = execa(process.execPath, [join(dir, 'worker.ts'), JSON.stringify({ ...env, ...extra })], { reject: false, all: true });
    children.push(child);
    let output = '';
    let exited = false;
    void child.finally(() => void (exited = true));
    const slot = outputs.push('') - 1;
    child.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      outputs[slot] = output;
    });
    await waitFor(async () => output.includes('worker ready') || exited, 30_000);
    if (!output.includes('worker ready')) throw new Error(`the worker did not start:\n${output}`);
    return { child };
  };

  const kill = async (child: ResultPromise) => {
    child.kill('SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
  };

  it('a kill between Twilio taking the video and its answer still delivers exactly one video', { timeout: 120_000 }, async () => {
    await setUp();
    fake.behaveNext({ hold: true });
    const { task } = await vidbot.submitTask({ prompt: 'a kite over the sea', from: USER, messageId: 'SMkill1' });
    const { child } = await spawnWorker();
    const [taken] = await fake.waitForMessages(1, 60_000);
    await kill(child);
    const stuck = await vidbot.store.getTask(task.taskId);
    expect(stuck).toMatchObject({ status: 'delivering', delivery: { status: 'pending' } });

    const survivor = vidbot.startWorkers({ concurrency: 1 });
    const done = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'done' ? t : undefined;
    }, 60_000);
    await survivor.close();
    expect(fake.messages).toHaveLength(1);
    expect(done.delivery).toMatchObject({ messageId: taken?.sid, status: 'queued' });
    expect(await vidbot.store.listVideos()).toHaveLength(1);
  });

  it('a job whose worker dies on every attempt ends its task, and the user is told once', { timeout: 180_000 }, async () => {
    await setUp();
    const marker = join(dir, `stall-${Date.now()}`);
    await writeFile(marker, '');
    const { task } = await vidbot.submitTask({ prompt: 'a clock tower at midnight', from: USER, messageId: 'SMkill2' });
    const starts = async () => (await readFile(marker, 'utf8')).split('\n').filter(Boolean).length;
    const ended = async () => (await vidbot.store.getTask(task.taskId))?.status === 'failed';
    for (let round = 0; round < 8 && !(await ended()); round += 1) {
      const before = await starts();
      const { child } = await spawnWorker({ STALL: marker });
      await waitFor(async () => (await starts()) > before || (await ended()), 60_000);
      await kill(child);
    }
    const failed = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'failed' ? t : undefined;
    }, 30_000);
    expect(failed.errorCode).toBe('VIDBOT_JOB_ABANDONED');
    expect(await starts()).toBeGreaterThanOrEqual(3);
    // The worker that ended the task may have been killed before its notice went out: the sweep
    // (every minute in each worker process) finishes it; either way the user is told exactly once.
    await vidbot.tasks.sweep({ olderThanMs: 0 });
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]?.body).toContain('something went wrong on my side');
    expect(await vidbot.tasks.sweep({ olderThanMs: 0 })).toEqual({ requeued: 0, abandoned: 0, noticesSent: 0, receiptsForgotten: 0 });
    expect(fake.messages).toHaveLength(1);
  });
});
