/**
 * The conversation layer between the webhook and the pipeline: it turns one inbound WhatsApp
 * message into a durable task or a command answer, and the text of the reply. It knows nothing
 * of HTTP: the server parses and verifies requests, then hands an InboundMessage here.
 */

export type { InboundMedia, InboundMessage } from '../channel/port.ts';
import type { Choice, InboundMessage } from '../channel/port.ts';

export type BotReplyKind =
  | 'ack' // a task was queued
  | 'command' // /help, /status, /history, /cancel (or help for an unknown /word)
  | 'rate-limited'
  | 'quota' // the sender's daily allowance is used up
  | 'model' // /model: the list of models, or a pick
  | 'repeat' // asked again for a video on its way, or one already had: nothing new queued
  | 'rejected'; // empty or too long prompt, unsupported media, a media download refused

export interface BotReply {
  /** Plain text for the TwiML <Message>. */
  readonly text: string;
  readonly kind: BotReplyKind;
  readonly taskId?: string;
  /** True when this MessageSid was seen before: nothing new was queued. */
  readonly duplicate: boolean;
  /** 1-based place in the queue when a task was queued. */
  readonly position?: number;
  /** Estimated seconds until the video is ready, when recent jobs give a basis. */
  readonly etaSec?: number;
  /**
   * Replies offered with the text (the /model list): the answer then goes out as a message of this
   * kind, with buttons where the channel has them, rather than in the webhook's HTTP answer.
   */
  readonly offer?: { readonly kind: string; readonly choices: readonly Choice[] };
}

export interface Bot {
  /** Persists the message (and its task) before resolving: the caller acknowledges after this. */
  handleInbound(message: InboundMessage, options?: { signal?: AbortSignal }): Promise<BotReply>;
}
