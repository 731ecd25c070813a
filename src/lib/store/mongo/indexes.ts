import type { Db, IndexDescription } from 'mongodb';
import { COLLECTIONS, type CollectionName } from './ctx.ts';
import { isIndexMissing } from './errors.ts';

// Lists sort by (created_at desc, _id desc); indexes end with those keys so they serve the sort too.
const newest = { created_at: -1, _id: -1 } as const;

/**
 * The indexes the store relies on. The unique ones are what make idempotent creation hold across
 * processes (see ctx.ts); the others serve the lists. createIndexes is a no-op for an index that
 * already exists with the same name and options, so this runs at every start.
 */
export const INDEXES: Readonly<Record<CollectionName, readonly IndexDescription[]>> = {
  sessions: [{ name: 'session_id_unique', key: { session_id: 1 }, unique: true }],
  tasks: [
    { name: 'task_id_unique', key: { task_id: 1 }, unique: true },
    // Tasks without a message_sid (CLI runs) must never collide, so only documents that have one are indexed.
    {
      name: 'message_sid_unique',
      key: { message_sid: 1 },
      unique: true,
      // $type, not $exists: the seed's tools write message_sid: null, which must not collide.
      partialFilterExpression: { message_sid: { $type: 'string' } },
    },
    { name: 'newest', key: newest },
    { name: 'from_newest', key: { from: 1, ...newest } },
    { name: 'sid_newest', key: { sid: 1, ...newest } },
    { name: 'status_newest', key: { status: 1, ...newest } },
    // The sweep: open tasks not changed for a while, least recently changed first.
    { name: 'status_updated', key: { status: 1, updated_at: 1, _id: 1 } },
    // The daily budget: what the videos made since midnight cost.
    { name: 'generation_at', key: { 'generation.at': 1 }, partialFilterExpression: { 'generation.at': { $exists: true } } },
  ],
  videos: [
    { name: 'task_id_unique', key: { task_id: 1 }, unique: true },
    { name: 'video_id_unique', key: { video_id: 1 }, unique: true },
    { name: 'newest', key: newest },
    { name: 'from_newest', key: { from: 1, ...newest } },
    { name: 'session_id_newest', key: { session_id: 1, ...newest } },
  ],
  cache: [
    { name: 'key_unique', key: { key: 1 }, unique: true },
    // Not unique: one prompt has an entry per provider, model and options (see cacheKey).
    { name: 'prompt_norm', key: { prompt_norm: 1 } },
  ],
  inbound: [
    { name: 'message_sid_unique', key: { message_sid: 1 }, unique: true },
    { name: 'from_received', key: { from: 1, received_at: -1 } },
  ],
  outbound: [
    // Partial ($type, so nulls never collide): records from before out_id have none, and a message
    // has no message_id until the channel answers.
    {
      name: 'out_id_unique',
      key: { out_id: 1 },
      unique: true,
      partialFilterExpression: { out_id: { $type: 'string' } },
    },
    {
      name: 'message_id_unique',
      key: { message_id: 1 },
      unique: true,
      partialFilterExpression: { message_id: { $type: 'string' } },
    },
    // The outbox sweep: pending messages least recently changed first.
    { name: 'status_updated', key: { status: 1, updated_at: 1, _id: 1 } },
    // Records from before out_id are found by their sid; sparse, so it holds only those.
    { name: 'sid_legacy', key: { sid: 1 }, sparse: true },
    { name: 'newest', key: newest },
    { name: 'task_id_newest', key: { task_id: 1, ...newest } },
    { name: 'to_newest', key: { to: 1, ...newest } },
  ],
  receipts: [
    { name: 'message_received', key: { message_id: 1, received_at: 1 } },
    // The sweep forgets the oldest first.
    { name: 'received', key: { received_at: 1 } },
  ],
  health: [],
};

/**
 * Indexes of earlier versions that refuse today's documents: records without a sid would collide
 * as nulls on sid_unique, and each retry of a task now records a result of its own.
 */
const RETIRED: Readonly<Partial<Record<CollectionName, readonly string[]>>> = {
  outbound: ['sid_unique', 'result_per_task_unique'],
};

const dropRetired = async (db: Db): Promise<void> => {
  for (const [name, indexes] of Object.entries(RETIRED)) {
    for (const index of indexes) {
      try {
        await db.collection(name).dropIndex(index);
      } catch (error) {
        // Already gone (another process dropped it, or a fresh database).
        if (!isIndexMissing(error)) throw error;
      }
    }
  }
};

// The retired indexes go first: sid_legacy has sid_unique's key, and MongoDB refuses a second
// index on one key that differs only in options.
export const ensureIndexes = async (db: Db): Promise<void> => {
  await dropRetired(db);
  const indexed = COLLECTIONS.filter((name) => INDEXES[name].length > 0);
  await Promise.all(indexed.map((name) => db.collection(name).createIndexes([...INDEXES[name]])));
};
