import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobQueue } from '../../queue/port.ts';
import { createSqliteQueue } from '../../queue/sqlite/index.ts';
import { createSqliteStore } from '../../store/sqlite/index.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass } from '../types.ts';

const DATA_DIR_FIX = 'Set VIDBOT_DATA_DIR to a folder you can write to (it holds vidbot.db and the media files).';

const databaseOf = (ctx: DoctorContext): string => join(ctx.config.dataDir, 'vidbot.db');

/** Checks the data folder can be created and written, before SQLite would fail less clearly. */
const writableDataDir = async (dir: string): Promise<CheckOutcome | undefined> => {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return fail(`the data folder ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`, DATA_DIR_FIX);
  }
};

/** The store opens and answers a trivial read: SQLite in the data folder, or MongoDB on MONGODB_URI. */
export const checkStore = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { config } = ctx;
  if (config.mongodbUri) {
    const { createMongoStore } = await import('../../store/mongo/index.ts');
    const { parseMongoUri } = await import('../../store/mongo/errors.ts');
    const where = `MongoDB at ${parseMongoUri(config.mongodbUri).where} (database ${config.mongoDbName})`;
    try {
      const store = await createMongoStore({ uri: config.mongodbUri, dbName: config.mongoDbName, serverSelectionTimeoutMS: ctx.timeoutMs });
      try {
        const detail = `${where}: ${await store.countTasks()} tasks`;
        if (config.cloudinaryUrl) return pass(detail);
        // What `vidbot serve` and `vidbot worker` refuse (assertSharedMedia): say so before they do.
        return fail(`${detail}, but media files would stay on the machine that made them`, 'Set CLOUDINARY_URL so every machine of a shared store publishes to a shared media host.');
      } finally {
        await store.close();
      }
    } catch (error) {
      return fail(messageOf(error), hintOf(error) ?? 'Check MONGODB_URI, or unset it to use the embedded SQLite store.');
    }
  }
  const unwritable = await writableDataDir(config.dataDir);
  if (unwritable) return unwritable;
  try {
    const store = createSqliteStore({ file: databaseOf(ctx) });
    try {
      return pass(`SQLite ${databaseOf(ctx)}: ${await store.countTasks()} tasks`);
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
