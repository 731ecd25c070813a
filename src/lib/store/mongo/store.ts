/**
 * The shared store on MongoDB: web and worker processes on several machines read and write the
 * same collections. Every uniqueness rule is a unique index, and every create-once operation is an
 * insert that treats the index's duplicate-key refusal as "already there", so idempotency holds
 * across clients, not just within one.
 */
import { type Db, MongoClient } from 'mongodb';
import type { Store } from '../port.ts';
import { COLLECTIONS, type Ctx, type Ops } from './ctx.ts';
import { startupError, toStoreError } from './errors.ts';
import { healthOps } from './health.ts';
import { ensureIndexes } from './indexes.ts';
import { cacheOps, videoOps } from './media.ts';
import { inboundOps, sessionOps } from './messages.ts';
import { outboundOps } from './outbound.ts';
import { taskOps } from './tasks.ts';
import { ingestInSteps, isCallerError, stepsOnMethods } from '../ingest-steps.ts';
import { storeClosedError } from '../closed.ts';

export interface MongoStoreOptions {
  /** Connection string (MONGODB_URI); also names the server in error messages when `client` is given. */
  readonly uri: string;
  /** Database name (MONGO_DB_NAME); default 'vidbot'. */
  readonly dbName?: string;
  /** A client to use instead of connecting to `uri`; it stays the caller's to close. */
  readonly client?: MongoClient;
  /** How long to look for a server before failing; default 10 s unless the URI sets it. */
  readonly serverSelectionTimeoutMS?: number;
}

const DEFAULT_SERVER_SELECTION_MS = 10_000;

/** The driver waits 30 s by default; a store that cannot start should say so sooner, unless the URI asks otherwise. */
const selectionTimeout = (options: MongoStoreOptions): { serverSelectionTimeoutMS?: number } => {
  if (options.serverSelectionTimeoutMS !== undefined) return { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS };
  return /[?&]serverSelectionTimeoutMS=/i.test(options.uri) ? {} : { serverSelectionTimeoutMS: DEFAULT_SERVER_SELECTION_MS };
};

const openClient = async (options: MongoStoreOptions): Promise<{ client: MongoClient; owned: boolean }> => {
  if (options.client !== undefined) {
    // connect() returns at once for a connected client, and connects one that is not yet.
    await options.client.connect();
    return { client: options.client, owned: false };
  }
  // The constructor throws for a malformed connection string; connect() fails once no server answers.
  const client = new MongoClient(options.uri, selectionTimeout(options));
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return { client, owned: true };
};

export const createMongoStore = async (options: MongoStoreOptions): Promise<Store> => {
  const { uri } = options;
  const dbName = options.dbName ?? 'vidbot';
  let opened: { client: MongoClient; owned: boolean };
  try {
    opened = await openClient(options);
  } catch (error) {
    throw startupError('Cannot connect to', uri, error);
  }
  const { client, owned } = opened;

  let db: Db;
  try {
    // Reads go to the primary so every call sees the writes before it (a duplicate-key loser reads
    // the winner); ignoreUndefined keeps `undefined` from being stored as null. db() throws for an
    // invalid name.
    db = client.db(dbName, { ignoreUndefined: true, readPreference: 'primary' });
    await ensureIndexes(db);
  } catch (error) {
    if (owned) await client.close().catch(() => undefined);
    throw startupError(`Cannot create the indexes of database ${dbName} on`, uri, error);
  }

  const ctx: Ctx = {
    col: Object.fromEntries(COLLECTIONS.map((name) => [name, db.collection(name)])) as Ctx['col'],
    now: () => Date.now(),
  };
  const ops: Ops = {
    ...sessionOps(ctx),
    ...taskOps(ctx),
    ...videoOps(ctx),
    ...cacheOps(ctx),
    ...inboundOps(ctx),
    ...outboundOps(ctx),
    ...healthOps(ctx),
  };

  // No transaction spans the collections here: the unit's writes go one after another.
  const steps = stepsOnMethods(ops);

  let closed = false;
  const call =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (closed) throw storeClosedError();
      try {
        return await fn(...args);
      } catch (error) {
        throw toStoreError(error, uri);
      }
    };

  return {
    name: 'mongodb',
    shared: true,
    appendMessage: call(ops.appendMessage),
    getSession: call(ops.getSession),
    latestNote: call(ops.latestNote),
    createTask: call(ops.createTask),
    getTask: call(ops.getTask),
    updateTask: call(ops.updateTask),
    transitionTask: call(ops.transitionTask),
    listTasks: call(ops.listTasks),
    countTasks: call(ops.countTasks),
    generationCosts: call(ops.generationCosts),
    addVideo: call(ops.addVideo),
    getVideo: call(ops.getVideo),
    listVideos: call(ops.listVideos),
    getCache: call(ops.getCache),
    putCache: call(ops.putCache),
    deleteCache: call(ops.deleteCache),
    claimInbound: call(ops.claimInbound),
    updateInbound: call(ops.updateInbound),
    ingest: async (unit) => {
      if (closed) throw storeClosedError();
      try {
        return await ingestInSteps(steps, unit);
      } catch (error) {
        throw isCallerError(error) ? error : toStoreError(error, uri);
      }
    },
    lastInboundAt: call(ops.lastInboundAt),
    recordOutbound: call(ops.recordOutbound),
    findOutbound: call(ops.findOutbound),
    listOutbound: call(ops.listOutbound),
    updateOutbound: call(ops.updateOutbound),
    keepReceipt: call(ops.keepReceipt),
    takeReceipts: call(ops.takeReceipts),
    forgetKeptReceipts: call(ops.forgetKeptReceipts),
    probeWrite: call(ops.probeWrite),
    close: async () => {
      if (closed) return;
      closed = true;
      if (!owned) return;
      try {
        await client.close();
      } catch (error) {
        throw toStoreError(error, uri);
      }
    },
  };
};
