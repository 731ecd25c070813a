import type { SQLInputValue } from 'node:sqlite';
import type { DeliveryStatus } from '../../domain.ts';
import type { InboundClaim, KeptReceipt, OutboundFilter, OutboundPatch, OutboundRecord, SessionMessage } from '../port.ts';
import { type Conn, count, DEFAULT_LIMIT, type SyncOps, whereEquals } from './conn.ts';
import { inboundFromRow, messageFromRow, outboundFromRow, receiptFromRow, toJson, toSql } from './rows.ts';

/** SET clauses for the patch's own keys; undefined clears a column unless it is required. */
const patchSets = (
  patch: object,
  columns: Readonly<Record<string, string>>,
  required: ReadonlySet<string>,
): { sets: string[]; params: SQLInputValue[] } => {
  const entries = Object.entries(patch).filter(
    ([key, value]) => Object.hasOwn(columns, key) && !(value === undefined && required.has(key)),
  );
  return {
    sets: entries.map(([key]) => `${columns[key]} = ?`),
    params: entries.map(([, value]) => toSql(value as string | undefined)),
  };
};

/** A batch of kept receipts, the oldest first, read through their index on when they came (exported for its plan's test). */
export const FORGET_KEPT_RECEIPTS = 'DELETE FROM kept_receipts WHERE id IN (SELECT id FROM kept_receipts WHERE received_at < ? ORDER BY received_at LIMIT ?)';

export const sessionOps = (c: Conn): Pick<SyncOps, 'appendMessage' | 'getSession' | 'latestNote'> => ({
  appendMessage: (sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }) =>
    c.tx(() => {
      const ts = message.ts ?? c.now();
      // The first message creates the session, and its time is the session's creation time.
      c.sql('INSERT INTO sessions (session_id, created_at) VALUES (?, ?) ON CONFLICT (session_id) DO NOTHING').run(
        sessionId,
        ts,
      );
      c.sql('INSERT INTO session_messages (session_id, role, text, meta, ts) VALUES (?, ?, ?, ?, ?)').run(
        sessionId,
        message.role,
        message.text,
        toJson(message.meta),
        ts,
      );
    }),

  getSession: (sessionId: string, options: { readonly last?: number } = {}) => {
    // One statement, so one snapshot: a concurrent append cannot tear the session from its messages.
    // The newest `last` walk the session's index backwards (LIMIT -1: all of them).
    const rows = c
      .sql(
        `SELECT s.created_at AS session_created_at, m.id, m.role, m.text, m.meta, m.ts
         FROM sessions s LEFT JOIN (
           SELECT * FROM session_messages WHERE session_id = ? ORDER BY id DESC LIMIT ?
         ) m ON m.session_id = s.session_id
         WHERE s.session_id = ? ORDER BY m.id`,
      )
      .all(sessionId, options.last ?? -1, sessionId);
    const head = rows[0];
    if (head === undefined) return null;
    const messages = rows.filter((row) => row.id !== null).map(messageFromRow);
    return { sessionId, createdAt: Number(head.session_created_at), messages };
  },

  // Walks the session's notes alone (the partial index session_messages_notes), newest first.
  latestNote: (sessionId: string, key: string) => {
    const row = c
      .sql(
        `SELECT role, text, meta, ts FROM session_messages
         WHERE session_id = ? AND role = 'system' AND json_extract(meta, '$.' || json_quote(?)) IS NOT NULL
         ORDER BY id DESC LIMIT 1`,
      )
      .get(sessionId, key);
    return row === undefined ? null : messageFromRow(row);
  },
});

const INBOUND_PATCH_COLUMNS: Readonly<Record<string, string>> = { reply: 'reply', taskId: 'task_id' };

export const inboundOps = (c: Conn): Pick<SyncOps, 'claimInbound' | 'updateInbound' | 'lastInboundAt'> => ({
  claimInbound: (claim: Omit<InboundClaim, 'receivedAt'>) =>
    c.tx(() => {
      // The primary key decides: whichever insert lands first claims the message.
      const inserted = c
        .sql(
          `INSERT INTO inbound_messages (message_sid, from_addr, received_at, reply, task_id) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (message_sid) DO NOTHING RETURNING *`,
        )
        .get(claim.messageId, claim.from, c.now(), toSql(claim.reply), toSql(claim.taskId));
      const row = inserted ?? c.sql('SELECT * FROM inbound_messages WHERE message_sid = ?').get(claim.messageId);
      if (row === undefined) throw new Error('The claimed inbound message is missing.');
      return { claimed: inserted !== undefined, claim: inboundFromRow(row) };
    }),

  updateInbound: (messageId: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>) => {
    const { sets, params } = patchSets(patch, INBOUND_PATCH_COLUMNS, new Set());
    if (sets.length === 0) return;
    c.sql(`UPDATE inbound_messages SET ${sets.join(', ')} WHERE message_sid = ?`).run(...params, messageId);
  },

  lastInboundAt: (from: string) => {
    const row = c.sql('SELECT MAX(received_at) AS at FROM inbound_messages WHERE from_addr = ?').get(from);
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  },
});

