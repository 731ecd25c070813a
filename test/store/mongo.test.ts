import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isVidbotError, vidbotError } from '../../src/lib/errors.ts';
import type { Store } from '../../src/lib/store/index.ts';
import {
  cacheDoc,
  cacheFromDoc,
  inboundDoc,
  inboundFromDoc,
  INBOUND_FIELDS,
  messageDoc,
  newTaskDoc,
  newVideoDoc,
  OUTBOUND_FIELDS,
  OUTBOUND_REQUIRED,
  outboundDoc,
  outboundFromDoc,
  sessionFromDoc,
  taskFromDoc,
  videoFromDoc,
} from '../../src/lib/store/mongo/docs.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS } from '../../src/lib/store/fields.ts';
import { isDuplicateKey, parseMongoUri, scrubPassword, toStoreError } from '../../src/lib/store/mongo/errors.ts';
import { count, plain, patchToUpdate } from '../../src/lib/store/mongo/fields.ts';
import { createMongoStore } from '../../src/lib/store/mongo/index.ts';
import { INDEXES } from '../../src/lib/store/mongo/indexes.ts';
import { storeContract } from '../contract/store.contract.ts';

const uri = process.env.MONGODB_URI;
if (!uri) console.warn('MongoDB store contract skipped: set MONGODB_URI to run it (no MongoDB server on this machine)');

const storeFailure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(isVidbotError(error, 'VIDBOT_STORE_FAILED'), `expected VIDBOT_STORE_FAILED, got ${String(error)}`).toBe(true);
  return error as { message: string; hint: string; retryable: boolean };
};

