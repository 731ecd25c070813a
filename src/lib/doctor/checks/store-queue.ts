import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { countAbandoned } from '../../ingest-journal/index.ts';
import type { JobQueue } from '../../queue/port.ts';
import { createSqliteQueue } from '../../queue/sqlite/index.ts';
import { pickStoreKind, type StoreKind } from '../../pick-store.ts';
import { createSqliteStore } from '../../store/sqlite/index.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass, warn } from '../types.ts';
import { makeDirs } from '../../files.ts';

const tasksText = (count: number): string => (count === 1 ? '1 task' : `${count} tasks`);

const DATA_DIR_FIX = 'Set VIDBOT_DATA_DIR to a folder you can write to (it holds vidbot.db and the media files).';

const databaseOf = (ctx: DoctorContext): string => join(ctx.config.dataDir, 'vidbot.db');

/** Checks the data folder can be created and written, before SQLite would fail less clearly. */
const writableDataDir = async (dir: string): Promise<CheckOutcome | undefined> => {
  try {
    await makeDirs(dir);
    await access(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return fail(`the data folder ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`, DATA_DIR_FIX);
  }
};

/** What `vidbot serve` and `vidbot worker` refuse (assertSharedMedia): a shared store with local media. Say so before they do. */
const sharedStoreOutcome = (detail: string, config: DoctorContext['config']): CheckOutcome =>
  config.cloudinaryUrl
    ? pass(detail)
    : config.mediaDir
      ? pass(`${detail}; media in ${config.mediaDir}, which every process must mount`)
      : fail(
          `${detail}, but media files would stay on the machine that made them`,
          'Set CLOUDINARY_URL so every machine of a shared store publishes to a shared media host, or VIDBOT_MEDIA_DIR to a folder every process mounts.',
        );

const checkMongo = async (ctx: DoctorContext, uri: string): Promise<CheckOutcome> => {
  const { config } = ctx;
  const { createMongoStore } = await import('../../store/mongo/index.ts');
  const { parseMongoUri } = await import('../../store/mongo/errors.ts');
  const where = `MongoDB at ${parseMongoUri(uri).where} (database ${config.mongoDbName})`;
  try {
    const store = await createMongoStore({ uri, dbName: config.mongoDbName, serverSelectionTimeoutMS: ctx.timeoutMs });
    try {
      return sharedStoreOutcome(`${where}: ${tasksText(await store.countTasks())}`, config);
    } finally {
      await store.close();
    }
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? 'Check MONGODB_URI, or unset it to use the embedded SQLite store.');
  }
};

const checkPostgres = async (ctx: DoctorContext, url: string): Promise<CheckOutcome> => {
  const { createPostgresStore } = await import('../../store/postgres/index.ts');
  const { describeServer } = await import('../../store/postgres/errors.ts');
  try {
    // Opening it creates or updates the tables, as serve and worker would.
    const store = await createPostgresStore({ url, connectTimeoutMs: ctx.timeoutMs });
    try {
      return sharedStoreOutcome(`PostgreSQL at ${describeServer(url)}: ${tasksText(await store.countTasks())}`, ctx.config);
    } finally {
      await store.close();
    }
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? 'Check DATABASE_URL, or unset it to use the embedded SQLite store.');
  }
};

/** The store opens and answers a trivial read: SQLite in the data folder, MongoDB on MONGODB_URI or PostgreSQL on DATABASE_URL. */
export const checkStore = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { config } = ctx;
  let kind: StoreKind;
  try {
    kind = pickStoreKind(config);
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? 'Unset MONGODB_URI or DATABASE_URL.');
  }
  if (kind === 'mongodb') return checkMongo(ctx, config.mongodbUri ?? '');
  if (kind === 'postgres') return checkPostgres(ctx, config.databaseUrl ?? '');
  const unwritable = await writableDataDir(config.dataDir);
  if (unwritable) return unwritable;
  try {
    const store = createSqliteStore({ file: databaseOf(ctx) });
    try {
      const detail = `SQLite ${databaseOf(ctx)}: ${tasksText(await store.countTasks())}`;
      // Left by a process that was killed: the doctor only looks, the next serve, worker or status writes them.
      const journaled = countAbandoned(databaseOf(ctx));
      return journaled === 0
        ? pass(detail)
        : warn(
            `${detail}, and ${journaled} acknowledged message(s) in the ingest journal of a vidbot process that stopped before writing them`,
            'Start vidbot serve or vidbot worker (or run vidbot status): the first to open the data writes them.',
          );
    } finally {
      await store.close();
    }
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? DATA_DIR_FIX);
  }
};

const describeCounts = async (queue: JobQueue<unknown>): Promise<string> => {
  const c = await queue.counts();
  return `${c.waiting} waiting, ${c.active} active, ${c.delayed} retrying, ${c.failed} failed`;
};

/** The queue answers counts(): the embedded SQLite queue, or BullMQ on REDIS_URL. */
export const checkQueue = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { config } = ctx;
  const leaseMs = config.jobLeaseSec * 1000;
  if (config.redisUrl) {
    const { connectRedis, createBullmqQueue, redactUrl } = await import('../../queue/bullmq/index.ts');
    let redis: Awaited<ReturnType<typeof connectRedis>>;
    try {
      redis = await connectRedis(config.redisUrl, { timeoutMs: ctx.timeoutMs });
    } catch (error) {
      return fail(messageOf(error), hintOf(error) ?? 'Start Redis, or fix REDIS_URL.');
    }
    const queue = createBullmqQueue({ connection: redis, name: 'tasks', prefix: 'vidbot', maxActivePerGroup: 1, leaseMs });
    try {
      return pass(`BullMQ on ${redactUrl(config.redisUrl)}: ${await describeCounts(queue)}`);
    } catch (error) {
      return fail(`BullMQ on ${redactUrl(config.redisUrl)}: ${messageOf(error)}`, hintOf(error) ?? 'Check that REDIS_URL points at a Redis server vidbot may use.');
    } finally {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    }
  }
  const unwritable = await writableDataDir(config.dataDir);
  if (unwritable) return unwritable;
  try {
    const queue = createSqliteQueue({ file: databaseOf(ctx), maxActivePerGroup: 1, leaseMs });
    try {
      return pass(`SQLite queue in ${databaseOf(ctx)}: ${await describeCounts(queue)}`);
    } finally {
      await queue.close();
    }
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? DATA_DIR_FIX);
  }
};
