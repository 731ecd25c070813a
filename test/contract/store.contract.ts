/**
 * The Store contract: written once, run by every adapter (SQLite today, MongoDB later). The port's
 * semantics are defined here, not by what one database happens to do:
 *
 * - Optional fields are absent (never null) when unset; booleans round-trip, false included.
 * - Patches (updateTask, updateInbound, updateOutbound): absent keys leave a field as it is; a key
 *   whose value is undefined clears an optional field (required ones, status/attempts, are kept).
 * - transitionTask and updateOutbound's ifStatus are compare-and-set on the status.
 * - Lists are newest first (createdAt desc, insertion order breaking ties); limit defaults to 20,
 *   limit 0 returns nothing, negative or fractional limits/offsets reject with VIDBOT_INVALID_ARGUMENT (a caller's bug).
 * - status: [] matches no task. Unknown ids: getX returns null; updateTask rejects with
 *   VIDBOT_TASK_NOT_FOUND; updateInbound/updateOutbound are no-ops.
 * - createTask is idempotent on taskId, then on messageId; addVideo on taskId; recordOutbound on
 *   its id; claimInbound on messageId - across instances too. A messageId names one record.
 * - putCache replaces the whole entry. Messages come back in append order.
 * - ingest claims a message once (across instances), asks the unit to decide only then, places a new
 *   task only once it can be read, and stores the answer on the claim and in the session; a
 *   redelivery writes nothing and gets the first claim. A unit that fails fails alone and leaves no answer.
 * - close() is idempotent; any other call after it rejects with VIDBOT_STORE_FAILED.
 *
 * makeStore gives a fresh, empty store. reopen, when given, opens ANOTHER instance on the same data
 * (a second connection/client) without closing the first; the suite closes what reopen returns.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isVidbotError } from '../../src/lib/errors.ts';
import type { InboundUnit, NewTask, NewVideo, OutboundRecord, Store, Task } from '../../src/lib/store/port.ts';

export interface StoreHarness {
  readonly store: Store;
  /** The store adds and places tasks' jobs itself (SQLite with the embedded queue on its connection): a unit's place is not called. */
  readonly placesJobs?: boolean;
  readonly reopen?: () => Promise<Store>;
  readonly cleanup: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const rejectsWith = async (promise: Promise<unknown>, code: ErrorCode): Promise<void> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isVidbotError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
};

const OPTIONS = {
  provider: 'fake',
  model: 'fake-1',
  orientation: 'portrait',
  durationSec: 5,
  polish: true,
  useCache: true,
} as const;

const newTask = (over: Partial<NewTask> = {}): NewTask => ({
  prompt: 'a fox running',
  sessionId: 'whatsapp:+15550001',
  from: 'whatsapp:+15550001',
  options: OPTIONS,
  ...over,
});

const newVideo = (taskId: string, over: Partial<NewVideo> = {}): NewVideo => ({
  taskId,
  filename: `${taskId}.mp4`,
  path: `/data/videos/${taskId}.mp4`,
  prompt: 'a fox running',
  sessionId: 'whatsapp:+15550001',
  from: 'whatsapp:+15550001',
  sizeBytes: 1234,
  durationSec: 5.5,
  ...over,
});

const outbound = (over: Partial<Omit<OutboundRecord, 'createdAt' | 'updatedAt'>> = {}): Omit<OutboundRecord, 'createdAt' | 'updatedAt'> => ({
  id: 'O1',
  to: 'whatsapp:+15550001',
  kind: 'ack',
  status: 'pending' as const,
  ...over,
});

