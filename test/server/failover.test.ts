/**
 * Failover end to end (VIDBOT_PROVIDER=replicate,fal): the served bot, a worker, the real Replicate
 * and fal clients against their loopback fakes, real ffmpeg (both fakes make the same clip: it is
 * compressed once, and each task gets a copy of what the compressor wrote). Replicate's outage
 * moves a task to fal without a second paid job; its refusal does not; a create whose outcome is
 * unknown holds the task at Replicate until it is found or surely absent; the circuit opens and
 * closes; a restart resumes the job on the provider that had it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { startServer } from '../../src/server/index.ts';
import { type FakeFal, startFakeFal } from '../fakes/fal-api.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { oneClipCompressor } from '../helpers/clip-provider.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis } from '../helpers/redis.ts';
import { TEST_AUTH_TOKEN, signedPost, twimlText, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const ACCOUNT = `AC${'fa'.repeat(16)}`;
const USER = 'whatsapp:+15550003333';
const FAL_MODEL = 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video';

let root: string;
let clip: Buffer;
let compressor: ReturnType<typeof oneClipCompressor>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-failover-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
  compressor = oneClipCompressor({ ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe', dir: root });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Services {
  readonly twilio: FakeTwilio;
  readonly replicate: FakeReplicate;
  readonly fal: FakeFal;
}

const startServices = async (runMs = 300): Promise<Services> => {
  const twilio = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN });
  const replicate = await startFakeReplicate({ runMs });
  const fal = await startFakeFal({ runMs });
  replicate.setOutput(clip);
  fal.setOutput(clip);
  cleanups.push(() => twilio.close(), () => replicate.close(), () => fal.close());
  return { twilio, replicate, fal };
};

/** One `vidbot serve`-like process on a data dir, failing over from Replicate to fal. */
const startProcess = async (services: Services, env: Record<string, string> = {}, dataDir?: string, port?: number, workers = 1) => {
  const dir = dataDir ?? (await mkdtemp(join(root, 'data-')));
  const listen = port ?? (await freePort());
  const base = `http://127.0.0.1:${listen}`;
  const { config } = loadConfig({
    env: {
      VIDBOT_DATA_DIR: dir,
      PUBLIC_BASE_URL: base,
      PORT: String(listen),
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      TWILIO_API_BASE_URL: services.twilio.url,
      REPLICATE_API_TOKEN: services.replicate.token,
      REPLICATE_API_BASE_URL: services.replicate.url,
      FAL_KEY: services.fal.key,
      FAL_API_BASE_URL: services.fal.url,
      VIDBOT_PROVIDER: 'replicate,fal',
      VIDBOT_VIDEO_SECONDS: '1',
      VIDBOT_SHUTDOWN_GRACE_SEC: '0',
      ...env,
    },
    cwd: dir,
    dotenv: false,
  });
  const warnings: string[] = [];
  const server = await startServer(config, { workers, authToken: TEST_AUTH_TOKEN, overrides: { compressor }, onWarning: (message) => warnings.push(message) });
  const stop = () => server.close({ graceSec: 0 });
  cleanups.push(stop);
  const { vidbot } = server;
  /** Sends a prompt and returns its task. */
  const prompt = async (text: string): Promise<Task> => {
    const request = signedPost(`${base}/whatsapp/webhook`, whatsappText(USER, text));
    const response = await fetch(`${base}${request.url}`, { method: 'POST', headers: request.headers, body: request.payload });
    expect(twimlText(await response.text())).toContain('Generating your video');
    const [task] = await vidbot.store.listTasks({ from: USER, limit: 1 });
    if (!task) throw new Error('no task');
    return task;
  };
  const until = (taskId: string, ...statuses: string[]) =>
    waitFor(async () => {
      const task = await vidbot.store.getTask(taskId);
      return task && statuses.includes(task.status) ? task : undefined;
    }, 60_000);
  return { vidbot, app: server.app, base, dataDir: dir, port: listen, warnings, prompt, until, stop };
};

const health = async (app: Awaited<ReturnType<typeof startProcess>>['app']) =>
  (await app.inject({ method: 'GET', url: '/health' })).json() as { providers?: { provider: string; state: string; outages: number; retry_at?: string | null }[] };

