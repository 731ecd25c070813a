/**
 * The session log's one writer: what each user said and what the bot answered, in order. The bot
 * logs inbound messages and its immediate replies; the lifecycle logs each message a channel took.
 */
import type { SessionMessage, Store } from '../store/port.ts';

export interface Conversation {
  /** What the user sent (text, and the channel's fields). */
  userSaid(sessionId: string, text: string, meta?: SessionMessage['meta']): Promise<void>;
  /** What the bot answered, once the channel took it (or as the webhook's immediate reply). */
  botSaid(sessionId: string, text: string, meta?: SessionMessage['meta']): Promise<void>;
  /** Something the user chose that later messages follow (a model picked with /model), for the bot to read back. */
  noted(sessionId: string, text: string, meta: NonNullable<SessionMessage['meta']>): Promise<void>;
}

export const createConversation = (store: Pick<Store, 'appendMessage'>): Conversation => ({
  userSaid: (sessionId, text, meta) => store.appendMessage(sessionId, { role: 'user', text, ...(meta ? { meta } : {}) }),
  botSaid: (sessionId, text, meta) => store.appendMessage(sessionId, { role: 'bot', text, ...(meta ? { meta } : {}) }),
  noted: (sessionId, text, meta) => store.appendMessage(sessionId, { role: 'system', text, meta }),
});