const OUTBOUND_PATCH_COLUMNS: Readonly<Record<string, string>> = {
  status: 'status',
  errorCode: 'error_code',
  messageId: 'message_id',
};
const OUTBOUND_REQUIRED: ReadonlySet<string> = new Set(['status']);

export const outboundOps = (
  c: Conn,
): Pick<SyncOps, 'recordOutbound' | 'findOutbound' | 'listOutbound' | 'updateOutbound' | 'keepReceipt' | 'takeReceipts' | 'forgetKeptReceipts' | 'probeWrite'> => {
  const first = (clause: string, ...params: SQLInputValue[]): OutboundRecord | null => {
    const row = c
      .sql(`SELECT * FROM outbound_messages WHERE ${clause} ORDER BY created_at DESC, rowid DESC LIMIT 1`)
      .get(...params);
    return row === undefined ? null : outboundFromRow(row);
  };

  return {
    recordOutbound: (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>) =>
      c.tx(() => {
        const existing = first('out_id = ?', record.id);
        if (existing !== null) return { record: existing, created: false };
        const now = c.now();
        c.sql(
          `INSERT INTO outbound_messages
             (out_id, message_id, channel, to_addr, body, media_url, task_id, kind, status, error_code, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          record.id,
          toSql(record.messageId),
          toSql(record.channel),
          record.to,
          toSql(record.body),
          toSql(record.mediaUrl),
          toSql(record.taskId),
          record.kind,
          record.status,
          toSql(record.errorCode),
          now,
          now,
        );
        const created = first('out_id = ?', record.id);
        if (created === null) throw new Error('The recorded outbound message is missing.');
        return { record: created, created: true };
      }),

    findOutbound: (filter: { id?: string; messageId?: string; taskId?: string; kind?: string }) => {
      const where = whereEquals([
        ['out_id', filter.id],
        ['message_id', filter.messageId],
        ['task_id', filter.taskId],
        ['kind', filter.kind],
      ]);
      return first(where.clause, ...where.params);
    },

    listOutbound: (filter: OutboundFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const where = whereEquals([
        ['to_addr', filter.to],
        ['task_id', filter.taskId],
        ['status', filter.status],
      ]);
      const stale = filter.updatedBefore !== undefined;
      return c
        .sql(
          `SELECT * FROM outbound_messages WHERE ${where.clause}${stale ? ' AND updated_at < ?' : ''}
           ORDER BY ${stale ? 'updated_at ASC, rowid ASC' : 'created_at DESC, rowid DESC'} LIMIT ?`,
        )
        .all(...where.params, ...(stale ? [filter.updatedBefore as number] : []), limit)
        .map(outboundFromRow);
    },

    updateOutbound: (id: string, patch: OutboundPatch, options: { ifStatus?: DeliveryStatus } = {}) => {
      const { sets, params } = patchSets(patch, OUTBOUND_PATCH_COLUMNS, OUTBOUND_REQUIRED);
      const guard = options.ifStatus === undefined ? '' : ' AND status = ?';
      const result = c
        .sql(`UPDATE outbound_messages SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE out_id = ?${guard}`)
        .run(...params, c.now(), id, ...(options.ifStatus === undefined ? [] : [options.ifStatus]));
      return Number(result.changes) === 1;
    },

    keepReceipt: (receipt: KeptReceipt) => {
      c.sql('INSERT INTO kept_receipts (message_id, status, error_code, received_at) VALUES (?, ?, ?, ?)').run(
        receipt.messageId,
        receipt.status,
        toSql(receipt.errorCode),
        receipt.receivedAt,
      );
    },

    // The oldest first, by id (kept in the order they came), a batch at a time: the write lock stays short.
    forgetKeptReceipts: (receivedBefore: number, limit: number) =>
      Number(
        c
          .sql(FORGET_KEPT_RECEIPTS)
          .run(receivedBefore, limit).changes,
      ),

    takeReceipts: (messageId: string) =>
      c.tx(() => {
        const rows = c.sql('SELECT * FROM kept_receipts WHERE message_id = ? ORDER BY id').all(messageId);
        if (rows.length > 0) c.sql('DELETE FROM kept_receipts WHERE message_id = ?').run(messageId);
        return rows.map(receiptFromRow);
      }),

    probeWrite: () => {
      c.sql("INSERT INTO vidbot_probe (key, at) VALUES ('health', ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at").run(c.now());
    },
  };
};