describe('failover from Replicate to fal', () => {
  it.each([
    ['answers 500 to every create (the list shows none made)', 500, undefined],
    ['answers 503 (nothing started) beyond the retries', 503, 0],
  ])('when Replicate %s: fal makes the video, one fal job, no Replicate prediction', async (_when, status, retryAfterSec) => {
    const services = await startServices();
    services.replicate.misbehaveCreate({ kind: 'status', status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) }, { times: 20 });
    const bot = await startProcess(services);
    const task = await bot.prompt('a fox running through a neon city at night');
    const done = await bot.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', remoteProvider: 'fal', generation: { provider: 'fal', model: FAL_MODEL } });
    expect(done.options.provider).toBe('replicate,fal');
    expect(services.fal.requests.size).toBe(1);
    expect(done.remoteJobId).toBe(`${[...services.fal.requests.keys()][0]}@${FAL_MODEL}`);
    expect(services.replicate.predictions.size).toBe(0);
    // A 500 may hide a prediction: one create, then the list, never a second create there.
    if (status === 500) expect(services.replicate.creates()).toBe(1);
    expect(bot.warnings.some((w) => /replicate had an outage \(VIDBOT_PROVIDER_FAILED\); trying fal/.test(w))).toBe(true);
    const [message] = await services.twilio.waitForMessages(1, 30_000);
    expect(message?.mediaUrls).toHaveLength(1);
  });

  it('fails over when Replicate refuses the key at the start, which started nothing there', async () => {
    const services = await startServices(150);
    const bot = await startProcess(services, { REPLICATE_API_TOKEN: 'r8_revoked' });
    const done = await bot.until((await bot.prompt('a kite over a beach')).taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', generation: { provider: 'fal' } });
    expect(services.replicate.predictions.size).toBe(0);
    expect(bot.warnings.some((w) => w.includes('replicate had an outage (VIDBOT_PROVIDER_AUTH); trying fal'))).toBe(true);
  });

  it('does not fail over when the model refused the prompt: the user is told, fal is never asked', async () => {
    const services = await startServices(150);
    services.replicate.setOutcome('refuse');
    const bot = await startProcess(services);
    const task = await bot.prompt('something the model refuses');
    const failed = await bot.until(task.taskId, 'failed', 'done');
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'VIDBOT_CONTENT_REFUSED', remoteProvider: 'replicate' });
    const [message] = await services.twilio.waitForMessages(1, 30_000);
    expect(message?.body).toContain('turned that description down');
    expect(services.fal.requests.size).toBe(0);
    expect(services.replicate.creates()).toBe(1);
  });

  it('holds a task whose create got no clear answer at Replicate until the list shows it absent, then moves on', async () => {
    const services = await startServices();
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 });
    // The list is down too: whether the create made a prediction cannot be known yet.
    services.replicate.failList(500, 5, 0);
    const bot = await startProcess(services);
    const task = await bot.prompt('a red balloon drifting over rooftops');
    const held = await waitFor(async () => {
      const latest = await bot.vidbot.store.getTask(task.taskId);
      return latest?.errorCode === 'VIDBOT_PROVIDER_FAILED' ? latest : undefined;
    });
    expect(held.remoteProvider).toBe('replicate');
    expect(held.remoteJobRequestedAt).toBeGreaterThan(0);
    expect(services.fal.requests.size).toBe(0);
    // The next attempt looks again, finds nothing, and fal makes it: still one paid job.
    const done = await bot.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', generation: { provider: 'fal' } });
    expect(services.replicate.creates()).toBe(1);
    expect(services.replicate.predictions.size).toBe(0);
    expect(services.fal.requests.size).toBe(1);
  });

  it('adopts the prediction an unclear create made, once the list shows it: no failover, no second job', async () => {
    const services = await startServices();
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 }, { made: true });
    services.replicate.failList(500, 5, 0);
    const bot = await startProcess(services);
    const task = await bot.prompt('a paper boat on a rainy street');
    const done = await bot.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', remoteProvider: 'replicate', generation: { provider: 'replicate', model: 'minimax/video-01' } });
    expect(services.replicate.predictions.size).toBe(1);
    expect(done.remoteJobId).toBe([...services.replicate.predictions.keys()][0]);
    expect(services.fal.requests.size).toBe(0);
  });

  it('opens the circuit after repeated outages (later tasks go straight to fal), and closes it once Replicate answers again', async () => {
    const services = await startServices(150);
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 }, { times: 2 });
    // A cool-down long enough that the third task surely starts within it, even on a loaded machine.
    const bot = await startProcess(services, { VIDBOT_CIRCUIT_OUTAGES: '2', VIDBOT_CIRCUIT_COOLDOWN_SEC: '6' });
    for (const text of ['a lighthouse in a storm', 'a kite over a beach']) {
      const done = await bot.until((await bot.prompt(text)).taskId, 'done', 'failed');
      expect(done.generation?.provider).toBe('fal');
    }
    expect(services.replicate.creates()).toBe(2);
    const open = (await health(bot.app)).providers?.find((p) => p.provider === 'replicate');
    expect(open?.state).toBe('open');

    // Replicate is healthy again, but the circuit is open: the next task does not ask it.
    const third = await bot.until((await bot.prompt('a quiet lake at dawn')).taskId, 'done', 'failed');
    expect(third.updatedAt, 'the third task ran within the cool-down').toBeLessThan(Date.parse(open?.retry_at ?? ''));
    expect(third.generation?.provider).toBe('fal');
    expect(services.replicate.creates()).toBe(2);

    // After the cool-down one task tries Replicate again; its success closes the circuit.
    await waitFor(async () => Date.now() >= Date.parse(open?.retry_at ?? '') || undefined);
    const fourth = await bot.until((await bot.prompt('a train crossing a bridge')).taskId, 'done', 'failed');
    expect(fourth.generation?.provider).toBe('replicate');
    expect((await health(bot.app)).providers?.find((p) => p.provider === 'replicate')?.state).toBe('closed');
    expect(services.fal.requests.size).toBe(3);
  });

  it('shares what the circuits learn across processes on one Redis: a web process reports the circuit its worker opened', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.cleanup());
    const services = await startServices(150);
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 }, { times: 2 });
    const env = { REDIS_URL: redis.url, VIDBOT_CIRCUIT_OUTAGES: '2', VIDBOT_CIRCUIT_COOLDOWN_SEC: '60' };
    // `vidbot serve --no-workers` beside a process whose worker runs the jobs.
    const web = await startProcess(services, env, undefined, undefined, 0);
    const worker = await startProcess(services, env);
    const replicateOf = async (app: typeof web.app) => (await health(app)).providers?.find((p) => p.provider === 'replicate');
    const first = await worker.until((await worker.prompt('a lighthouse in a storm')).taskId, 'done', 'failed');
    expect(first.generation?.provider).toBe('fal');
    // One outage, heard by the web process as its own.
    await waitFor(async () => (await replicateOf(web.app))?.outages === 1 || undefined, 10_000);
    expect(await replicateOf(web.app)).toMatchObject({ state: 'closed' });
    await worker.until((await worker.prompt('a kite over a beach')).taskId, 'done', 'failed');
    const opened = await waitFor(async () => {
      const circuit = await replicateOf(web.app);
      return circuit?.state === 'open' ? circuit : undefined;
    }, 10_000);
    // The same cool-down as the worker's own circuit, to the millisecond: both count from the outage itself.
    expect(opened.retry_at).toBe((await replicateOf(worker.app))?.retry_at);
    expect(services.replicate.creates()).toBe(2);
  });

  it('resumes a job after a restart on the provider that had it, though the first in the list works again', async () => {
    const services = await startServices(3_000);
    services.replicate.misbehaveCreate({ kind: 'status', status: 500 }, { times: 5 });
    const first = await startProcess(services);
    const task = await first.prompt('a train crossing a bridge at dusk');
    const onFal = await waitFor(async () => {
      const latest = await first.vidbot.store.getTask(task.taskId);
      return latest?.remoteJobId && latest.remoteProvider === 'fal' ? latest : undefined;
    }, 20_000);
    await first.stop();

    const second = await startProcess(services, {}, first.dataDir, first.port);
    const done = await second.until(task.taskId, 'done', 'failed');
    expect(done).toMatchObject({ status: 'done', remoteJobId: onFal.remoteJobId, generation: { provider: 'fal' } });
    expect(services.fal.requests.size).toBe(1);
    expect(services.replicate.predictions.size).toBe(0);
    await services.twilio.waitForMessages(1, 10_000);
    expect(services.twilio.messages).toHaveLength(1);
  });
});
