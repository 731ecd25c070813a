/**
 * The domain's shared vocabulary: the words every concern uses about a task and its video. Types
 * live here, not in one concern's port, so no concern has to import another's to speak of them.
 */

export type Orientation = 'portrait' | 'landscape';

export type PipelineStage = 'polish' | 'cache' | 'generate' | 'compress' | 'publish' | 'deliver';

/**
 * Where a task stands. `delivering`: its video is made and kept, and the channel has not yet
 * accepted the message that carries it. `done`: the channel accepted it (whether the phone got it
 * is the delivery's status). `failed` keeps the video when there is one, so a retry only re-sends.
 */
export type TaskStatus = 'queued' | 'processing' | 'delivering' | 'done' | 'failed' | 'canceled';

export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['done', 'failed', 'canceled'];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['queued', 'processing', 'delivering'];

/**
 * A message's delivery state. `pending`: vidbot recorded its intent to send and has no answer from
 * the channel yet (a crash here is reconciled before sending again). The rest are the channel's:
 * accepted (`queued`, `sending`, `sent`), confirmed by the phone (`delivered`, `read`), or refused.
 */
export type DeliveryStatus = 'pending' | 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

/** Statuses in the order a message moves through them; failures are off this line and final. */
export const DELIVERY_PROGRESS: readonly DeliveryStatus[] = ['pending', 'queued', 'sending', 'sent', 'delivered', 'read'];

export const isDeliveryFailure = (status: DeliveryStatus): boolean => status === 'failed' || status === 'undelivered';

/**
 * Whether `next` may replace `current`: receipts arrive late and out of order, so a state only moves
 * forward, failures are final, and a failure cannot overrule a phone's confirmation.
 */
export const deliveryAdvances = (next: DeliveryStatus, current: DeliveryStatus): boolean => {
  const [n, c] = [DELIVERY_PROGRESS.indexOf(next), DELIVERY_PROGRESS.indexOf(current)];
  if (c === -1) return false;
  return n === -1 ? c < DELIVERY_PROGRESS.indexOf('delivered') : n > c;
};

/**
 * Why a channel refused a message, as far as what to do next depends on it: `media` (the
 * attachment; a text with the link can still get through), `window` (WhatsApp's 24-hour rule; only
 * an approved template can), `recipient` and `sender` (no text can help), `other`.
 */
export type RefusalKind = 'media' | 'window' | 'recipient' | 'sender' | 'other';

/** How a result reached the user when its first message could not: a text with the link, or a template. */
export type DeliveryFallback = 'link' | 'template';

/** The delivery of a task's result: the task's own record of it, kept in step with the channel's receipts. */
export interface TaskDelivery {
  readonly status: DeliveryStatus;
  /** 1 for the first delivery; a retry of a failed delivery counts up. */
  readonly attempt: number;
  /** vidbot's id of the message that carries the result now (the fallback's, once there is one). */
  readonly outboundId: string;
  /** The channel's id of that message (Twilio's SM... sid), once the channel answered. */
  readonly messageId?: string;
  /** The messenger that carries it (twilio, simulator, local). */
  readonly channel: string;
  /** The channel's error code of a refusal (e.g. Twilio's 63019). */
  readonly errorCode?: string;
  readonly fallback?: DeliveryFallback;
  /** Rounds of sending again while the channel could not be reached (tasks/delivery-retry.ts); absent before the first. */
  readonly rounds?: number;
  readonly updatedAt: number;
}

/**
 * What a reply button does, for the task its message is about: another take of the same prompt,
 * the same prompt in the other orientation, or a failed task run again.
 */
export type ChoiceAction = 'again' | 'landscape' | 'portrait' | 'retry';

/** A model a user may pick with /model, by its id (`model:google/veo-3.1`); not about a task. */
export type ModelChoiceId = `model:${string}`;

/** A reply the bot offers with a message: a button where the channel has them, a numbered line otherwise. */
export interface Choice {
  readonly id: ChoiceAction | ModelChoiceId;
  /** The words on the button (WhatsApp shows at most 20 characters). */
  readonly title: string;
}

/** What ffprobe found in a media file. */
export interface StreamInfo {
  readonly codec: string;
  readonly profile?: string;
  readonly pixelFormat?: string;
  readonly width?: number;
  readonly height?: number;
  readonly bitrate?: number;
}

export interface MediaInfo {
  readonly file: string;
  readonly sizeBytes: number;
  readonly durationSec: number;
  readonly formatName: string;
  readonly video?: StreamInfo;
  readonly audio?: StreamInfo;
}
