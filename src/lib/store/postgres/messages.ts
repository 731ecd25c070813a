import type { InboundClaim, SessionMessage } from '../port.ts';
import type { Db, Ops } from './pool.ts';
import { inboundFromRow, messageFromRow, toJson, toParam } from './rows.ts';
import { params, patchSets } from './sql.ts';

export const sessionOps = (db: Db): Pick<Ops, 'appendMessage' | 'getSession' | 'latestNote'> => ({
  appendMessage: async (sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }) => {
    const ts = message.ts ?? db.now();
    // One statement, so atomic like a transaction in one round trip: the first message creates the
    // session (its time is the session's creation time), and the message's foreign key is checked
    // at the statement's end, after the session row is there.
    await db.query(
      `WITH session AS (INSERT INTO sessions (session_id, created_at) VALUES ($1, $2) ON CONFLICT (session_id) DO NOTHING)
       INSERT INTO session_messages (session_id, role, text, meta, ts) VALUES ($1, $3, $4, $5, $2)`,
      [sessionId, ts, message.role, message.text, toJson(message.meta)],
    );
  },

  getSession: async (sessionId: string, options: { readonly last?: number } = {}) => {
    // One statement, so one snapshot: a concurrent append cannot tear the session from its messages.
    // The newest `last` walk the session's index backwards (LIMIT NULL: all of them).
    const { rows } = await db.query(
      `SELECT s.created_at AS session_created_at, m.id, m.role, m.text, m.meta, m.ts
       FROM sessions s LEFT JOIN LATERAL (
         SELECT * FROM session_messages WHERE session_id = s.session_id ORDER BY id DESC LIMIT $2
       ) m ON true
       WHERE s.session_id = $1 ORDER BY m.id`,
      [sessionId, options.last ?? null],
    );
    const head = rows[0];
    if (head === undefined) return null;
    const messages = rows.filter((row) => row.id !== null).map(messageFromRow);
    return { sessionId, createdAt: Number(head.session_created_at), messages };
  },

  // Walks the session's notes alone (the partial index session_messages_notes), newest first.
  latestNote: async (sessionId: string, key: string) => {
    const { rows } = await db.query(
      `SELECT role, text, meta, ts FROM session_messages
       WHERE session_id = $1 AND role = 'system' AND meta->>($2::text) IS NOT NULL
       ORDER BY id DESC LIMIT 1`,
      [sessionId, key],
    );
    return rows[0] === undefined ? null : messageFromRow(rows[0]);
  },
});

const INBOUND_PATCH_COLUMNS: Readonly<Record<string, string>> = { reply: 'reply', taskId: 'task_id' };

export const inboundOps = (db: Db): Pick<Ops, 'claimInbound' | 'updateInbound' | 'lastInboundAt'> => {
  const byMessageId = async (messageId: string): Promise<InboundClaim | null> => {
    const { rows } = await db.query('SELECT * FROM inbound_messages WHERE message_sid = $1', [messageId]);
    return rows[0] === undefined ? null : inboundFromRow(rows[0]);
  };

  return {
    // The primary key decides: whichever insert lands first claims the message; a concurrent one
    // waits for its commit, inserts nothing, and reads the winner's claim.
    claimInbound: async (claim: Omit<InboundClaim, 'receivedAt'>) => {
      const { rows } = await db.query(
        `INSERT INTO inbound_messages (message_sid, from_addr, received_at, reply, task_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_sid) DO NOTHING RETURNING *`,
        [claim.messageId, claim.from, db.now(), toParam(claim.reply), toParam(claim.taskId)],
      );
      if (rows[0] !== undefined) return { claimed: true, claim: inboundFromRow(rows[0]) };
      const existing = await byMessageId(claim.messageId);
      if (existing === null) throw new Error(`The inbound message ${claim.messageId} was neither claimed nor found.`);
      return { claimed: false, claim: existing };
    },

    // No upsert: updating an unknown message must not claim it.
    updateInbound: async (messageId: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>) => {
      const p = params();
      const sets = patchSets(p, patch, INBOUND_PATCH_COLUMNS, new Set(), (_key, value) => toParam(value as string | undefined));
      if (sets.length === 0) return;
      await db.query(`UPDATE inbound_messages SET ${sets.join(', ')} WHERE message_sid = ${p.add(messageId)}`, p.values);
    },

    // Served by the (from_addr, received_at) index.
    lastInboundAt: async (from: string) => {
      const { rows } = await db.query('SELECT MAX(received_at) AS at FROM inbound_messages WHERE from_addr = $1', [from]);
      const at = rows[0]?.at;
      return typeof at === 'number' ? at : null;
    },
  };
};