export const storeContract = (name: string, makeStore: () => Promise<StoreHarness>): void => {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    const opened: Store[] = [];

    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      for (const other of opened.splice(0)) await other.close();
      await h.cleanup();
    });

    /** A second instance on the same data when the adapter can make one, else the same instance. */
    const secondStore = async (): Promise<Store> => {
      if (h.reopen === undefined) return store;
      const other = await h.reopen();
      opened.push(other);
      return other;
    };

    describe('sessions', () => {
      it('returns null for an unknown session', async () => {
        expect(await store.getSession('nobody')).toBeNull();
      });

      it('creates the session on the first message and keeps messages in append order', async () => {
        await store.appendMessage('s1', { role: 'user', text: 'hello', ts: 2000 });
        await store.appendMessage('s1', { role: 'bot', text: 'hi', meta: { taskId: 't1', n: 2 }, ts: 1000 });
        await store.appendMessage('s2', { role: 'user', text: 'other', ts: 500 });
        const t0 = Date.now();
        await store.appendMessage('s1', { role: 'system', text: 'third' });
        const t1 = Date.now();
        const session = await store.getSession('s1');
        expect(session?.sessionId).toBe('s1');
        expect(session?.createdAt).toBe(2000);
        expect(session?.messages.map((m) => [m.role, m.text])).toEqual([
          ['user', 'hello'],
          ['bot', 'hi'],
          ['system', 'third'],
        ]);
        expect(session?.messages[0]?.meta).toBeUndefined();
        expect(session?.messages[1]).toEqual({ role: 'bot', text: 'hi', meta: { taskId: 't1', n: 2 }, ts: 1000 });
        const defaulted = session?.messages[2]?.ts ?? 0;
        expect(defaulted).toBeGreaterThanOrEqual(t0);
        expect(defaulted).toBeLessThanOrEqual(t1);
        expect((await store.getSession('s2'))?.messages).toEqual([{ role: 'user', text: 'other', ts: 500 }]);
      });

      it('reads only the newest messages of a session when asked, still in order', async () => {
        for (let n = 1; n <= 5; n += 1) await store.appendMessage('s9', { role: n % 2 ? 'user' : 'bot', text: `line ${n}`, ts: 100 * n });
        const newest = await store.getSession('s9', { last: 2 });
        expect(newest?.createdAt).toBe(100);
        expect(newest?.messages.map((m) => m.text)).toEqual(['line 4', 'line 5']);
        expect((await store.getSession('s9', { last: 50 }))?.messages).toHaveLength(5);
        expect((await store.getSession('s9'))?.messages).toHaveLength(5);
        expect(await store.getSession('nobody', { last: 2 })).toBeNull();
      });

      it("finds a session's newest note with a key, past lines and notes without it", async () => {
        expect(await store.latestNote('s3', 'model')).toBeNull();
        await store.appendMessage('s3', { role: 'system', text: 'model: a', meta: { model: 'a' }, ts: 1 });
        await store.appendMessage('s3', { role: 'system', text: 'model: b', meta: { model: 'b' }, ts: 2 });
        await store.appendMessage('s3', { role: 'user', text: 'a fox', meta: { model: 'not a note' }, ts: 3 });
        await store.appendMessage('s3', { role: 'system', text: 'something else', meta: { other: 1 }, ts: 4 });
        await store.appendMessage('s3', { role: 'system', text: 'cleared', meta: { model: null }, ts: 5 });
        await store.appendMessage('s4', { role: 'system', text: 'model: c', meta: { model: 'c' }, ts: 6 });
        expect(await store.latestNote('s3', 'model')).toEqual({ role: 'system', text: 'model: b', meta: { model: 'b' }, ts: 2 });
        expect(await store.latestNote('s3', 'other')).toMatchObject({ text: 'something else' });
        expect(await store.latestNote('s3', 'missing')).toBeNull();
        expect(await store.latestNote('nobody', 'model')).toBeNull();
      });
    });

    describe('tasks', () => {
      it('creates a queued task with a generated id and defaults', async () => {
        const t0 = Date.now();
        const options = { ...OPTIONS, firstFrameImage: '/tmp/a.png', inputs: { seed: 7, hd: true, style: 'noir' } };
        const { task, created } = await store.createTask(newTask({ options, messageId: 'SMin1' }));
        const t1 = Date.now();
        expect(created).toBe(true);
        expect(task.taskId).toMatch(/^\S{8,}$/);
        expect(task).toMatchObject({ prompt: 'a fox running', status: 'queued', attempts: 0, messageId: 'SMin1' });
        expect(task.options).toEqual(options);
        expect(task.createdAt).toBeGreaterThanOrEqual(t0);
        expect(task.createdAt).toBeLessThanOrEqual(t1);
        expect(task.updatedAt).toBe(task.createdAt);
        expect(task.stage).toBeUndefined();
        expect(task.error).toBeUndefined();
        expect(await store.getTask(task.taskId)).toEqual(task);
        const other = await store.createTask(newTask());
        expect(other.task.taskId).not.toBe(task.taskId);
        expect(other.task.messageId).toBeUndefined();
      });

      it('returns null for an unknown task', async () => {
        expect(await store.getTask('missing')).toBeNull();
      });

      it('is idempotent on taskId', async () => {
        const first = await store.createTask(newTask({ taskId: 'T1', prompt: 'first' }));
        const again = await store.createTask(newTask({ taskId: 'T1', prompt: 'second', messageId: 'SMx' }));
        expect(first.created).toBe(true);
        expect(again).toEqual({ task: first.task, created: false });
        expect(await store.countTasks()).toBe(1);
      });

      it('is idempotent on messageId, and tasks without one never collide', async () => {
        const first = await store.createTask(newTask({ messageId: 'SM1', prompt: 'first' }));
        const again = await store.createTask(newTask({ taskId: 'other-id', messageId: 'SM1', prompt: 'second' }));
        expect(again).toEqual({ task: first.task, created: false });
        expect(await store.getTask('other-id')).toBeNull();
        await store.createTask(newTask());
        await store.createTask(newTask());
        expect(await store.countTasks()).toBe(3);
      });

      it('creates one task for concurrent callers with the same messageId or taskId', async () => {
        const other = await secondStore();
        const stores = [store, other];
        const bySid = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stores[i % 2]!.createTask(newTask({ messageId: 'SMrace' }))),
        );
        expect(bySid.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(bySid.map((r) => r.task.taskId)).size).toBe(1);
        const byId = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stores[i % 2]!.createTask(newTask({ taskId: 'Trace' }))),
        );
        expect(byId.filter((r) => r.created)).toHaveLength(1);
        expect(await other.countTasks()).toBe(2);
      });

      it('applies patches, sets updatedAt and round-trips every field', async () => {
        const { task } = await store.createTask(newTask());
        await sleep(5);
        const patch = {
          status: 'done',
          stage: 'deliver',
          progress: 100,
          attempts: 2,
          startedAt: 1000,
          finishedAt: 2000,
          polishedPrompt: 'a red fox running',
          remoteJobId: 'pred_1',
          filePath: '/data/v.mp4',
          videoUrl: 'https://cdn/v.mp4',
          mediaId: 'media_1',
          videoId: 'video_1',
          cacheHit: false,
          error: 'none',
          errorCode: 'VIDBOT_TIMEOUT',
          cancelRequested: false,
          remoteJobRequestedAt: 1500,
          remoteProvider: 'fal',
          generation: { provider: 'fal', model: 'fal-ai/veo3.1', runSec: 41.5, cost: 3.2, at: 1900 },
          jobId: 'job#2',
          delivery: { status: 'read', attempt: 2, outboundId: 'x:result:2', messageId: 'SMr', channel: 'twilio', errorCode: '63019', fallback: 'link', updatedAt: 1700 },
        } as const;
        const updated = await store.updateTask(task.taskId, patch);
        expect(updated).toMatchObject(patch);
        expect(updated.cacheHit).toBe(false);
        expect(updated.prompt).toBe(task.prompt);
        expect(updated.createdAt).toBe(task.createdAt);
        expect(updated.updatedAt).toBeGreaterThan(task.updatedAt);
        expect(await store.getTask(task.taskId)).toEqual(updated);
        const second = await store.updateTask(task.taskId, { cacheHit: true });
        expect(second).toMatchObject({ ...patch, cacheHit: true });
      });

      it('clears optional fields patched with undefined and keeps required ones', async () => {
        const { task } = await store.createTask(newTask());
        await store.updateTask(task.taskId, { status: 'failed', attempts: 1, error: 'boom', errorCode: 'VIDBOT_TIMEOUT', progress: 40 });
        expect((await store.getTask(task.taskId))?.progress).toBe(40);
        const cleared = await store.updateTask(task.taskId, { status: undefined, attempts: undefined, error: undefined, progress: undefined });
        expect(cleared.error).toBeUndefined();
        expect('error' in cleared).toBe(false);
        expect('progress' in cleared).toBe(false);
        expect(cleared).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'VIDBOT_TIMEOUT' });
      });

      it('stores the job a task runs under', async () => {
        const { task } = await store.createTask(newTask({ taskId: 'J1', jobId: 'J1' }));
        expect(task.jobId).toBe('J1');
        expect((await store.createTask(newTask())).task.jobId).toBeUndefined();
        const cleared = await store.updateTask('J1', { delivery: { status: 'sent', attempt: 1, outboundId: 'o', channel: 'local', updatedAt: 1 } });
        expect(cleared.delivery?.status).toBe('sent');
        expect((await store.updateTask('J1', { delivery: undefined })).delivery).toBeUndefined();
      });

      it('sums the cost of generations by provider and model, since a time', async () => {
        expect(await store.generationCosts()).toEqual([]);
        const made = async (taskId: string, generation: Task['generation']) => {
          await store.createTask(newTask({ taskId }));
          await store.updateTask(taskId, { generation });
        };
        await made('G1', { provider: 'replicate', model: 'google/veo-3.1', cost: 2.4, at: 1_000 });
        await made('G2', { provider: 'replicate', model: 'google/veo-3.1', cost: 0.6, runSec: 30, at: 5_000 });
        await made('G3', { provider: 'fal', model: 'fal-ai/veo3.1', at: 6_000 });
        await made('G4', { provider: 'fal', model: 'fal-ai/veo3.1', cost: 1.25, at: 7_000 });
        await store.createTask(newTask({ taskId: 'G5' }));
        expect(await store.generationCosts()).toEqual([
          { provider: 'fal', model: 'fal-ai/veo3.1', videos: 2, cost: 1.25 },
          { provider: 'replicate', model: 'google/veo-3.1', videos: 2, cost: 3 },
        ]);
        expect(await store.generationCosts({ since: 5_000 })).toEqual([
          { provider: 'fal', model: 'fal-ai/veo3.1', videos: 2, cost: 1.25 },
          { provider: 'replicate', model: 'google/veo-3.1', videos: 1, cost: 0.6 },
        ]);
        expect(await store.generationCosts({ since: 8_000 })).toEqual([]);
      });

      it('moves a task only from the statuses given (compare-and-set)', async () => {
        const { task } = await store.createTask(newTask());
        expect(await store.transitionTask(task.taskId, ['processing'], { status: 'done' })).toBeNull();
        expect((await store.getTask(task.taskId))?.status).toBe('queued');
        const moved = await store.transitionTask(task.taskId, ['queued', 'processing'], { status: 'processing', attempts: 1 });
        expect(moved).toMatchObject({ status: 'processing', attempts: 1 });
        expect(await store.transitionTask(task.taskId, [], { status: 'done' })).toBeNull();
        const other = await secondStore();
        const raced = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? other : store).transitionTask(task.taskId, ['processing'], { status: i % 3 ? 'failed' : 'canceled', error: `n${i}` }),
          ),
        );
        expect(raced.filter((t) => t !== null)).toHaveLength(1);
        await rejectsWith(store.transitionTask('missing', ['queued'], { status: 'done' }), 'VIDBOT_TASK_NOT_FOUND');
      });

      it('lists tasks unchanged since a time, least recently changed first', async () => {
        const a = (await store.createTask(newTask({ taskId: 'A' }))).task;
        await sleep(5);
        const b = (await store.createTask(newTask({ taskId: 'B' }))).task;
        await sleep(5);
        await store.updateTask('A', { stage: 'generate' });
        const cut = Date.now() + 1;
        await sleep(5);
        await store.createTask(newTask({ taskId: 'C' }));
        const ids = (tasks: { taskId: string }[]) => tasks.map((t) => t.taskId);
        expect(ids(await store.listTasks({ updatedBefore: cut, oldestFirst: true }))).toEqual([b.taskId, a.taskId]);
        expect(ids(await store.listTasks({ updatedBefore: b.updatedAt + 1, oldestFirst: true }))).toEqual([b.taskId]);
        expect(ids(await store.listTasks({ oldestFirst: true, limit: 1 }))).toEqual([b.taskId]);
        expect(await store.countTasks({ updatedBefore: cut })).toBe(2);
      });

      it('lists and counts a sender\'s tasks created since a time (a quota window)', async () => {
        const a = (await store.createTask(newTask({ taskId: 'A', from: 'X' }))).task;
        await sleep(5);
        const since = Date.now();
        await sleep(2);
        await store.createTask(newTask({ taskId: 'B', from: 'X' }));
        await store.createTask(newTask({ taskId: 'C', from: 'Y' }));
        const ids = (tasks: { taskId: string }[]) => tasks.map((t) => t.taskId);
        expect(ids(await store.listTasks({ from: 'X', createdSince: since }))).toEqual(['B']);
        expect(await store.countTasks({ from: 'X', createdSince: since })).toBe(1);
        expect(await store.countTasks({ from: 'X', createdSince: a.createdAt })).toBe(2);
        expect(await store.countTasks({ createdSince: since, status: ['failed'] })).toBe(0);
      });

      it('rejects updates of unknown tasks with VIDBOT_TASK_NOT_FOUND', async () => {
        await rejectsWith(store.updateTask('missing', { status: 'done' }), 'VIDBOT_TASK_NOT_FOUND');
        expect(await store.getTask('missing')).toBeNull();
      });

      it('lists newest first with filters, and counts', async () => {
        const a = (await store.createTask(newTask({ from: 'A', sessionId: 'sA' }))).task;
        const b = (await store.createTask(newTask({ from: 'B', sessionId: 'sB' }))).task;
        const c = (await store.createTask(newTask({ from: 'A', sessionId: 'sA2' }))).task;
        await store.updateTask(b.taskId, { status: 'processing' });
        await store.updateTask(c.taskId, { status: 'done' });
        const ids = (tasks: { taskId: string }[]) => tasks.map((t) => t.taskId);
        expect(ids(await store.listTasks())).toEqual([c.taskId, b.taskId, a.taskId]);
        expect(ids(await store.listTasks({ from: 'A' }))).toEqual([c.taskId, a.taskId]);
        expect(ids(await store.listTasks({ sessionId: 'sA' }))).toEqual([a.taskId]);
        expect(ids(await store.listTasks({ status: ['queued', 'processing'] }))).toEqual([b.taskId, a.taskId]);
        expect(ids(await store.listTasks({ from: 'A', status: ['done'] }))).toEqual([c.taskId]);
        expect(await store.listTasks({ status: [] })).toEqual([]);
        expect(ids(await store.listTasks({ limit: 2 }))).toEqual([c.taskId, b.taskId]);
        expect(await store.listTasks({ limit: 0 })).toEqual([]);
        expect(await store.countTasks()).toBe(3);
        expect(await store.countTasks({ from: 'A' })).toBe(2);
        expect(await store.countTasks({ status: ['done', 'failed'] })).toBe(1);
        expect(await store.countTasks({ status: [] })).toBe(0);
        expect(await store.countTasks({ from: 'nobody' })).toBe(0);
        await rejectsWith(store.listTasks({ limit: -1 }), 'VIDBOT_INVALID_ARGUMENT');
      });

      it('lists several statuses in one order, the limit taken over all of them', async () => {
        for (let i = 0; i < 6; i += 1) await store.createTask(newTask({ taskId: `S${i}` }));
        for (const taskId of ['S1', 'S3']) await store.updateTask(taskId, { status: 'processing' });
        await store.updateTask('S4', { status: 'done' });
        const ids = (tasks: { taskId: string }[]) => tasks.map((t) => t.taskId);
        expect(ids(await store.listTasks({ status: ['queued', 'processing'], limit: 3 }))).toEqual(['S5', 'S3', 'S2']);
        // A status named twice lists its tasks once.
        expect(ids(await store.listTasks({ status: ['processing', 'queued', 'queued'] }))).toEqual(['S5', 'S3', 'S2', 'S1', 'S0']);
        expect(ids(await store.listTasks({ status: ['done', 'processing'], limit: 2 }))).toEqual(['S4', 'S3']);
      });

      it('limits lists to 20 by default, keeping the newest', async () => {
        for (let i = 0; i < 23; i += 1) await store.createTask(newTask({ taskId: `T${i}` }));
        const tasks = await store.listTasks();
        expect(tasks).toHaveLength(20);
        expect(tasks[0]?.taskId).toBe('T22');
        expect(tasks[19]?.taskId).toBe('T3');
        expect(await store.countTasks()).toBe(23);
      });
    });

    describe('videos', () => {
      it('adds a video once per task, across instances too', async () => {
        const t0 = Date.now();
        const input = newVideo('T1', { videoUrl: 'https://cdn/v.mp4', width: 720, height: 1280 });
        const { video, created } = await store.addVideo(input);
        expect(created).toBe(true);
        expect(video).toMatchObject(input);
        expect(video.videoId).toMatch(/^\S{8,}$/);
        expect(video.createdAt).toBeGreaterThanOrEqual(t0);
        expect(video.mediaId).toBeUndefined();
        expect(await store.getVideo(video.videoId)).toEqual(video);
        const again = await store.addVideo(newVideo('T1', { filename: 'other.mp4' }));
        expect(again).toEqual({ video, created: false });
        const other = await secondStore();
        const raced = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).addVideo(newVideo('T2'))),
        );
        expect(raced.filter((r) => r.created)).toHaveLength(1);
        expect((await store.listVideos()).length).toBe(2);
        expect(await store.getVideo('missing')).toBeNull();
      });

      it('lists newest first with filters, limit (default 20) and offset', async () => {
        for (let i = 0; i < 22; i += 1) {
          await store.addVideo(newVideo(`T${i}`, { from: i % 2 ? 'B' : 'A', sessionId: i < 4 ? 'early' : 'late' }));
        }
        const tasks = (videos: { taskId: string }[]) => videos.map((v) => v.taskId);
        const all = await store.listVideos();
        expect(all).toHaveLength(20);
        expect(all[0]?.taskId).toBe('T21');
        expect(tasks(await store.listVideos({ limit: 2, offset: 2 }))).toEqual(['T19', 'T18']);
        expect(tasks(await store.listVideos({ offset: 20 }))).toEqual(['T1', 'T0']);
        expect(tasks(await store.listVideos({ sessionId: 'early' }))).toEqual(['T3', 'T2', 'T1', 'T0']);
        expect(tasks(await store.listVideos({ sessionId: 'early', from: 'B' }))).toEqual(['T3', 'T1']);
        expect(await store.listVideos({ limit: 0 })).toEqual([]);
        await rejectsWith(store.listVideos({ offset: -1 }), 'VIDBOT_INVALID_ARGUMENT');
      });
    });

    describe('cache', () => {
      it('gets, upserts (replacing the whole entry) and deletes', async () => {
        expect(await store.getCache('k1')).toBeNull();
        const t0 = Date.now();
        await store.putCache({ key: 'k1', promptNorm: 'a fox', filePath: '/a.mp4', videoId: 'v1', meta: { model: 'm' } });
        await store.putCache({ key: 'k2', promptNorm: 'a cat', filePath: '/b.mp4' });
        const first = await store.getCache('k1');
        expect(first).toMatchObject({ key: 'k1', promptNorm: 'a fox', filePath: '/a.mp4', videoId: 'v1', meta: { model: 'm' } });
        expect(first?.updatedAt).toBeGreaterThanOrEqual(t0);
        await sleep(5);
        await store.putCache({ key: 'k1', promptNorm: 'a fox', filePath: '/c.mp4' });
        const replaced = await store.getCache('k1');
        expect(replaced).toMatchObject({ key: 'k1', filePath: '/c.mp4' });
        expect(replaced?.videoId).toBeUndefined();
        expect(replaced?.meta).toBeUndefined();
        expect(replaced?.updatedAt).toBeGreaterThan(first?.updatedAt ?? Infinity);
        await store.deleteCache('k1');
        await store.deleteCache('never-there');
        expect(await store.getCache('k1')).toBeNull();
        expect((await store.getCache('k2'))?.filePath).toBe('/b.mp4');
      });
    });

    describe('inbound messages', () => {
      it('claims once; later claims return the first claim, updated', async () => {
        const t0 = Date.now();
        const first = await store.claimInbound({ messageId: 'SM1', from: 'A' });
        expect(first.claimed).toBe(true);
        expect(first.claim).toMatchObject({ messageId: 'SM1', from: 'A' });
        expect(first.claim.receivedAt).toBeGreaterThanOrEqual(t0);
        expect(first.claim.reply).toBeUndefined();
        await store.updateInbound('SM1', { reply: 'On it!', taskId: 'T1' });
        const retry = await store.claimInbound({ messageId: 'SM1', from: 'B', reply: 'other' });
        expect(retry).toEqual({ claimed: false, claim: { ...first.claim, reply: 'On it!', taskId: 'T1' } });
        await store.updateInbound('SM1', { reply: undefined });
        const cleared = await store.claimInbound({ messageId: 'SM1', from: 'A' });
        expect(cleared.claim).toEqual({ ...first.claim, taskId: 'T1' });
      });

      it('lets exactly one of many concurrent claims win, across instances', async () => {
        const other = await secondStore();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).claimInbound({ messageId: 'SMrace', from: 'A' })),
        );
        expect(results.filter((r) => r.claimed)).toHaveLength(1);
        expect(new Set(results.map((r) => r.claim.receivedAt)).size).toBe(1);
      });

      it('ignores updates of unknown messages without claiming them', async () => {
        await store.updateInbound('SMnone', { reply: 'x' });
        expect((await store.claimInbound({ messageId: 'SMnone', from: 'A' })).claimed).toBe(true);
      });

      it('reports the latest inbound time per sender', async () => {
        expect(await store.lastInboundAt('A')).toBeNull();
        const first = await store.claimInbound({ messageId: 'SM1', from: 'A' });
        await sleep(5);
        const second = await store.claimInbound({ messageId: 'SM2', from: 'A' });
        await sleep(5);
        await store.claimInbound({ messageId: 'SM3', from: 'B' });
        expect(second.claim.receivedAt).toBeGreaterThan(first.claim.receivedAt);
        expect(await store.lastInboundAt('A')).toBe(second.claim.receivedAt);
        expect(await store.lastInboundAt('C')).toBeNull();
      });
    });

    describe('ingest', () => {
      const SENDER = 'whatsapp:+15550001';

      /** A unit asking for a task, answered with its place in line; records what the store asked of it. */
      const unitFor = (messageId: string, over: { task?: boolean; place?: InboundUnit['place']; fail?: boolean } = {}) => {
        const asked = { decide: 0, answer: [] as Array<{ taskId?: string; position: number | null }> };
        const unit: InboundUnit = {
          messageId,
          from: SENDER,
          sessionId: SENDER,
          said: { text: `make ${messageId}`, meta: { messageSid: messageId } },
          decide: () => {
            asked.decide += 1;
            if (over.fail) throw new Error('the decision failed');
            return {
              ...(over.task === false ? {} : { task: newTask({ messageId, prompt: `make ${messageId}`, taskId: `T-${messageId}`, jobId: `T-${messageId}` }) }),
              answer: ({ task, position }) => {
                asked.answer.push({ ...(task ? { taskId: task.taskId } : {}), position });
                return { text: `#${position ?? '-'} for ${messageId}`, meta: { messageSid: messageId, kind: task ? 'ack' : 'command' } };
              },
            };
          },
          ...(over.place ? { place: over.place } : {}),
        };
        return { unit, asked };
      };

      it('claims a new message in one unit: the words, the task (placed once committed), the answer on the claim and in the session', async () => {
        const placed: Array<string | undefined> = [];
        const { unit, asked } = unitFor('SMin1', {
          // A worker taking the job reads the task: it must be there by now.
          place: async (task) => {
            placed.push((await store.getTask(task.taskId))?.messageId);
            return 3;
          },
        });
        const outcome = await store.ingest(unit);
        // A store with its own queue tells the job's real place: first in an empty line.
        const position = h.placesJobs ? 1 : 3;
        expect(outcome).toMatchObject({ claimed: true, position, task: { messageId: 'SMin1', status: 'queued' } });
        expect(placed).toEqual(h.placesJobs ? [] : ['SMin1']);
        expect(asked).toEqual({ decide: 1, answer: [{ taskId: outcome.task?.taskId, position }] });
        expect(outcome.claim).toMatchObject({ messageId: 'SMin1', from: SENDER, reply: `#${position} for SMin1`, taskId: outcome.task?.taskId });
        const session = await store.getSession(SENDER);
        expect(session?.messages.map((m) => [m.role, m.text, m.meta])).toEqual([
          ['user', 'make SMin1', { messageSid: 'SMin1' }],
          ['bot', `#${position} for SMin1`, { messageSid: 'SMin1', kind: 'ack' }],
        ]);
        expect((await store.claimInbound({ messageId: 'SMin1', from: SENDER })).claim).toEqual(outcome.claim);
      });

      it('gives a redelivery the first answer, writing nothing and asking nothing', async () => {
        const first = await store.ingest(unitFor('SMin2').unit);
        const { unit, asked } = unitFor('SMin2', { place: async () => 1 });
        const again = await store.ingest(unit);
        expect(again).toEqual({ claimed: false, claim: first.claim, position: null });
        expect(asked.decide).toBe(0);
        expect(await store.countTasks()).toBe(1);
        expect((await store.getSession(SENDER))?.messages).toHaveLength(2);
      });

      it('lets one of many concurrent deliveries of a message claim it, across instances, with one task', async () => {
        const other = await secondStore();
        const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).ingest(unitFor('SMin3').unit)));
        expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
        expect(await store.countTasks()).toBe(1);
        // The others came too early for the answer, or got the first one.
        const winner = outcomes.find((o) => o.claimed);
        for (const o of outcomes.filter((o) => !o.claimed)) expect([undefined, winner?.claim.reply]).toContain(o.claim.reply);
      });

      it('answers without a task when none was decided on, placing nothing', async () => {
        let placed = 0;
        const { unit } = unitFor('SMin4', { task: false, place: async () => ++placed });
        const outcome = await store.ingest(unit);
        expect(outcome).toMatchObject({ claimed: true, position: null, claim: { reply: '#- for SMin4' } });
        expect(outcome.task).toBeUndefined();
        expect(outcome.claim.taskId).toBeUndefined();
        expect(placed).toBe(0);
        expect(await store.countTasks()).toBe(0);
      });

      it('fails a unit whose decision throws, alone: units beside it are written, and it leaves no answer', async () => {
        const [before, failed, after] = await Promise.allSettled([
          store.ingest(unitFor('SMin5').unit),
          store.ingest(unitFor('SMin6', { fail: true }).unit),
          store.ingest(unitFor('SMin7').unit),
        ]);
        expect([before.status, failed.status, after.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        // The unit's own error, not one the store made of it: the store did not fail.
        expect(failed.status === 'rejected' && (failed.reason as Error).message).toBe('the decision failed');
        expect((await store.listTasks()).map((t) => t.messageId).sort()).toEqual(['SMin5', 'SMin7']);
        // A redelivery of the failed one finds no answer: it claims the message afresh, or finds the claim still open.
        const retry = await store.claimInbound({ messageId: 'SMin6', from: SENDER });
        expect(retry.claim.reply).toBeUndefined();
      });
    });

    describe('outbound messages', () => {
      it('records, finds and updates messages; the channel id comes later', async () => {
        const t0 = Date.now();
        const { record, created } = await store.recordOutbound(outbound({ body: 'hi', taskId: 'T1', channel: 'twilio' }));
        expect(created).toBe(true);
        expect(record).toMatchObject({ id: 'O1', body: 'hi', taskId: 'T1', kind: 'ack', status: 'pending', channel: 'twilio' });
        expect(record.createdAt).toBeGreaterThanOrEqual(t0);
        expect(record.mediaUrl).toBeUndefined();
        expect(record.messageId).toBeUndefined();
        expect(await store.findOutbound({ id: 'O1' })).toEqual(record);
        expect(await store.findOutbound({ taskId: 'T1', kind: 'result' })).toBeNull();
        expect(await store.findOutbound({ id: 'nope' })).toBeNull();
        await sleep(5);
        expect(await store.updateOutbound('O1', { messageId: 'SM1', status: 'queued' })).toBe(true);
        const sent = await store.findOutbound({ messageId: 'SM1' });
        expect(sent).toMatchObject({ id: 'O1', messageId: 'SM1', status: 'queued', body: 'hi', createdAt: record.createdAt });
        expect(sent?.updatedAt).toBeGreaterThan(record.updatedAt);
        await store.updateOutbound('O1', { status: 'failed', errorCode: '63016' });
        expect(await store.findOutbound({ id: 'O1' })).toMatchObject({ status: 'failed', errorCode: '63016', messageId: 'SM1' });
        await store.updateOutbound('O1', { status: 'sent', errorCode: undefined });
        expect((await store.findOutbound({ id: 'O1' }))?.errorCode).toBeUndefined();
        expect(await store.updateOutbound('unknown', { status: 'read' })).toBe(false);
        expect(await store.findOutbound({ id: 'unknown' })).toBeNull();
        expect(await store.listOutbound()).toHaveLength(1);
      });

      it('is idempotent on the id, across instances', async () => {
        const first = await store.recordOutbound(outbound({ id: 'T1:result:1', kind: 'result', taskId: 'T1' }));
        const again = await store.recordOutbound(outbound({ id: 'T1:result:1', kind: 'error', taskId: 'T9', body: 'other' }));
        expect(again).toEqual({ record: first.record, created: false });
        expect((await store.recordOutbound(outbound({ id: 'T1:result:2', kind: 'result', taskId: 'T1' }))).created).toBe(true);
        expect((await store.recordOutbound(outbound({ id: 'P1', kind: 'progress', taskId: 'T1' }))).created).toBe(true);
        expect((await store.findOutbound({ taskId: 'T1' }))?.id).toBe('P1');
        expect((await store.findOutbound({ taskId: 'T1', kind: 'result' }))?.id).toBe('T1:result:2');
        const other = await secondStore();
        const raced = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).recordOutbound(outbound({ id: 'X', taskId: 'T3', body: `n${i}` }))),
        );
        expect(raced.filter((r) => r.created)).toHaveLength(1);
        expect(await store.listOutbound({ taskId: 'T3' })).toHaveLength(1);
      });

      it('updates only from the expected status when asked (compare-and-set)', async () => {
        await store.recordOutbound(outbound());
        expect(await store.updateOutbound('O1', { status: 'sent' }, { ifStatus: 'queued' })).toBe(false);
        expect((await store.findOutbound({ id: 'O1' }))?.status).toBe('pending');
        expect(await store.updateOutbound('O1', { status: 'sent', messageId: 'SMx' }, { ifStatus: 'pending' })).toBe(true);
        expect(await store.findOutbound({ id: 'O1' })).toMatchObject({ status: 'sent', messageId: 'SMx' });
        const other = await secondStore();
        const raced = await Promise.all(
          ['delivered', 'read', 'failed', 'undelivered'].map((status, i) =>
            (i % 2 ? other : store).updateOutbound('O1', { status: status as 'read' }, { ifStatus: 'sent' }),
          ),
        );
        expect(raced.filter(Boolean)).toHaveLength(1);
      });

      it('lists newest first with filters and a default limit of 20', async () => {
        for (let i = 0; i < 22; i += 1) {
          await store.recordOutbound(outbound({ id: `S${i}`, to: i % 2 ? 'B' : 'A', taskId: i < 3 ? 'T1' : 'T2' }));
        }
        const ids = (records: { id: string }[]) => records.map((r) => r.id);
        const all = await store.listOutbound();
        expect(all).toHaveLength(20);
        expect(all[0]?.id).toBe('S21');
        expect(ids(await store.listOutbound({ taskId: 'T1' }))).toEqual(['S2', 'S1', 'S0']);
        expect(ids(await store.listOutbound({ to: 'B', taskId: 'T1' }))).toEqual(['S1']);
        expect(ids(await store.listOutbound({ to: 'A', limit: 2 }))).toEqual(['S20', 'S18']);
      });

      it('keeps receipts for unknown message ids and hands them over once', async () => {
        await store.keepReceipt({ messageId: 'SMa', status: 'sent', receivedAt: 1 });
        await store.keepReceipt({ messageId: 'SMb', status: 'read', receivedAt: 2 });
        await store.keepReceipt({ messageId: 'SMa', status: 'undelivered', errorCode: '63019', receivedAt: 3 });
        const other = await secondStore();
        expect(await other.takeReceipts('SMa')).toEqual([
          { messageId: 'SMa', status: 'sent', receivedAt: 1 },
          { messageId: 'SMa', status: 'undelivered', errorCode: '63019', receivedAt: 3 },
        ]);
        expect(await store.takeReceipts('SMa')).toEqual([]);
        expect(await store.takeReceipts('SMb')).toHaveLength(1);
        expect(await store.takeReceipts('nothing')).toEqual([]);
      });

      it('forgets receipts kept since before a time, and only those', async () => {
        await store.keepReceipt({ messageId: 'SMold', status: 'sent', receivedAt: 1_000 });
        await store.keepReceipt({ messageId: 'SMold', status: 'delivered', receivedAt: 2_000 });
        await store.keepReceipt({ messageId: 'SMnew', status: 'sent', receivedAt: 5_000 });
        await store.keepReceipt({ messageId: 'SMolder', status: 'read', receivedAt: 500 });
        // A batch at a time, the oldest first (by when each came, not by when it was kept).
        expect(await store.forgetKeptReceipts(5_000, 2)).toBe(2);
        expect(await store.takeReceipts('SMolder')).toEqual([]);
        expect(await store.forgetKeptReceipts(5_000, 2)).toBe(1);
        expect(await store.forgetKeptReceipts(5_000, 2)).toBe(0);
        expect(await store.takeReceipts('SMold')).toEqual([]);
        expect(await store.takeReceipts('SMnew')).toEqual([{ messageId: 'SMnew', status: 'sent', receivedAt: 5_000 }]);
      });

      it('accepts a write probe', async () => {
        await store.probeWrite();
        await store.probeWrite();
      });
    });

    describe('lifecycle', () => {
      it('keeps everything across a close and reopen', async ({ skip }) => {
        if (h.reopen === undefined) skip();
        const { task } = await store.createTask(newTask({ messageId: 'SMd' }));
        const { video } = await store.addVideo(newVideo(task.taskId));
        await store.putCache({ key: 'k', promptNorm: 'p', filePath: '/f.mp4', meta: { a: 1 } });
        await store.appendMessage('s', { role: 'user', text: 'hi', ts: 1 });
        const { claim } = await store.claimInbound({ messageId: 'SMd', from: 'A', taskId: task.taskId });
        const { record } = await store.recordOutbound(outbound({ kind: 'result', taskId: task.taskId, messageId: 'SMd1' }));
        await store.close();
        const again = await secondStore();
        expect(await again.getTask(task.taskId)).toEqual(task);
        expect((await again.createTask(newTask({ messageId: 'SMd' }))).created).toBe(false);
        expect(await again.getVideo(video.videoId)).toEqual(video);
        expect((await again.getCache('k'))?.meta).toEqual({ a: 1 });
        expect((await again.getSession('s'))?.messages).toEqual([{ role: 'user', text: 'hi', ts: 1 }]);
        expect(await again.claimInbound({ messageId: 'SMd', from: 'A' })).toEqual({ claimed: false, claim });
        expect(await again.findOutbound({ messageId: 'SMd1' })).toEqual(record);
      });

      it('closes idempotently and rejects calls after close', async () => {
        expect(typeof store.name).toBe('string');
        expect(store.name.length).toBeGreaterThan(0);
        await store.close();
        await store.close();
        await rejectsWith(store.getTask('x'), 'VIDBOT_STORE_FAILED');
        await rejectsWith(store.createTask(newTask()), 'VIDBOT_STORE_FAILED');
        // Said as the caller's order of shutdown, not as a full disk or a server down.
        await expect(store.listTasks()).rejects.toMatchObject({ message: 'The store is closed.', hint: expect.stringContaining('after close()') });
      });
    });
  });
};
