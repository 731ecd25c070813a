import type { Collection, Document, Sort } from 'mongodb';
import type { Store } from '../port.ts';
import { isDuplicateKey } from './errors.ts';
import type { Doc } from './fields.ts';

/**
 * The collections: the seed bot's four, plus vidbot's inbound and outbound messages, receipts kept
 * until their message is recorded, and the health check's write probe.
 */
export const COLLECTIONS = ['sessions', 'tasks', 'videos', 'cache', 'inbound', 'outbound', 'receipts', 'health'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** What the operation modules need: the collections and a clock. */
export interface Ctx {
  readonly col: Readonly<Record<CollectionName, Collection<Document>>>;
  now(): number;
}

/** The port's methods without the store's own members; the store wraps them with closed checks and error mapping. */
export type Ops = Omit<Store, 'name' | 'shared' | 'close' | 'ingest'>;

/**
 * Newest first, insertion order breaking ties: ObjectIds grow within one process (driver) or one
 * server (server-generated), which is what "insertion order" can mean without a global counter.
 */
export const NEWEST: Sort = { created_at: -1, _id: -1 };

/**
 * Idempotent creation on unique indexes: inserts `doc`, and when a unique index refuses it, returns
 * the document that won (found by `existing`). The index decides, so this holds across clients
 * and processes, not just within one.
 */
export const insertUnlessExists = async (
  collection: Collection<Document>,
  doc: Doc,
  existing: () => Promise<Doc | null>,
): Promise<{ doc: Doc; created: boolean }> => {
  // insertOne adds `_id` to the object it is given; give it a copy so `doc` stays as built.
  const inserted: Document = { ...doc };
  try {
    await collection.insertOne(inserted);
    return { doc, created: true };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    // The duplicate-key error means the winner's write has committed, so a primary read sees it.
    const winner = await existing();
    if (winner === null) throw error;
    return { doc: winner, created: false };
  }
};

/**
 * Two concurrent upserts on the same unique key can both try to insert; the loser gets a duplicate
 * key error (older servers do not retry it themselves). A second try then matches the winner's document.
 */
export const retryOnDuplicate = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return fn();
  }
};
