/**
 * One view across processes, in one test process: two vidbots on one Redis (and one SQLite file),
 * one running workers and one serving with none, as `vidbot worker` beside `vidbot serve
 * --no-workers` do. The web side's feed shows what the other's workers do; the workers' sum counts
 * the processes heard from lately and forgets the ones gone quiet.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/lib/activity/bus/port.ts';
import { createRedisActivityBus } from '../../src/lib/activity/bus/redis.ts';
import type { SimulatorEvent } from '../../src/lib/channel/simulator/index.ts';
import { type ActivityEvent, createActivityFeed } from '../../src/lib/activity/feed.ts';
import { publishWorkerActivity } from '../../src/lib/activity/publish.ts';
import { loadConfig } from '../../src/lib/config/index.ts';
import { createVidbot } from '../../src/lib/create-vidbot.ts';
import { createSqliteQueue } from '../../src/lib/queue/sqlite/index.ts';
import { startServer } from '../../src/server/index.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';
import { TEST_AUTH_TOKEN } from '../helpers/server.ts';
import { makeDataDir, waitFor } from '../helpers/vidbot.ts';

let redis: TestRedis;
let probe: Redis;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  redis = await startRedis();
  probe = redis.client();
});
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()?.();
  await redis.cleanup();
});

const CHANNEL = 'vidbot:tasks:vb:activity';
const subscribed = (count: number) =>
  waitFor(async () => ((await probe.pubsub('NUMSUB', CHANNEL)) as [string, number])[1] >= count, 10_000);

const workersOf = (events: readonly ActivityEvent[]) => events.filter((event): event is Extract<ActivityEvent, { type: 'workers' }> => event.type === 'workers');

describe('one view across processes', () => {
  it("shows the jobs another process's workers run: each stage, progress, what made the video, the machine and the end", async () => {
    const { dataDir, cleanup } = await makeDataDir();
    cleanups.push(cleanup);
    const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dataDir, REDIS_URL: redis.url, VIDBOT_VIDEO_SECONDS: '1' }, cwd: dataDir, dotenv: false });
    const web = await startServer(config, { listen: false, workers: 0, activity: true, authToken: TEST_AUTH_TOKEN });
    cleanups.push(() => web.close({ graceSec: 0 }));
    const seen: ActivityEvent[] = [];
    web.feed?.subscribe((event) => seen.push(event));
    await subscribed(1);

    const workerSide = await createVidbot(config);
    cleanups.push(() => workerSide.close());
    const worker = workerSide.startWorkers({ concurrency: 2 });
    await waitFor(async () => workersOf(seen).some((event) => event.concurrency === 2 && event.processes === 1), 10_000);

    const { task } = await workerSide.submitTask({ prompt: 'a lighthouse in a storm, waves crashing over the rocks', from: 'whatsapp:+15550001111' });
    const jobId = task.jobId ?? task.taskId;
    await waitFor(async () => seen.some((event) => event.type === 'job' && event.jobId === jobId && event.kind === 'completed'), 60_000);

    const ofJob = seen.filter((event): event is Extract<ActivityEvent, { jobId: string }> => 'jobId' in event && event.jobId === jobId);
    const here = { host: hostname(), pid: process.pid };
    expect(ofJob[0]).toMatchObject({ type: 'job', kind: 'active', origin: here, prompt: 'a lighthouse in a storm, waves crashing over the rocks', sender: 'whatsapp:+15550001111' });
    expect(ofJob.at(-1)).toMatchObject({ type: 'job', kind: 'completed', origin: here });
    const stages = ofJob.flatMap((event) => (event.type === 'stage' && event.state !== 'progress' ? [`${event.stage} ${event.state}`] : []));
    expect(stages).toEqual(expect.arrayContaining(['generate start', 'generate done', 'compress start', 'deliver done']));
    expect(ofJob.some((event) => event.type === 'stage' && event.state === 'progress' && event.stage === 'generate')).toBe(true);
    expect(ofJob.find((event) => event.type === 'made')).toMatchObject({ provider: 'local', origin: here });
    expect(ofJob.every((event) => event.origin?.host === here.host)).toBe(true);
    // The web side's history has it too, for a viewer that connects later (`status --watch`).
    expect(web.feed?.recent().some((event) => event.type === 'made' && event.jobId === jobId)).toBe(true);

    // A worker process that stops says so: it leaves the sum at once, not after the heartbeat's timeout.
    await worker.close({ release: true });
    await waitFor(async () => workersOf(seen).at(-1)?.processes === 0, 10_000);
    expect(workersOf(seen).at(-1)).toMatchObject({ running: 0, concurrency: 0 });
  }, 90_000);

  it("answers the simulator's users through the page of the web process, whichever process's worker made their video", async () => {
    const { dataDir, cleanup } = await makeDataDir();
    cleanups.push(cleanup);
    const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dataDir, REDIS_URL: redis.url, VIDBOT_VIDEO_SECONDS: '1' }, cwd: dataDir, dotenv: false });
    const web = await startServer(config, { listen: false, workers: 0, simulator: true, authToken: TEST_AUTH_TOKEN });
    cleanups.push(() => web.close({ graceSec: 0 }));
    const page: SimulatorEvent[] = [];
    web.simulator?.channel.subscribe((event) => page.push(event));
    await subscribed(1);

    const workerSide = await createVidbot(config);
    cleanups.push(() => workerSide.close());
    // A process without the page: its channels stay its own, the simulator's found through the bus.
    expect(workerSide.channels.all.map((channel) => channel.name)).toEqual(['local']);
    const worker = workerSide.startWorkers({ concurrency: 1 });
    cleanups.push(() => worker.close());
    const from = 'whatsapp:+15550002222';
    const { task } = await web.vidbot.submitTask({ prompt: 'a paper lantern drifting up', from, channel: 'simulator' });
    const done = await waitFor(async () => {
      const latest = await web.vidbot.store.getTask(task.taskId);
      return latest?.status === 'done' ? latest : undefined;
    }, 60_000);
    const video = await waitFor(async () => page.find((event) => event.type === 'message' && event.message.mediaFile !== undefined), 10_000);
    expect(video).toMatchObject({ type: 'message', message: { to: from, reference: done.delivery?.outboundId, messageId: done.delivery?.messageId } });
    expect(await web.vidbot.store.findOutbound({ id: done.delivery?.outboundId ?? '' })).toMatchObject({ channel: 'simulator', status: 'sent' });
    // Then the buttons for another take, on the page as well.
    await waitFor(async () => page.some((event) => event.type === 'message' && event.message.presented === 'buttons'), 10_000);
  }, 90_000);

  it('sums the workers of every process heard from, and forgets one that went quiet', async () => {
    const { dataDir, cleanup } = await makeDataDir();
    cleanups.push(cleanup);
    const queue = createSqliteQueue<unknown>({ file: join(dataDir, 'feed.db') });
    cleanups.push(() => queue.close());
    const connection = redis.client();
    await connection.ping();
    const channel = `vidbot:quiet-test:vb:activity`;
    const viewerBus = createRedisActivityBus({ connection, channel, origin: { host: 'web-1', pid: 1 } });
    const busyBus = createRedisActivityBus({ connection, channel, origin: { host: 'worker-a', pid: 7 } });
    const quietBus = createRedisActivityBus({ connection, channel, origin: { host: 'worker-b', pid: 7 } });
    cleanups.push(() => viewerBus.close(), () => busyBus.close(), () => quietBus.close());
    let clock = 1_000_000;
    const feed = createActivityFeed({ queue, bus: viewerBus, now: () => clock, countsEveryMs: 20, workersTimeoutMs: 6_000 });
    cleanups.push(async () => feed.close());
    const seen: ActivityEvent[] = [];
    feed.subscribe((event) => seen.push(event));
    await waitFor(async () => ((await connection.pubsub('NUMSUB', channel)) as [string, number])[1] === 1, 10_000);

    // One process heartbeats on its own timer; the other says its status once and is never heard from again.
    const busy = publishWorkerActivity({ bus: busyBus, queue, worker: { id: 'a', running: 1, paused: false }, concurrency: 2, heartbeatMs: 50 });
    cleanups.push(async () => busy.stop());
    quietBus.publish({ type: 'workers', running: 2, concurrency: 2, paused: false, ts: clock });
    await waitFor(async () => workersOf(seen).some((event) => event.processes === 2), 10_000);
    expect(workersOf(seen).find((event) => event.processes === 2)).toMatchObject({ running: 3, concurrency: 4, machines: 2, paused: false });

    // Time passes on the viewer's clock: the busy process's next heartbeat keeps it; the quiet one drops out.
    clock += 7_000;
    await waitFor(async () => workersOf(seen).at(-1)?.processes === 1, 10_000);
    expect(workersOf(seen).at(-1)).toMatchObject({ running: 1, concurrency: 2, machines: 1 });
  });

  it('tells a worker process that drains and stops by name, never as its workers paused and resumed', async () => {
    const { dataDir, cleanup } = await makeDataDir();
    cleanups.push(cleanup);
    const queue = createSqliteQueue<unknown>({ file: join(dataDir, 'feed.db') });
    cleanups.push(() => queue.close());
    const connection = redis.client();
    await connection.ping();
    const channel = 'vidbot:stop-test:vb:activity';
    const viewerBus = createRedisActivityBus({ connection, channel, origin: { host: 'web-1', pid: 1 } });
    const workerBus = createRedisActivityBus({ connection, channel, origin: { host: 'worker-a', pid: 7 } });
    cleanups.push(() => viewerBus.close(), () => workerBus.close());
    const feed = createActivityFeed({ queue, bus: viewerBus, countsEveryMs: 60_000 });
    cleanups.push(async () => feed.close());
    const seen: ActivityEvent[] = [];
    feed.subscribe((event) => seen.push(event));
    await waitFor(async () => ((await connection.pubsub('NUMSUB', channel)) as [string, number])[1] === 1, 10_000);

    const heard: BusMessage[] = [];
    viewerBus.subscribe((message) => heard.push(message));
    // A worker that is draining has paused itself: what it publishes, heartbeats included, says it stops.
    const worker = { id: 'a', running: 1, paused: false };
    const activity = publishWorkerActivity({ bus: workerBus, queue, worker, concurrency: 2, heartbeatMs: 50 });
    await waitFor(async () => workersOf(seen).some((event) => event.processes === 1), 10_000);
    activity.stopping();
    worker.paused = true;
    const before = heard.length;
    await waitFor(async () => heard.slice(before).filter((message) => message.event.type === 'workers').length >= 3, 10_000);
    activity.stop();
    await waitFor(async () => seen.some((event) => event.type === 'log' && event.message === 'Worker process worker-a:7 stopped.'), 10_000);
    expect(seen.filter((event) => event.type === 'log').map((event) => event.type === 'log' && event.message)).toEqual([
      'Worker process worker-a:7 is stopping: it takes no new jobs; its running ones finish or go back to the queue.',
      'Worker process worker-a:7 stopped.',
    ]);
    expect(workersOf(seen).some((event) => event.paused || (event.pausedProcesses ?? 0) > 0)).toBe(false);
    // While it stopped, only the place its running job held counted: no one's ETA waited on its free ones.
    expect(workersOf(seen)).toContainEqual(expect.objectContaining({ processes: 1, running: 1, concurrency: 1 }));
    expect(workersOf(seen).at(-1)).toMatchObject({ processes: 0 });
  });
});
