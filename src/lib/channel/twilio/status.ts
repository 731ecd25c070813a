/** Twilio's message states and its status callbacks, in the port's terms. */
import type { DeliveryStatus } from '../../domain.ts';
import { VidbotError } from '../../errors.ts';
import type { Receipt } from '../port.ts';

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

type Fields = Readonly<Record<string, string | readonly string[] | undefined>>;
const field = (fields: Fields, name: string): string | undefined => {
  const value = fields[name];
  const first = typeof value === 'string' ? value : value?.[0];
  return first === '' ? undefined : first;
};

/**
 * Reads Twilio's status callback form (MessageSid, MessageStatus, ErrorCode; Sms* on older accounts)
 * and the callback URL's query (`ref`). Throws VIDBOT_INPUT_INVALID when it is not one; returns null
 * for statuses outbound messages never have.
 */
export const parseStatusCallback = (fields: Fields, query: Fields = {}): Receipt | null => {
  const messageId = field(fields, 'MessageSid') ?? field(fields, 'SmsSid');
  const twilioStatus = field(fields, 'MessageStatus') ?? field(fields, 'SmsStatus');
  if (messageId === undefined || twilioStatus === undefined) {
    throw new VidbotError('VIDBOT_INPUT_INVALID', 'A status callback needs MessageSid and MessageStatus.');
  }
  const status = mapTwilioStatus(twilioStatus);
  if (status === undefined) return null;
  const errorCode = field(fields, 'ErrorCode');
  const reference = field(query, 'ref');
  return { messageId, status, ...(errorCode === undefined ? {} : { errorCode }), ...(reference === undefined ? {} : { reference }) };
};
