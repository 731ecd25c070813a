/**
 * The shared store on PostgreSQL: web and worker processes on several machines read and write the
 * same tables. Every uniqueness rule is a unique index, and every create-once operation is an
 * INSERT ... ON CONFLICT DO NOTHING that returns the row that won, so idempotency holds across
 * pools and processes, not just within one. Statements run at READ COMMITTED: each conditional
 * UPDATE re-checks its condition on the latest committed row, which makes it a compare-and-set.
 */
import type { Pool } from 'pg';
import type { Store } from '../port.ts';
import { startupError, toStoreError } from './errors.ts';
import { healthOps } from './health.ts';
import { cacheOps, videoOps } from './media.ts';
import { inboundOps, sessionOps } from './messages.ts';
import { outboundOps } from './outbound.ts';
import { type Db, openPool, type Ops } from './pool.ts';
import { migrate } from './schema.ts';
import { taskOps } from './tasks.ts';
import { ingestInSteps, isCallerError } from '../ingest-steps.ts';
import { ingestSteps } from './ingest.ts';
import { storeClosedError } from '../closed.ts';

export interface PostgresStoreOptions {
  /** Connection string (DATABASE_URL): postgres://user:password@host:port/database[?options]. */
  readonly url: string;
  /** How long to wait for a connection before failing; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Connections this process may open; default 10. */
  readonly maxConnections?: number;
}

const SCHEME = /^postgres(ql)?:\/\//i;

export const createPostgresStore = async (options: PostgresStoreOptions): Promise<Store> => {
  const { url } = options;
  if (!SCHEME.test(url)) {
    throw startupError('Cannot connect to', url, new Error('the connection string must start with postgres:// or postgresql://'));
  }
  const { db, pool } = openPool({
    url,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.maxConnections === undefined ? {} : { max: options.maxConnections }),
  });
  await open(db, pool, url);

  const ops: Ops = {
    ...sessionOps(db),
    ...taskOps(db),
    ...videoOps(db),
    ...cacheOps(db),
    ...inboundOps(db),
    ...outboundOps(db),
    ...healthOps(db),
  };

  const steps = ingestSteps(db);

  let closed = false;
  const call =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (closed) throw storeClosedError();
      try {
        return await fn(...args);
      } catch (error) {
        throw toStoreError(error, url);
      }
    };

  return {
    name: 'postgres',
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
        throw isCallerError(error) ? error : toStoreError(error, url);
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
      try {
        await pool.end();
      } catch (error) {
        throw toStoreError(error, url);
      }
    },
  };
};

/** Connects, then brings the schema up to date; either failing closes the pool and says which step failed. */
const open = async (db: Db, pool: Pool, url: string): Promise<void> => {
  let step = 'Cannot connect to';
  try {
    await db.query('SELECT 1');
    step = 'Cannot create or update the tables on';
    await migrate(db);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw startupError(step, url, error);
  }
};
