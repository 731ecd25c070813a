export { createMongoStore, type MongoStoreOptions } from './store.ts';
