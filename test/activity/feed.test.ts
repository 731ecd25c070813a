/**
 * The feed's replay for a new viewer (GET /api/events, `vidbot status --watch`): a long job whose
 * start has left the history is still shown with who it is for and where it stands.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActivityEvent, createActivityFeed } from '../../src/lib/activity/feed.ts';
import { createSqliteQueue } from '../../src/lib/queue/index.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const ofJob = (events: readonly ActivityEvent[], jobId: string) => events.filter((event) => 'jobId' in event && event.jobId === jobId);

describe('activity feed history', () => {
  it("replays a running job's start and latest stage once they have left the history, and forgets the job once it ends", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidbot-feed-'));
    const queue = createSqliteQueue<{ prompt: string }>({ file: join(dir, 'vidbot.db'), pollMs: 20 });
    let clock = Date.now();
    const feed = createActivityFeed({
      queue,
      history: 5,
      now: () => clock,
      countsEveryMs: 60_000,
      lookUpJob: async () => ({ prompt: 'a whale over the city', sender: 'whatsapp:+15550001111' }),
    });
    cleanups.push(async () => {
      feed.close();
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    });
    let finish = (): void => {};
    const released = new Promise<void>((resolve) => (finish = resolve));
    const worker = queue.work(async () => released, { concurrency: 1 });
    const { id: jobId } = await queue.add({ prompt: 'a whale over the city' }, { jobId: 'job-1' });
    await waitFor(async () => ofJob(feed.recent(), jobId).some((event) => event.type === 'job' && event.kind === 'active' && event.prompt !== undefined), 10_000);

    feed.pipeline(jobId, { type: 'stage:start', stage: 'generate' });
    feed.pipeline(jobId, { type: 'stage:progress', stage: 'generate', percent: 40 });
    for (let n = 0; n < 10; n += 1) feed.log('info', `line ${n}`);

    const replayed = ofJob(feed.recent(), jobId);
    expect(replayed).toMatchObject([
      { type: 'job', kind: 'active', prompt: 'a whale over the city', sender: 'whatsapp:+15550001111' },
      { type: 'stage', stage: 'generate', state: 'start' },
      { type: 'stage', stage: 'generate', state: 'progress', percent: 40 },
    ]);
    // The rest of the history as it was: the newest lines, nothing of the job twice.
    expect(feed.recent().filter((event) => event.type === 'log')).toHaveLength(5);

    // A stage started recently enough to be in the history: its progress is replayed after it.
    feed.pipeline(jobId, { type: 'stage:start', stage: 'compress' });
    // Past the feed's throttle of a job's progress, on its own clock.
    clock += 1_000;
    feed.pipeline(jobId, { type: 'stage:progress', stage: 'compress', percent: 70 });
    const again = feed.recent();
    const startAt = again.findIndex((event) => event.type === 'stage' && event.stage === 'compress' && event.state === 'start');
    const progressAt = again.findIndex((event) => event.type === 'stage' && event.stage === 'compress' && event.state === 'progress');
    expect(startAt).toBeGreaterThanOrEqual(0);
    expect(progressAt).toBeGreaterThan(startAt);

    finish();
    await waitFor(async () => ofJob(feed.recent(), jobId).some((event) => event.type === 'job' && event.kind === 'completed'), 10_000);
    for (let n = 0; n < 10; n += 1) feed.log('info', `after ${n}`);
    expect(ofJob(feed.recent(), jobId)).toEqual([]);
    await worker.close();
  });
});
