/**
 * GET /simulator/history?to=<address>: the conversation so far, so a reloaded page shows it again.
 * It is built from what the store keeps: the session log (what the user sent, the webhook's
 * immediate answers), the outbound records (what the bot sent, with their delivery state) and the
 * sender's tasks (their progress). `now` lets the page open its event stream from that moment on.
 */
import type { Choice } from '../../lib/domain.ts';
import type { SessionMessage, Store, Task } from '../../lib/store/port.ts';
import { type OutboundEvent, outboundEvent, taskEvent, type TaskEvent } from './events.ts';

/** The most a reload shows: a chat longer than this starts with its newest part. */
const MAX_ITEMS = 120;

export type HistoryItem =
  | {
      readonly type: 'user';
      readonly ts: number;
      readonly text: string;
      readonly messageSid?: string;
      readonly media?: { readonly url: string; readonly contentType: string };
      /** The reply button the message was a tap on. */
      readonly button?: string;
    }
  | { readonly type: 'reply'; readonly ts: number; readonly text: string; readonly taskId?: string; readonly messageSid?: string }
  | ({ readonly type: 'outbound'; readonly ts: number } & OutboundEvent);

export interface History {
  readonly now: number;
  readonly items: readonly HistoryItem[];
  readonly tasks: readonly TaskEvent[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A line of the session log as the page shows it; bot messages sent through the channel come from their records instead. */
const fromLog = (message: SessionMessage): HistoryItem | undefined => {
  const meta = message.meta ?? {};
  const messageSid = text(meta.messageSid);
  if (message.role === 'user') {
    const fields = (typeof meta.fields === 'object' && meta.fields !== null ? meta.fields : {}) as Record<string, unknown>;
    const url = text(fields.MediaUrl0);
    const button = text(fields.ButtonPayload) === undefined ? undefined : (text(fields.ButtonText) ?? message.text);
    return {
      type: 'user',
      ts: message.ts,
      text: message.text,
      ...(messageSid ? { messageSid } : {}),
      ...(url ? { media: { url, contentType: text(fields.MediaContentType0) ?? 'application/octet-stream' } } : {}),
      ...(button ? { button } : {}),
    };
  }
  // The webhook's answer names the inbound message it answers; a send through the channel does not.
  if (message.role === 'bot' && messageSid !== undefined) {
    const taskId = text(meta.taskId);
    return { type: 'reply', ts: message.ts, text: message.text, messageSid, ...(taskId ? { taskId } : {}) };
  }
  return undefined;
};

export const readHistory = async (store: Store, to: string, modelChoices: readonly Choice[] = []): Promise<History> => {
  const now = Date.now();
  const [session, records, tasks] = await Promise.all([
    store.getSession(to, { last: MAX_ITEMS * 2 }),
    store.listOutbound({ to, limit: MAX_ITEMS }),
    store.listTasks({ from: to, limit: 20 }),
  ]);
  // In the Cloud API mode (and for answers with buttons) the webhook's answer went out as a message: its record shows it, once.
  const sentAsMessage = new Set(records.filter((record) => record.id.endsWith(':reply')).map((record) => record.id));
  const logged = (session?.messages ?? [])
    .flatMap((message) => fromLog(message) ?? [])
    .filter((item) => item.type !== 'reply' || !sentAsMessage.has(`${item.messageSid}:reply`));
  // Messages the channel never took (refused before an id) have nothing to show a receipt on. The
  // store lists newest first: turned, so two sent in the same millisecond keep their order (the sort is stable).
  const sent = await Promise.all(
    [...records].reverse().filter((record) => record.status !== 'pending').map(async (record) => ({ type: 'outbound' as const, ts: record.createdAt, ...(await outboundEvent(store, record, modelChoices)) })),
  );
  // The webhook's answer goes where the page showed it live, right under the message it answers: its
  // log line may be written after a quick video's record (a cached prompt is sent within milliseconds).
  const askedAt = new Map(logged.flatMap((item) => (item.type === 'user' && item.messageSid ? [[item.messageSid, item.ts] as const] : [])));
  const answers = logged.map((item) => (item.type === 'reply' && item.messageSid ? { ...item, ts: Math.min(item.ts, askedAt.get(item.messageSid) ?? item.ts) } : item));
  const items = [...answers, ...sent].sort((a, b) => a.ts - b.ts).slice(-MAX_ITEMS);
  return { now, items, tasks: tasks.map((task: Task) => taskEvent(task)) };
};
