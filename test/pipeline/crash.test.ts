import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { type Vidbot, createVidbot } from '../../src/lib/create-vidbot.ts';
import { createSqliteQueue } from '../../src/lib/queue/sqlite/index.ts';
import { repoRoot } from '../helpers/cli.ts';
import { waitFor } from '../helpers/vidbot.ts';

const LEASE_MS = 1500;
const src = (path: string) => JSON.stringify(join(repoRoot, 'src', 'lib', path));

// A worker process whose provider stalls after it starts, so the test can SIGKILL it mid-job.
const childScript = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from ${src('config/index.ts')};
import { createVidbot } from ${src('create-vidbot.ts')};
import { createSqliteQueue } from ${src('queue/sqlite/index.ts')};
import { createLocalProvider } from ${src('video-provider/local.ts')};
const [dataDir, marker] = process.argv.slice(2);
const local = createLocalProvider({ ffmpeg: 'ffmpeg' });
const stalling = { ...local, name: 'local', generate: async () => {
  writeFileSync(marker, String(process.pid));
  await new Promise((resolve) => setTimeout(resolve, 120_000));
  throw new Error('unreachable');
} };
const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dataDir, VIDBOT_VIDEO_SECONDS: '2', PUBLIC_BASE_URL: 'https://bot.example.test' }, cwd: dataDir, dotenv: false });
const queue = createSqliteQueue({ file: join(dataDir, 'vidbot.db'), leaseMs: ${LEASE_MS} });
const vidbot = await createVidbot(config, { overrides: { provider: stalling, queue } });
vidbot.startWorkers({ concurrency: 1, workerId: 'doomed' });
`;

let dir: string;
let vidbot: Vidbot;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-crash-'));
  const dataDir = join(dir, 'data');
  const { config } = loadConfig({
    env: { VIDBOT_DATA_DIR: dataDir, VIDBOT_VIDEO_SECONDS: '2', PUBLIC_BASE_URL: 'https://bot.example.test' },
    cwd: dir,
    dotenv: false,
  });
  const queue = createSqliteQueue<{ taskId: string }>({ file: join(dataDir, 'vidbot.db'), leaseMs: LEASE_MS });
  vidbot = await createVidbot(config, { overrides: { queue } });
});
afterAll(async () => {
  await vidbot.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a worker killed with SIGKILL in the middle of a job', () => {
  it('leaves the job to another worker, which completes it exactly once', async () => {
    const from = 'whatsapp:+15550003333';
    const { task } = await vidbot.submitTask({ prompt: 'a lighthouse in a storm', from, messageId: 'SMcrash1' });
    const scriptFile = join(dir, 'worker.ts');
    const marker = join(dir, 'started');
    await writeFile(scriptFile, childScript);
    const child = execa(process.execPath, [scriptFile, vidbot.paths.dataDir, marker], { reject: false });
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    await waitFor(async () => existsSync(marker) || exited, 30_000);
    expect(existsSync(marker)).toBe(true);
    expect((await vidbot.store.getTask(task.taskId))?.status).toBe('processing');
    child.kill('SIGKILL');
    const ended = await child;
    expect(ended.signal).toBe('SIGKILL');

    const worker = vidbot.startWorkers({ concurrency: 1, workerId: 'survivor' });
    const done = await waitFor(async () => {
      const t = await vidbot.store.getTask(task.taskId);
      return t?.status === 'done' ? t : undefined;
    }, 45_000);
    await worker.close();

    expect(done.attempts).toBe(2);
    expect(await vidbot.store.listVideos()).toHaveLength(1);
    // One video, and the offer of another version that follows it on the local channel.
    const sent = await vidbot.store.listOutbound({ to: from });
    expect(sent.map((m) => m.kind).sort()).toEqual(['choices', 'result']);
    expect(sent.find((m) => m.kind === 'result')?.mediaUrl).toBe(done.videoUrl);
    const job = await vidbot.queue.get(task.taskId);
    expect(job).toMatchObject({ state: 'completed', attempts: 2, workerId: 'survivor' });
  });
});
