/**
 * Which store the configuration names, and opening a shared one: PostgreSQL (DATABASE_URL) or
 * MongoDB (MONGODB_URI), their drivers imported only when picked. pick-adapters.ts pairs the store
 * with its queue.
 */
import type { Config } from './config/settings.ts';
import { vidbotError } from './errors.ts';
import type { Store } from './store/port.ts';

export type StoreKind = 'sqlite' | 'mongodb' | 'postgres';

/** One shared store at most: with both set, vidbot would have to guess which holds the data. */
export const pickStoreKind = (config: Config): StoreKind => {
  if (config.mongodbUri && config.databaseUrl) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', 'Both MONGODB_URI and DATABASE_URL are set, and vidbot keeps its data in one store.', {
      hint: 'Unset one of them: DATABASE_URL for PostgreSQL, or MONGODB_URI for MongoDB.',
    });
  }
  if (config.databaseUrl) return 'postgres';
  return config.mongodbUri ? 'mongodb' : 'sqlite';
};

export const openSharedStore = async (kind: Exclude<StoreKind, 'sqlite'>, config: Config): Promise<Store> => {
  if (kind === 'postgres') {
    const { createPostgresStore } = await import('./store/postgres/index.ts');
    return createPostgresStore({ url: config.databaseUrl ?? '' });
  }
  const { createMongoStore } = await import('./store/mongo/index.ts');
  return createMongoStore({ uri: config.mongodbUri ?? '', dbName: config.mongoDbName });
};
