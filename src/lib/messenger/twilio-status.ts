/**
 * Twilio's message states and its status callbacks: mapping onto the port's DeliveryStatus, and
 * applying callbacks that arrive late or out of order without moving a message backwards.
 */
import { VidbotError } from '../errors.ts';
import type { Store } from '../store/port.ts';
import type { DeliveryStatus } from './port.ts';

const TWILIO_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  partially_delivered: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  canceled: 'failed',
  undelivered: 'undelivered',
};

/** Twilio's message status as the port's; undefined for inbound ones (received, ...) and unknown ones. */
export const mapTwilioStatus = (status: string): DeliveryStatus | undefined =>
  Object.hasOwn(TWILIO_STATUS, status) ? TWILIO_STATUS[status] : undefined;

/** The object without its undefined properties (exactOptionalPropertyTypes-friendly records). */
export const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

export interface StatusUpdate {
  readonly sid: string;
  readonly status: DeliveryStatus;
  readonly errorCode?: string;
}

type Fields = Readonly<Record<string, string | readonly string[] | undefined>>;
const field = (fields: Fields, name: string): string | undefined => {
  const value = fields[name];
  const first = typeof value === 'string' ? value : value?.[0];
  return first === '' ? undefined : first;
};

/**
 * Reads Twilio's status callback form (MessageSid, MessageStatus, ErrorCode; Sms* on older accounts).
 * Throws VIDBOT_INPUT_INVALID when it is not one; returns null for statuses outbound messages never have.
 */
export const parseStatusCallback = (fields: Fields): StatusUpdate | null => {
  const sid = field(fields, 'MessageSid') ?? field(fields, 'SmsSid');
  const twilioStatus = field(fields, 'MessageStatus') ?? field(fields, 'SmsStatus');
  if (sid === undefined || twilioStatus === undefined) {
    throw new VidbotError('VIDBOT_INPUT_INVALID', 'A status callback needs MessageSid and MessageStatus.');
  }
  const status = mapTwilioStatus(twilioStatus);
  if (status === undefined) return null;
  return defined({ sid, status, errorCode: field(fields, 'ErrorCode') });
};

const ORDER: readonly DeliveryStatus[] = ['queued', 'sending', 'sent', 'delivered', 'read'];
/** Callbacks arrive out of order: a state only moves forward, and failures are final. */
const supersedes = (next: DeliveryStatus, current: DeliveryStatus): boolean => {
  const [n, c] = [ORDER.indexOf(next), ORDER.indexOf(current)];
  if (c === -1) return false;
  // Once the phone confirmed receipt, a failure report cannot be the truth about that message.
  return n === -1 ? c < ORDER.indexOf('delivered') : n > c;
};

/**
 * Applies a status callback to the outbound record; unknown sids and stale states change nothing.
 * Read-then-write: two callbacks for one message at the same instant may still race.
 */
export const applyStatusCallback = async (
  store: Store,
  fields: Fields,
): Promise<{ applied: boolean; update: StatusUpdate | null }> => {
  const update = parseStatusCallback(fields);
  if (update === null) return { applied: false, update };
  const current = await store.findOutbound({ sid: update.sid });
  if (current === null || !supersedes(update.status, current.status)) return { applied: false, update };
  await store.updateOutbound(update.sid, defined({ status: update.status, errorCode: update.errorCode }));
  return { applied: true, update };
};
