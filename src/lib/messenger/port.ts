export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

export interface OutboundMessage {
  /** `whatsapp:+<number>` for WhatsApp, or any address the messenger understands. */
  readonly to: string;
  readonly body?: string;
  readonly mediaUrl?: string;
  /** The task this message answers; a messenger sends at most one result per task and kind. */
  readonly taskId?: string;
  readonly kind?: 'result' | 'failure' | 'progress' | 'notice' | 'reply';
}

export interface SentMessage {
  /** The messenger's id for the message (Twilio's SM... sid, or a local id). */
  readonly sid: string;
  readonly status: DeliveryStatus;
  readonly duplicate: boolean;
}

export interface Messenger {
  readonly name: string;
  send(message: OutboundMessage, options?: { signal?: AbortSignal }): Promise<SentMessage>;
}
