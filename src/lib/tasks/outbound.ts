/**
 * Recorded sends: every message the bot sends is recorded before it goes (status `pending`), so a
 * crash mid-send leaves a trace; a rerun asks the channel whether that message went before sending
 * it again, and each receipt lands on the record, forward only. The channel stays a transport.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DeliveryStatus, deliveryAdvances, isDeliveryFailure } from '../domain.ts';
import { type VidbotError, vidbotError, isVidbotError } from '../errors.ts';
import type { Channel, OutboundMessage, SentMessage } from '../channel/port.ts';
import type { OutboundRecord, Store } from '../store/port.ts';
import type { Conversation } from './conversation.ts';

export interface OutboundDeps {
  readonly store: Store;
  readonly conversation: Conversation;
  /** WhatsApp's window for free-form messages after the user's last message (24 h). */
  readonly windowMs?: number;
}

export interface RecordedSend {
  /** vidbot's id of the message: the same id is sent at most once. */
  readonly id: string;
  readonly kind: string;
  readonly channel: Channel;
  readonly message: OutboundMessage;
  readonly taskId?: string;
  /** The session to log the message in once the channel took it. */
  readonly sessionId?: string;
  /** Send the approved template instead of free-form text. */
  readonly template?: boolean;
  /** Refuse free-form messages outside WhatsApp's 24-hour window (default true; an operator's send skips it). */
  readonly checkWindow?: boolean;
  /** The caller recorded the message itself a moment ago and nothing tried to send it: no need to look it up first. */
  readonly untried?: boolean;
  /** A worker's delivery, which may wait for a receipt before sending again (receiptFor); a webhook's notice does not. */
  readonly mayWaitForReceipt?: boolean;
  readonly signal?: AbortSignal;
}

const DAY_MS = 24 * 3600 * 1000;
const CAS_TRIES = 8;

export interface ReceiptUpdate {
  readonly status: DeliveryStatus;
  readonly errorCode?: string;
  readonly messageId?: string;
}

/**
 * Moves a record forward with what the channel said (an answer or a receipt): a state only
 * advances, a known messageId is kept. Compare-and-set, so racing receipts cannot go backwards.
 */
export const advanceRecord = async (
  store: Store,
  id: string,
  update: ReceiptUpdate,
): Promise<{ record: OutboundRecord; changed: boolean } | null> => {
  for (let i = 0; i < CAS_TRIES; i += 1) {
    const record = await store.findOutbound({ id });
    if (record === null) return null;
    const patch: { status?: DeliveryStatus; errorCode?: string; messageId?: string } = {};
    if (update.messageId !== undefined && record.messageId === undefined) patch.messageId = update.messageId;
    if (deliveryAdvances(update.status, record.status)) {
      patch.status = update.status;
      if (update.errorCode !== undefined) patch.errorCode = update.errorCode;
    }
    if (Object.keys(patch).length === 0) return { record, changed: false };
    if (await store.updateOutbound(id, patch, { ifStatus: record.status })) {
      const after = { ...record, ...patch };
      // Receipts that came before anything knew this message's id are applied now.
      if (patch.messageId !== undefined) {
        for (const kept of await store.takeReceipts(patch.messageId)) {
          await advanceRecord(store, id, { status: kept.status, ...(kept.errorCode === undefined ? {} : { errorCode: kept.errorCode }) });
        }
        return { record: (await store.findOutbound({ id })) ?? after, changed: true };
      }
      return { record: after, changed: true };
    }
  }
  throw vidbotError('VIDBOT_STORE_FAILED', `Message ${id} kept changing under its receipts; it is tried again.`);
};

/** The refusal for a free-form message outside WhatsApp's 24-hour window, before asking the channel. */
export const windowRefusal = (to: string): VidbotError =>
  vidbotError(
    'VIDBOT_DELIVERY_REFUSED',
    `${to} has not written to the bot in the last 24 hours, and WhatsApp allows only approved templates then.`,
    {
      details: { refusal: 'window' },
      hint: 'Set TWILIO_CONTENT_SID to an approved template (HX...) to reach users outside the 24-hour window, or ask the user to write first.',
    },
  );

/** Whether WhatsApp's 24-hour window for free-form messages to this user is closed on this channel. */
export const outsideWindow = async (deps: OutboundDeps, channel: Channel, to: string): Promise<boolean> => {
  if (!channel.enforcesWindow || !to.startsWith('whatsapp:')) return false;
  const last = await deps.store.lastInboundAt(to);
  return last === null || Date.now() - last > (deps.windowMs ?? DAY_MS);
};

const lookUp = async (deps: OutboundDeps, record: OutboundRecord, send: RecordedSend): Promise<SentMessage | null> => {
  if (send.channel.findSent === undefined) return null;
  return send.channel.findSent(
    {
      to: record.to,
      since: record.createdAt,
      isTaken: async (messageId) => {
        const holder = await deps.store.findOutbound({ messageId });
        return holder !== null && holder.id !== record.id;
      },
      // A template's text is the channel's: only recipient and time can tell it.
      ...(send.template
        ? {}
        : {
            ...(record.body === undefined ? {} : { body: record.body }),
            withMedia: record.mediaUrl !== undefined,
            ...(send.message.choices?.length ? { choices: send.message.choices } : {}),
          }),
    },
    send.signal ? { signal: send.signal } : {},
  );
};

