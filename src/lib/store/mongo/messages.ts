import type { Document } from 'mongodb';
import type { InboundClaim, SessionMessage } from '../port.ts';
import { type Ctx, insertUnlessExists, type Ops, retryOnDuplicate } from './ctx.ts';
import { INBOUND_FIELDS, inboundDoc, inboundFromDoc, messageDoc, sessionFromDoc } from './docs.ts';
import { type Doc, millis, patchToUpdate } from './fields.ts';

/** About 2 MB of typical messages, far below MongoDB's 16 MB document limit. */
export const MAX_SESSION_MESSAGES = 2000;

export const sessionOps = (c: Ctx): Pick<Ops, 'appendMessage' | 'getSession' | 'latestNote'> => ({
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
  getSession: async (sessionId: string, options: { readonly last?: number } = {}) => {
    const projection = options.last === undefined ? {} : { projection: { messages: { $slice: -options.last } } };
    const doc = await c.col.sessions.findOne({ session_id: sessionId }, projection);
    return doc === null ? null : sessionFromDoc(doc);
  },

  // A session is one document of at most MAX_SESSION_MESSAGES: read whole, searched here.
  latestNote: async (sessionId: string, key: string) => {
    const doc = await c.col.sessions.findOne({ session_id: sessionId });
    const messages = doc === null ? [] : sessionFromDoc(doc).messages;
    const noted = (meta: SessionMessage['meta']) => meta !== undefined && Object.hasOwn(meta, key) && meta[key] !== undefined && meta[key] !== null;
    return messages.findLast((message) => message.role === 'system' && noted(message.meta)) ?? null;
  },
});

export const inboundOps = (c: Ctx): Pick<Ops, 'claimInbound' | 'updateInbound' | 'lastInboundAt'> => {
  const inbound = c.col.inbound;
  const byMessageId = async (messageId: string): Promise<Doc | null> => inbound.findOne({ message_sid: messageId });

  return {
    // The unique index on message_sid decides: whichever insert lands first claims the message.
    claimInbound: async (claim: Omit<InboundClaim, 'receivedAt'>) => {
      const result = await insertUnlessExists(inbound, inboundDoc(claim, c.now()), () => byMessageId(claim.messageId));
      return { claimed: result.created, claim: inboundFromDoc(result.doc) };
    },

    // No upsert: updating an unknown message must not claim it.
    updateInbound: async (messageId: string, patch: Partial<Pick<InboundClaim, 'reply' | 'taskId'>>) => {
      const update = patchToUpdate(patch, INBOUND_FIELDS, new Set());
      if (update !== null) await inbound.updateOne({ message_sid: messageId }, update);
    },

    // Served by the (from, received_at) index: one key read.
    lastInboundAt: async (from: string) => {
      const doc = await inbound.findOne({ from }, { sort: { received_at: -1 }, projection: { received_at: 1 } });
      return doc === null ? null : millis(doc, 'received_at');
    },
  };
};
