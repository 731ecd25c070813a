/** The settings of the shared stores (a group of their own: each names another database engine). */
import type { SettingSpec } from './setting-spec.ts';

export const storeSettings = {
  mongodbUri: { env: 'MONGODB_URI', type: 'string', schemes: ['mongodb://', 'mongodb+srv://'], secret: true, description: 'MongoDB connection string (store)' },
  mongoDbName: { env: 'MONGO_DB_NAME', type: 'string', description: 'MongoDB database name' },
  databaseUrl: {
    env: 'DATABASE_URL',
    // Not 'url': postgres:// is not among the schemes that type accepts, and a password may hold characters a URL parser refuses.
    type: 'string',
    schemes: ['postgres://', 'postgresql://'],
    example: 'postgres://user:password@host:port/database',
    secret: true,
    description: 'PostgreSQL connection string (store): postgres://user:password@host:port/database',
  },
} as const satisfies Record<string, SettingSpec>;

export const storeDefaults = {
  mongoDbName: 'vidbot',
} as const;