/** How long after a message's first try a channel that cannot be asked what it sent gets for its receipt to tell. */
export const RECEIPT_WAIT_MS = 15_000;

/**
 * A channel that cannot be asked what it sent, but whose receipts name the message by vidbot's
 * reference (Meta's): the receipt of a message taken despite a failed answer may be on its way.
 * Waits for it until the message is RECEIPT_WAIT_MS old, so a retry a second later does not send a
 * second video; the record once a receipt has come, else null (sent again).
 */
const receiptFor = async (deps: OutboundDeps, record: OutboundRecord, send: RecordedSend): Promise<OutboundRecord | null> => {
  if (send.mayWaitForReceipt !== true || send.channel.findSent !== undefined || send.channel.receiptsCarryReference !== true) return null;
  // From the last try's end (an ambiguous failure marks the record then): an upload and a timeout may take longer than the wait.
  const until = Math.max(record.createdAt, record.updatedAt) + RECEIPT_WAIT_MS;
  while (Date.now() < until) {
    await sleep(Math.min(500, until - Date.now()), undefined, send.signal ? { signal: send.signal } : {});
    const latest = await deps.store.findOutbound({ id: record.id });
    if (latest === null) return null;
    if (latest.messageId !== undefined) return accepted(deps, send, { messageId: latest.messageId, status: latest.status });
    if (isDeliveryFailure(latest.status)) return latest;
  }
  return null;
};

/**
 * Sends one recorded message, at most once per id. Resolves with the record once the channel took
 * it (its status may already be a failure a receipt reported), or with a recorded refusal. Throws
 * VIDBOT_DELIVERY_REFUSED for a new refusal (recorded as failed), and the channel's other errors
 * (the record stays `pending`, to be looked up before the next try).
 */
export const sendRecorded = async (deps: OutboundDeps, send: RecordedSend): Promise<OutboundRecord> => {
  const { store } = deps;
  const { channel } = send;
  const { id, message } = send;
  let record = await store.findOutbound({ id });
  if (record !== null && (record.messageId !== undefined || record.status === 'failed' || record.status === 'undelivered')) return record;
  if (record !== null) {
    // An intent with no answer: a crash or an ambiguous failure mid-send. Did the channel take it?
    const found = send.untried ? null : await lookUp(deps, record, send);
    if (found !== null) return accepted(deps, send, found);
    const heard = send.untried ? null : await receiptFor(deps, record, send);
    if (heard !== null) return heard;
  } else {
    if (!send.template && send.checkWindow !== false && (await outsideWindow(deps, channel, message.to))) throw windowRefusal(message.to);
    ({ record } = await store.recordOutbound({
      id,
      kind: send.kind,
      to: message.to,
      channel: channel.name,
      status: 'pending',
      ...(message.body === undefined ? {} : { body: message.body }),
      ...(message.mediaUrl === undefined ? {} : { mediaUrl: message.mediaUrl }),
      ...(send.taskId === undefined ? {} : { taskId: send.taskId }),
    }));
  }
  let sent: SentMessage;
  try {
    const options = { reference: id, ...(send.signal ? { signal: send.signal } : {}) };
    if (send.template) {
      if (channel.sendTemplate === undefined) throw windowRefusal(message.to);
      sent = await channel.sendTemplate(message, options);
    } else {
      sent = await channel.send(message, options);
    }
  } catch (error) {
    // A refusal, or credentials the channel rejected: surely not sent, and final. Anything else may
    // have gone through, or may on the next try: the record stays pending, to be looked up first.
    if (isVidbotError(error, 'VIDBOT_DELIVERY_REFUSED') || isVidbotError(error, 'VIDBOT_MESSENGER_AUTH')) {
      const code = error.details.channelCode;
      await advanceRecord(store, id, { status: 'failed', ...(typeof code === 'string' ? { errorCode: code } : {}) });
    } else if (isVidbotError(error) && error.details.ambiguous === true) {
      // When the try ended, for a receipt that may yet name it (receiptFor).
      await store.updateOutbound(id, { status: 'pending' }, { ifStatus: 'pending' }).catch(() => false);
    }
    throw error;
  }
  return accepted(deps, send, sent);
};

const accepted = async (deps: OutboundDeps, send: RecordedSend, sent: SentMessage): Promise<OutboundRecord> => {
  const advanced = await advanceRecord(deps.store, send.id, { status: sent.status, messageId: sent.messageId });
  const record = advanced?.record;
  if (record === undefined) throw vidbotError('VIDBOT_STORE_FAILED', `The record of message ${send.id} is missing.`);
  if (send.sessionId !== undefined) {
    const text = [send.message.body, send.message.mediaUrl].filter(Boolean).join('\n');
    await deps.conversation.botSaid(send.sessionId, text, {
      kind: send.kind,
      messageId: sent.messageId,
      ...(send.message.choices?.length ? { choices: send.message.choices.map((choice) => choice.id) } : {}),
      ...(sent.presented ? { presented: sent.presented } : {}),
      ...(send.taskId === undefined ? {} : { taskId: send.taskId }),
    });
  }
  return record;
};
