/**
 * The messenger port: a transport that hands one message to a channel (Twilio, the simulator, the
 * local recorder) and says what the channel answered. It keeps no records and makes no decisions:
 * recording, deduplication, the 24-hour window and fallbacks live once, in the task lifecycle.
 */
import type { DeliveryStatus, RefusalKind } from '../domain.ts';

export type { DeliveryStatus } from '../domain.ts';

export interface OutboundMessage {
  /** `whatsapp:+<number>` for WhatsApp, or any address the messenger understands. */
  readonly to: string;
  readonly body?: string;
  readonly mediaUrl?: string;
}

export interface SendOptions {
  readonly signal?: AbortSignal;
  /**
   * vidbot's id of the message. Channels that can hand it back with their receipts do (Twilio: in
   * the status callback URL), so a receipt that beats the send's own answer still finds its record.
   */
  readonly reference?: string;
}

export interface SentMessage {
  /** The channel's id for the message (Twilio's SM... sid, or a local id). */
  readonly messageId: string;
  readonly status: DeliveryStatus;
}

export interface SentLookup {
  readonly to: string;
  /** The intent's time: only messages created after about then count. */
  readonly since: number;
  /** The text that was being sent; templates are matched on recipient and time only. */
  readonly body?: string;
  readonly withMedia?: boolean;
}

/**
 * Sends fail with VidbotErrors: VIDBOT_DELIVERY_REFUSED (final; `details.refusal` is a RefusalKind,
 * `details.channelCode` the channel's code), VIDBOT_MESSENGER_AUTH, or a retryable
 * VIDBOT_MESSENGER_FAILED (`details.ambiguous` when the channel may have taken the message anyway).
 */
export interface Messenger {
  readonly name: string;
  /** WhatsApp's 24-hour rule applies: outside it, only an approved template may be sent. */
  readonly enforcesWindow: boolean;
  send(message: OutboundMessage, options?: SendOptions): Promise<SentMessage>;
  /** Sends the approved template (outside the 24-hour window); present when one is configured. */
  sendTemplate?(message: OutboundMessage, options?: SendOptions): Promise<SentMessage>;
  /**
   * After a crash or an ambiguous failure mid-send: the message the channel took, or null when
   * surely none. Absent when the channel cannot tell; then vidbot sends again.
   */
  findSent?(lookup: SentLookup, options?: { signal?: AbortSignal }): Promise<SentMessage | null>;
  /** What a failure code of this channel (in a refusal or a receipt) means for what to try next; default 'other'. */
  refusalKind?(code: string): RefusalKind;
}
