import type { DeliveryStatus } from '../../domain.ts';
import type { KeptReceipt, OutboundFilter, OutboundPatch, OutboundRecord } from '../port.ts';
import type { Db, Ops, Param } from './pool.ts';
import { outboundFromRow, receiptFromRow, toParam } from './rows.ts';
import { count, DEFAULT_LIMIT, params, patchSets, whereEquals } from './sql.ts';

const OUTBOUND_PATCH_COLUMNS: Readonly<Record<string, string>> = {
  status: 'status',
  errorCode: 'error_code',
  messageId: 'message_id',
};
const OUTBOUND_REQUIRED: ReadonlySet<string> = new Set(['status']);

type OutboundLookup = { id?: string; messageId?: string; taskId?: string; kind?: string };

/**
 * A batch of kept receipts, the oldest first, through their index on when they came. The ids go as an
 * array: with IN (subquery) the planner may join by scanning the whole table (exported for its plan's test).
 */
export const FORGET_KEPT_RECEIPTS =
  'DELETE FROM kept_receipts WHERE id = ANY(ARRAY(SELECT id FROM kept_receipts WHERE received_at < $1 ORDER BY received_at LIMIT $2))';

export const outboundOps = (
  db: Db,
): Pick<Ops, 'recordOutbound' | 'findOutbound' | 'listOutbound' | 'updateOutbound' | 'keepReceipt' | 'takeReceipts' | 'forgetKeptReceipts'> => {
  const find = async (filter: OutboundLookup): Promise<OutboundRecord | null> => {
    const p = params();
    const where = whereEquals(p, [
      ['out_id', filter.id],
      ['message_id', filter.messageId],
      ['task_id', filter.taskId],
      ['kind', filter.kind],
    ]);
    const { rows } = await db.query(`SELECT * FROM outbound_messages WHERE ${where} ORDER BY created_at DESC, seq DESC LIMIT 1`, p.values);
    return rows[0] === undefined ? null : outboundFromRow(rows[0]);
  };

  return {
    // The primary key on out_id decides races: a retried job records its message once, even on
    // another worker. Another record holding the same message_id is a conflict, and fails.
    recordOutbound: async (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>) => {
      const now = db.now();
      const { rows } = await db.query(
        `INSERT INTO outbound_messages
           (out_id, message_id, channel, to_addr, body, media_url, task_id, kind, status, error_code, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (out_id) DO NOTHING RETURNING *`,
        [
          record.id,
          toParam(record.messageId),
          toParam(record.channel),
          record.to,
          toParam(record.body),
          toParam(record.mediaUrl),
          toParam(record.taskId),
          record.kind,
          record.status,
          toParam(record.errorCode),
          now,
        ],
      );
      if (rows[0] !== undefined) return { record: outboundFromRow(rows[0]), created: true };
      const existing = await find({ id: record.id });
      if (existing === null) throw new Error(`The outbound message ${record.id} was neither recorded nor found.`);
      return { record: existing, created: false };
    },

    findOutbound: find,

    listOutbound: async (filter: OutboundFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const p = params();
      const where = whereEquals(p, [
        ['to_addr', filter.to],
        ['task_id', filter.taskId],
        ['status', filter.status],
      ]);
      const stale = filter.updatedBefore !== undefined;
      const age = stale ? ` AND updated_at < ${p.add(filter.updatedBefore as number)}` : '';
      const order = stale ? 'updated_at ASC, seq ASC' : 'created_at DESC, seq DESC';
      const { rows } = await db.query(`SELECT * FROM outbound_messages WHERE ${where}${age} ORDER BY ${order} LIMIT ${p.add(limit)}`, p.values);
      return rows.map(outboundFromRow);
    },

    // An empty patch still stamps the record, as in the other stores.
    updateOutbound: async (id: string, patch: OutboundPatch, options: { ifStatus?: DeliveryStatus } = {}) => {
      const p = params();
      const sets = patchSets(p, patch, OUTBOUND_PATCH_COLUMNS, OUTBOUND_REQUIRED, (_key, value) => toParam(value as string | undefined));
      sets.push(`updated_at = ${p.add(db.now())}`);
      // Compare-and-set: a receipt racing another re-reads the row after the first's commit and no longer matches.
      const guard = options.ifStatus === undefined ? '' : ` AND status = ${p.add(options.ifStatus)}`;
      const { rowCount } = await db.query(`UPDATE outbound_messages SET ${sets.join(', ')} WHERE out_id = ${p.add(id)}${guard}`, p.values);
      return rowCount === 1;
    },

    keepReceipt: async (receipt: KeptReceipt) => {
      const values: Param[] = [receipt.messageId, receipt.status, toParam(receipt.errorCode), receipt.receivedAt];
      await db.query('INSERT INTO kept_receipts (message_id, status, error_code, received_at) VALUES ($1, $2, $3, $4)', values);
    },

    // The oldest first, by id (kept in the order they came), a batch at a time.
    forgetKeptReceipts: async (receivedBefore: number, limit: number) =>
      (
        await db.query(
          FORGET_KEPT_RECEIPTS,
          [receivedBefore, limit],
        )
      ).rowCount ?? 0,

    // One DELETE ... RETURNING: of two concurrent takes, the second waits for the first's row locks
    // and finds the rows gone, so each receipt is handed over once. A receipt kept meanwhile waits for the next take.
    takeReceipts: async (messageId: string) => {
      const { rows } = await db.query(
        'WITH taken AS (DELETE FROM kept_receipts WHERE message_id = $1 RETURNING *) SELECT * FROM taken ORDER BY id',
        [messageId],
      );
      return rows.map(receiptFromRow);
    },
  };
};
