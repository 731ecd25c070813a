import type { Db, IndexDescription } from 'mongodb';
import { COLLECTIONS, type CollectionName } from './ctx.ts';

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
    { name: 'sid_unique', key: { sid: 1 }, unique: true },
    // One 'result' per task: a retried job must not send the video twice.
    {
      name: 'result_per_task_unique',
      key: { task_id: 1 },
      unique: true,
      partialFilterExpression: { kind: 'result', task_id: { $type: 'string' } },
    },
    { name: 'newest', key: newest },
    { name: 'task_id_newest', key: { task_id: 1, ...newest } },
    { name: 'to_newest', key: { to: 1, ...newest } },
  ],
};

export const ensureIndexes = async (db: Db): Promise<void> => {
  await Promise.all(COLLECTIONS.map((name) => db.collection(name).createIndexes([...INDEXES[name]])));
};
