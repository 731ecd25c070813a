import type { Document, Filter } from 'mongodb';
import type { InboundClaim, OutboundRecord, SessionMessage } from '../port.ts';
import { type Ctx, insertUnlessExists, NEWEST, type Ops, retryOnDuplicate } from './ctx.ts';
import {
  INBOUND_FIELDS,
  inboundDoc,
  inboundFromDoc,
  messageDoc,
  OUTBOUND_FIELDS,
  OUTBOUND_REQUIRED,
  outboundDoc,
  outboundFromDoc,
  sessionFromDoc,
} from './docs.ts';
import { count, DEFAULT_LIMIT, type Doc, millis, patchToUpdate } from './fields.ts';

/** About 2 MB of typical messages, far below MongoDB's 16 MB document limit. */
export const MAX_SESSION_MESSAGES = 2000;

export const sessionOps = (c: Ctx): Pick<Ops, 'appendMessage' | 'getSession'> => ({
  appendMessage: async (sessionId: string, message: Omit<SessionMessage, 'ts'> & { ts?: number }) => {
    const ts = message.ts ?? c.now();
    // One upsert: the first message creates the session (its time is the session's creation
    // time), and $push keeps messages in the order the appends reached the server. (Typed as a
    // plain Document: the driver's $push typing rejects any value on an untyped collection.)
    // Capped: a session is one document, and MongoDB refuses documents over 16 MB; the oldest go first.
    const update: Document = {
      $push: { messages: { $each: [messageDoc(message, ts)], $slice: -MAX_SESSION_MESSAGES } },
      $setOnInsert: { created_at: ts },
    };
    await retryOnDuplicate(() => c.col.sessions.updateOne({ session_id: sessionId }, update, { upsert: true }));
  },

  // The session and its messages are one document, so one read cannot tear them apart.
  getSession: async (sessionId: string) => {
    const doc = await c.col.sessions.findOne({ session_id: sessionId });
    return doc === null ? null : sessionFromDoc(doc);
  },
});

export const inboundOps = (c: Ctx): Pick<Ops, 'claimInbound' | 'updateInbound' | 'lastInboundAt'> => {
  const inbound = c.col.inbound;
  const bySid = async (messageSid: string): Promise<Doc | null> => inbound.findOne({ message_sid: messageSid });

  return {
    // The unique index on message_sid decides: whichever insert lands first claims the message.
    claimInbound: async (claim: Omit<InboundClaim, 'receivedAt'>) => {
      const result = await insertUnlessExists(inbound, inboundDoc(claim, c.now()), () => bySid(claim.messageSid));
      return { claimed: result.created, claim: inboundFromDoc(result.doc) };
    },

    // No upsert: updating an unknown message must not claim it.
    updateInbound: async (messageSid: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>) => {
      const update = patchToUpdate(patch, INBOUND_FIELDS, new Set());
      if (update !== null) await inbound.updateOne({ message_sid: messageSid }, update);
    },

    // Served by the (from, received_at) index: one key read.
    lastInboundAt: async (from: string) => {
      const doc = await inbound.findOne({ from }, { sort: { received_at: -1 }, projection: { received_at: 1 } });
      return doc === null ? null : millis(doc, 'received_at');
    },
  };
};

export const outboundOps = (c: Ctx): Pick<Ops, 'recordOutbound' | 'findOutbound' | 'listOutbound' | 'updateOutbound'> => {
  const outbound = c.col.outbound;
  const newest = async (query: Filter<Document>): Promise<Doc | null> => outbound.findOne(query, { sort: NEWEST });

  /** The record a new one would duplicate: the task's 'result' first, then the same sid. */
  const existing = async (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>): Promise<Doc | null> =>
    (record.kind === 'result' && record.taskId !== undefined
      ? await newest({ task_id: record.taskId, kind: 'result' })
      : null) ?? (await newest({ sid: record.sid }));

  return {
    recordOutbound: async (record: Omit<OutboundRecord, 'createdAt' | 'updatedAt'>) => {
      const found = await existing(record);
      if (found !== null) return { record: outboundFromDoc(found), created: false };
      // Unique indexes on sid and (task_id where kind is 'result') decide races: a retried job must
      // not send the video twice, even from another worker.
      const result = await insertUnlessExists(outbound, outboundDoc(record, c.now()), () => existing(record));
      return { record: outboundFromDoc(result.doc), created: result.created };
    },

    findOutbound: async (filter: { sid?: string; taskId?: string; kind?: string }) => {
      const doc = await newest({
        ...(filter.sid === undefined ? {} : { sid: filter.sid }),
        ...(filter.taskId === undefined ? {} : { task_id: filter.taskId }),
        ...(filter.kind === undefined ? {} : { kind: filter.kind }),
      });
      return doc === null ? null : outboundFromDoc(doc);
    },

    listOutbound: async (filter: { to?: string; taskId?: string; limit?: number } = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      // MongoDB reads limit 0 as "no limit"; the port means "nothing".
      if (limit === 0) return [];
      const query = {
        ...(filter.to === undefined ? {} : { to: filter.to }),
        ...(filter.taskId === undefined ? {} : { task_id: filter.taskId }),
      };
      const docs = await outbound.find(query, { sort: NEWEST, limit }).toArray();
      return docs.map(outboundFromDoc);
    },

    updateOutbound: async (sid: string, patch: Partial<Pick<OutboundRecord, 'status' | 'errorCode' | 'sid'>>) => {
      const update = patchToUpdate(patch, OUTBOUND_FIELDS, OUTBOUND_REQUIRED, { updated_at: c.now() });
      if (update !== null) await outbound.updateOne({ sid }, update);
    },
  };
};