/** A port nothing listens on: bound, then released. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

describe.skipIf(!uri)('MongoDB store against MONGODB_URI', () => {
  const url = uri ?? '';
  const dropDatabase = async (dbName: string) => {
    const admin = new MongoClient(url);
    try {
      await admin.db(dbName).dropDatabase();
    } finally {
      await admin.close();
    }
  };

  // A fresh database per test; reopen connects a second client to the same one.
  storeContract('mongodb', async () => {
    const dbName = `vidbot_test_${randomBytes(6).toString('hex')}`;
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const store = await createMongoStore({ uri: url, dbName, serverSelectionTimeoutMS: 5_000 });
      opened.push(store);
      return store;
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        for (const store of opened) await store.close();
        await dropDatabase(dbName);
      },
    };
  });

  it("writes the seed bot's collections and field names, and leaves a passed-in client open", async () => {
    const dbName = `vidbot_test_${randomBytes(6).toString('hex')}`;
    const client = new MongoClient(url);
    try {
      const store = await createMongoStore({ uri: url, dbName, client });
      expect(store).toMatchObject({ name: 'mongodb', shared: true });
      const { task } = await store.createTask({
        prompt: 'a fox',
        sessionId: 'whatsapp:+1555',
        from: 'whatsapp:+1555',
        options: { provider: 'fake', orientation: 'portrait', durationSec: 5, polish: false, useCache: true },
      });
      await store.updateTask(task.taskId, { status: 'done', finishedAt: 2, filePath: '/v.mp4', videoUrl: 'https://c/v.mp4' });
      await store.appendMessage('whatsapp:+1555', { role: 'user', text: 'a fox', ts: 1 });
      await store.putCache({ key: 'k', promptNorm: 'a fox', filePath: '/v.mp4', meta: { model: 'm' } });
      await store.putCache({ key: 'k2', promptNorm: 'a fox', filePath: '/w.mp4' });
      await store.close();
      const db = client.db(dbName);
      expect(await db.collection('tasks').findOne({ task_id: task.taskId })).toMatchObject({
        prompt: 'a fox', sid: 'whatsapp:+1555', from: 'whatsapp:+1555', status: 'done',
        created_at: task.createdAt, finished_at: 2, file_path: '/v.mp4', cloud_url: 'https://c/v.mp4',
      });
      expect(await db.collection('sessions').findOne({ session_id: 'whatsapp:+1555' })).toMatchObject({
        created_at: 1, messages: [{ role: 'user', text: 'a fox', ts: 1 }],
      });
      expect(await db.collection('cache').countDocuments({ prompt_norm: 'a fox' })).toBe(2);
      const names = (await db.collection('outbound').indexes()).map((index) => index.name);
      expect(names).toEqual(expect.arrayContaining(['out_id_unique', 'message_id_unique']));
      expect(names).not.toContain('result_per_task_unique');
    } finally {
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  });
});

describe('MongoDB store: connecting', () => {
  it('rejects an unreachable server quickly with VIDBOT_STORE_FAILED, naming the host but not the password', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await storeFailure(
      createMongoStore({ uri: `mongodb://vidbot:s3cr%40t@127.0.0.1:${port}/?serverSelectionTimeoutMS=500` }),
    );
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(error.retryable).toBe(false);
    expect(error.hint).toMatch(/MONGODB_URI/);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).not.toMatch(/s3cr/);
  });

  it('honours the serverSelectionTimeoutMS option', async () => {
    const port = await closedPort();
    const started = Date.now();
    await storeFailure(createMongoStore({ uri: `mongodb://127.0.0.1:${port}`, serverSelectionTimeoutMS: 300 }));
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('rejects a malformed connection string without echoing it', async () => {
    const error = await storeFailure(createMongoStore({ uri: 'postgres://app:hunter2@db.example/x' }));
    expect(error.hint).toMatch(/MONGODB_URI/);
    expect(error.message).not.toMatch(/hunter2/);
  });
});

describe('MongoDB store: wrapping a passed-in client (no server)', () => {
  const fakeClient = (failWith: unknown) => {
    const calls = { indexes: [] as string[], closes: 0 };
    const collection = (name: string) => ({
      createIndexes: async (specs: Array<{ name: string }>) => {
        calls.indexes.push(...specs.map((spec) => `${name}.${spec.name}`));
        return [];
      },
      // A fresh database has none of the retired indexes: MongoDB answers IndexNotFound (27).
      dropIndex: async () => {
        throw Object.assign(new Error('index not found'), { code: 27 });
      },
      findOne: async () => {
        throw failWith;
      },
    });
    const client = { connect: async () => client, db: () => ({ collection }), close: async () => void (calls.closes += 1) };
    return { client: client as unknown as MongoClient, calls };
  };

  it('creates the indexes, maps driver errors, and leaves the client open on close', async () => {
    const { client, calls } = fakeClient(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
    const store = await createMongoStore({ uri: 'mongodb://u:pw@db1:27017', client });
    expect(calls.indexes).toEqual(expect.arrayContaining(['tasks.task_id_unique', 'inbound.message_sid_unique']));
    const error = await storeFailure(store.getTask('T1'));
    expect(error.retryable).toBe(true);
    await store.close();
    await store.close();
    expect(calls.closes).toBe(0);
    await storeFailure(store.getTask('T1'));
  });
});

describe('MongoDB store: document mapping', () => {
  const options = { provider: 'fake', model: undefined, orientation: 'portrait', durationSec: 5, polish: true, useCache: false } as const;

  it("writes new tasks with the seed bot's field names and nothing undefined", () => {
    const doc = newTaskDoc({ prompt: 'p', sessionId: 's', from: 'f', options, messageId: 'SM1' }, 'T1', 1000);
    expect(doc).toStrictEqual({
      task_id: 'T1', message_sid: 'SM1', prompt: 'p', sid: 's', from: 'f',
      options: { provider: 'fake', orientation: 'portrait', durationSec: 5, polish: true, useCache: false },
      status: 'queued', attempts: 0, created_at: 1000, updated_at: 1000,
    });
    expect('message_sid' in newTaskDoc({ prompt: 'p', sessionId: 's', from: 'f', options }, 'T2', 1)).toBe(false);
  });

  it('reads tasks back, treating null as unset, keeping false, and accepting BSON dates', () => {
    const base = newTaskDoc({ prompt: 'p', sessionId: 's', from: 'f', options }, 'T1', 1000);
    const doc = { ...base, _id: 'oid' };
    const task = taskFromDoc({ ...doc, error: null, cache_hit: false, finished_at: new Date(2000), stage: 'deliver', progress: 40 });
    expect(task).toStrictEqual({
      taskId: 'T1', prompt: 'p', sessionId: 's', from: 'f', options: base.options, status: 'queued', attempts: 0,
      createdAt: 1000, updatedAt: 1000, cacheHit: false, finishedAt: 2000, stage: 'deliver', progress: 40,
    });
    expect(() => taskFromDoc({ ...doc, attempts: '2' })).toThrow(/attempts/);
    expect(() => taskFromDoc({ ...doc, progress: '40' })).toThrow(/progress/);
    let caught: unknown;
    try {
      taskFromDoc({ ...doc, task_id: undefined });
    } catch (error) {
      caught = error;
    }
    expect(isVidbotError(caught, 'VIDBOT_STORE_FAILED') && !caught.retryable).toBe(true);
  });

  it('turns patches into $set/$unset, keeping required fields and ignoring unknown keys', () => {
    const patch = { status: undefined, attempts: 2, error: undefined, cacheHit: false, stage: 'deliver', progress: 55, bogus: 1 };
    expect(patchToUpdate(patch, TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, { updated_at: 9 })).toEqual({
      $set: { attempts: 2, cache_hit: false, stage: 'deliver', progress: 55, updated_at: 9 },
      $unset: { error: '' },
    });
    expect(patchToUpdate({ progress: undefined }, TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS)).toEqual({ $unset: { progress: '' } });
    expect(patchToUpdate({}, INBOUND_FIELDS, new Set())).toBeNull();
    expect(patchToUpdate({ reply: undefined }, INBOUND_FIELDS, new Set())).toEqual({ $unset: { reply: '' } });
    expect(patchToUpdate({ sid: undefined, errorCode: undefined, status: 'sent' }, OUTBOUND_FIELDS, OUTBOUND_REQUIRED)).toEqual({
      $set: { status: 'sent' },
      $unset: { error_code: '' },
    });
  });

  it('maps videos, cache entries, sessions, inbound and outbound messages both ways', () => {
    const video = { taskId: 'T1', filename: 'v.mp4', path: '/v.mp4', prompt: 'p', sessionId: 's', from: 'f', sizeBytes: 10, durationSec: 5.5, width: 720 };
    const vdoc = newVideoDoc(video, 'V1', 7);
    expect(vdoc).toMatchObject({ video_id: 'V1', task_id: 'T1', session_id: 's', size_bytes: 10, duration_sec: 5.5, created_at: 7 });
    expect(videoFromDoc(vdoc)).toStrictEqual({ ...video, videoId: 'V1', createdAt: 7 });

    const cdoc = cacheDoc({ key: 'k', promptNorm: 'a fox', filePath: '/a.mp4', meta: { a: undefined, b: [1, undefined] } }, 8);
    expect(cdoc).toStrictEqual({ key: 'k', prompt_norm: 'a fox', file_path: '/a.mp4', meta: { b: [1, null] }, updated_at: 8 });
    expect(cacheFromDoc(cdoc)).toStrictEqual({ key: 'k', promptNorm: 'a fox', filePath: '/a.mp4', meta: { b: [1, null] }, updatedAt: 8 });

    expect(messageDoc({ role: 'bot', text: 'hi' }, 3)).toStrictEqual({ role: 'bot', text: 'hi', ts: 3 });
    expect(sessionFromDoc({ session_id: 's', created_at: 1, messages: [{ role: 'bot', text: 'hi', meta: null, ts: 3 }] })).toStrictEqual({
      sessionId: 's', createdAt: 1, messages: [{ role: 'bot', text: 'hi', ts: 3 }],
    });
    expect(sessionFromDoc({ session_id: 's', created_at: 1 }).messages).toEqual([]);

    const idoc = inboundDoc({ messageId: 'SM1', from: 'A', taskId: 'T1' }, 4);
    expect(idoc).toStrictEqual({ message_sid: 'SM1', from: 'A', received_at: 4, task_id: 'T1' });
    expect(inboundFromDoc(idoc)).toStrictEqual({ messageId: 'SM1', from: 'A', receivedAt: 4, taskId: 'T1' });

    const odoc = outboundDoc({ id: 'T1:result:1', messageId: 'SM2', to: 'A', mediaUrl: 'https://m', kind: 'result', status: 'queued' }, 5);
    expect(odoc).toStrictEqual({ out_id: 'T1:result:1', message_id: 'SM2', to: 'A', media_url: 'https://m', kind: 'result', status: 'queued', created_at: 5, updated_at: 5 });
    expect(outboundFromDoc(odoc)).toStrictEqual({ id: 'T1:result:1', messageId: 'SM2', to: 'A', mediaUrl: 'https://m', kind: 'result', status: 'queued', createdAt: 5, updatedAt: 5 });
    // Written before vidbot's own ids: the Twilio sid is both; a local failure placeholder (VF...) only the id.
    expect(outboundFromDoc({ sid: 'SM3', to: 'A', kind: 'result', status: 'read', created_at: 1, updated_at: 2 })).toMatchObject({ id: 'SM3', messageId: 'SM3' });
    expect(outboundFromDoc({ sid: 'VF3', to: 'A', kind: 'result', status: 'failed', created_at: 1, updated_at: 2 }).messageId).toBeUndefined();
  });

  it('copies free-form values with JSON rules for undefined', () => {
    expect(plain({ a: 1, b: undefined, c: { d: undefined, e: [undefined, { f: undefined }] } })).toStrictEqual({ a: 1, c: { e: [null, {}] } });
  });

  it('validates limits and offsets', () => {
    expect(count(undefined, 20, 'limit')).toBe(20);
    expect(count(0, 20, 'limit')).toBe(0);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => count(bad, 20, 'limit')).toThrow(/non-negative integer/);
  });
});

describe('MongoDB store: indexes and errors', () => {
  it('declares the unique indexes idempotent creation relies on', () => {
    const find = (collection: keyof typeof INDEXES, name: string) => INDEXES[collection].find((index) => index.name === name);
    expect(find('tasks', 'task_id_unique')).toMatchObject({ key: { task_id: 1 }, unique: true });
    expect(find('tasks', 'message_sid_unique')).toMatchObject({ unique: true, partialFilterExpression: { message_sid: { $type: 'string' } } });
    expect(find('videos', 'task_id_unique')).toMatchObject({ key: { task_id: 1 }, unique: true });
    expect(find('inbound', 'message_sid_unique')).toMatchObject({ unique: true });
    expect(find('outbound', 'out_id_unique')).toMatchObject({ key: { out_id: 1 }, unique: true, partialFilterExpression: { out_id: { $type: 'string' } } });
    expect(find('outbound', 'message_id_unique')).toMatchObject({ unique: true, partialFilterExpression: { message_id: { $type: 'string' } } });
    expect(find('outbound', 'sid_unique')).toBeUndefined();
    expect(find('cache', 'key_unique')).toMatchObject({ unique: true });
    // One normalized prompt has an entry per provider/model/options, so prompt_norm cannot be unique.
    expect(find('cache', 'prompt_norm')?.unique).toBeUndefined();
  });

  it('names the hosts of a connection string and masks its password', () => {
    expect(parseMongoUri('mongodb://u:p%40ss@db1:27017,db2:27018/vidbot?replicaSet=rs0')).toEqual({
      where: 'mongodb://db1:27017,db2:27018', database: 'vidbot', password: 'p%40ss',
    });
    expect(parseMongoUri('mongodb+srv://u:p@ss/w@cluster0.example.net/x')).toEqual({
      where: 'mongodb+srv://cluster0.example.net', database: 'x', password: 'p@ss/w',
    });
    expect(parseMongoUri('mongodb://localhost')).toEqual({ where: 'mongodb://localhost' });
    expect(parseMongoUri('localhost:27017').where).toBe('an invalid connection string');
    expect(scrubPassword('auth failed for p%40ss / p@ss', 'mongodb://u:p%40ss@h')).toBe('auth failed for *** / ***');
  });

  it('maps driver errors: duplicate keys are final, other failures retryable, vidbot errors kept', () => {
    const duplicate = Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    expect(isDuplicateKey(duplicate)).toBe(true);
    expect(isDuplicateKey(new Error('x'))).toBe(false);
    expect(toStoreError(duplicate, 'mongodb://h')).toMatchObject({ code: 'VIDBOT_STORE_FAILED', retryable: false });
    expect(toStoreError(new Error('not primary'), 'mongodb://h')).toMatchObject({ code: 'VIDBOT_STORE_FAILED', retryable: true });
    const own = vidbotError('VIDBOT_TASK_NOT_FOUND', 'No task.');
    expect(toStoreError(own, 'mongodb://h')).toBe(own);
  });
});
