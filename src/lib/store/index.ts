export * from './port.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/index.ts';
export { cacheKey, type CacheKeyInput, type CacheKeyValue, normalizePrompt, promptKeysCache, stableJson } from './cache-key.ts';
