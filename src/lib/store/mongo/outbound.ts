import type { Document, Filter } from 'mongodb';
import type { DeliveryStatus, KeptReceipt, OutboundFilter, OutboundPatch, OutboundRecord } from '../port.ts';
import { type Ctx, insertUnlessExists, NEWEST, type Ops } from './ctx.ts';
import { OUTBOUND_FIELDS, OUTBOUND_REQUIRED, outboundDoc, outboundFromDoc, receiptDoc, receiptFromDoc } from './docs.ts';
import { count, DEFAULT_LIMIT, type Doc, patchToUpdate } from './fields.ts';

interface OutboundLookup {
  readonly id?: string;
  readonly messageId?: string;
  readonly taskId?: string;
  readonly kind?: string;
}

/**
 * Equality on a field whose unique index is partial ({$type: 'string'}): the planner uses such an
 * index only when the query names the type too, since an equality alone does not imply it.
 */
const indexed = (value: string): Document => ({ $eq: value, $type: 'string' });

const others = (filter: OutboundLookup): Filter<Document> => ({
  ...(filter.taskId === undefined ? {} : { task_id: filter.taskId }),
  ...(filter.kind === undefined ? {} : { kind: filter.kind }),
});

export const outboundOps = (
  c: Ctx,
): Pick<Ops, 'recordOutbound' | 'findOutbound' | 'listOutbound' | 'updateOutbound' | 'keepReceipt' | 'takeReceipts' | 'forgetKeptReceipts'> => {
  const { outbound, receipts } = c.col;
  const newest = async (query: Filter<Document>): Promise<Doc | null> => outbound.findOne(query, { sort: NEWEST });

  /**
   * A key lookup among records from before out_id (see outboundFromDoc): their sid is unique, so
   * at most one is found, and the mapping decides whether it holds the asked ids.
   */
  const legacy = async (filter: OutboundLookup): Promise<Doc | null> => {
    const sid = filter.id ?? filter.messageId;
    if (sid === undefined) return null;
    const doc = await newest({ sid, out_id: null, ...others(filter) });
    if (doc === null) return null;
    const record = outboundFromDoc(doc);
    const holds =
      (filter.id === undefined || filter.id === record.id) &&
      (filter.messageId === undefined || filter.messageId === record.messageId);
    return holds ? doc : null;
  };

  // Without an id or a messageId the first query matches legacy records as well.
  const find = async (filter: OutboundLookup): Promise<Doc | null> =>
    (await newest({
      ...(filter.id === undefined ? {} : { out_id: indexed(filter.id) }),
      ...(filter.messageId === undefined ? {} : { message_id: indexed(filter.messageId) }),
      ...others(filter),
    })) ?? (await legacy(filter));

  return {
    recordOutbound: async (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>) => {
      const found = await find({ id: record.id });
      if (found !== null) return { record: outboundFromDoc(found), created: false };
      // The unique index on out_id decides races: a retried job records its message once, even on another worker.
      const result = await insertUnlessExists(outbound, outboundDoc(record, c.now()), () => find({ id: record.id }));
      return { record: outboundFromDoc(result.doc), created: result.created };
    },

    findOutbound: async (filter: OutboundLookup) => {
      const doc = await find(filter);
      return doc === null ? null : outboundFromDoc(doc);
    },

    listOutbound: async (filter: OutboundFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      // MongoDB reads limit 0 as "no limit"; the port means "nothing".
      if (limit === 0) return [];
      const query = {
        ...(filter.to === undefined ? {} : { to: filter.to }),
        ...(filter.taskId === undefined ? {} : { task_id: filter.taskId }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        ...(filter.updatedBefore === undefined ? {} : { updated_at: { $lt: filter.updatedBefore } }),
      };
      const sort = filter.updatedBefore === undefined ? NEWEST : ({ updated_at: 1, _id: 1 } as const);
      const docs = await outbound.find(query, { sort, limit }).toArray();
      return docs.map(outboundFromDoc);
    },

    // Matched, not modified, counts (like SQLite's changes): a patch that repeats the values still applied.
    updateOutbound: async (id: string, patch: OutboundPatch, options: { ifStatus?: DeliveryStatus } = {}) => {
      const stamp = { updated_at: c.now() };
      // An empty patch still stamps the record, as SQLite's UPDATE does.
      const update = patchToUpdate(patch, OUTBOUND_FIELDS, OUTBOUND_REQUIRED, stamp) ?? { $set: stamp };
      const guard = options.ifStatus === undefined ? {} : { status: options.ifStatus };
      const current = await outbound.updateOne({ out_id: indexed(id), ...guard }, update);
      if (current.matchedCount === 1) return true;
      const old = await outbound.updateOne({ sid: id, out_id: null, ...guard }, update);
      return old.matchedCount === 1;
    },

    keepReceipt: async (receipt: KeptReceipt) => {
      await receipts.insertOne({ ...receiptDoc(receipt) });
    },

    // A batch at a time, the oldest first, as the SQL stores do.
    forgetKeptReceipts: async (receivedBefore: number, limit: number) => {
      const old = await receipts.find({ received_at: { $lt: receivedBefore } }, { sort: { received_at: 1 }, limit, projection: { _id: 1 } }).toArray();
      if (old.length === 0) return 0;
      return (await receipts.deleteMany({ _id: { $in: old.map((doc) => doc._id) } })).deletedCount;
    },

    takeReceipts: async (messageId: string) => {
      const docs = await receipts.find({ message_id: messageId }, { sort: { received_at: 1, _id: 1 } }).toArray();
      // Only what was read is deleted: a receipt kept meanwhile waits for the next take.
      if (docs.length > 0) await receipts.deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
      return docs.map(receiptFromDoc);
    },
  };
};
