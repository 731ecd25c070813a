export { createPostgresStore, type PostgresStoreOptions } from './store.ts';
