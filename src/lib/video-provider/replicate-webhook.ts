import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Prediction } from 'replicate';
import { vidbotError } from '../errors.ts';
import type { WebhookDelivery } from './port.ts';
import { createJobUpdates } from './updates.ts';


export interface VerifyWebhookOptions {
  readonly secret: string;
  /** Deliveries older (or newer) than this are refused as replays (default 300 s). */
  readonly toleranceSec?: number;
  readonly now?: () => number;
}

const header = (headers: WebhookDelivery['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const refuse = (message: string) =>
  vidbotError('VIDBOT_SIGNATURE_INVALID', message, {
    hint: 'Replicate signs webhooks with your account\'s signing secret; set REPLICATE_WEBHOOK_SECRET or let vidbot fetch it with REPLICATE_API_TOKEN.',
  });

export interface SignedDelivery {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
}

/** The cheap checks, done before any secret is needed: headers present, body present, fresh timestamp. */
export const precheckReplicateWebhook = (delivery: WebhookDelivery, options: Omit<VerifyWebhookOptions, 'secret'> = {}): SignedDelivery => {
  const id = header(delivery.headers, 'webhook-id');
  const timestamp = header(delivery.headers, 'webhook-timestamp');
  const signature = header(delivery.headers, 'webhook-signature');
  if (!id || !timestamp || !signature) throw refuse('The webhook has no webhook-id, webhook-timestamp or webhook-signature header.');
  const sentSec = Number(timestamp);
  const nowSec = (options.now ?? Date.now)() / 1000;
  if (!Number.isFinite(sentSec) || Math.abs(nowSec - sentSec) > (options.toleranceSec ?? 300)) {
    throw refuse('The webhook\'s timestamp is too old or in the future (a replay?).');
  }
  if (!delivery.rawBody) throw refuse('The webhook has no body.');
  return { id, timestamp, signature, body: delivery.rawBody };
};

/**
 * Standard Webhooks: base64 HMAC-SHA256 of "id.timestamp.body", keyed with the secret's bytes; the
 * header may list several "v1,<sig>" (during secret rotation). Compared in constant time.
 */
const signatureMatches = (signed: SignedDelivery, secret: string): boolean => {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${signed.id}.${signed.timestamp}.${signed.body}`).digest();
  return signed.signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
};

/** Checks a Replicate webhook and returns the prediction it carries. */
export const verifyReplicateWebhook = async (delivery: WebhookDelivery, options: VerifyWebhookOptions): Promise<Prediction> => {
  const signed = precheckReplicateWebhook(delivery, options);
  if (!signatureMatches(signed, options.secret)) throw refuse('The webhook\'s signature does not match.');
  let prediction: Prediction;
  try {
    prediction = JSON.parse(signed.body) as Prediction;
  } catch {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not JSON.');
  }
  if (typeof prediction?.id !== 'string' || typeof prediction.status !== 'string') {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not a prediction.');
  }
  return prediction;
};

/** Hands predictions that arrive by webhook to the runs that wait for them, in this process. */
export interface PredictionUpdates {
  publish(prediction: Prediction): void;
  /** Resolves with the next update of this prediction; never rejects. */
  next(id: string, signal?: AbortSignal): Promise<Prediction | undefined>;
}

export const createPredictionUpdates = (): PredictionUpdates => {
  const updates = createJobUpdates<Prediction>();
  return { publish: (prediction) => updates.publish(prediction.id, prediction), next: (id, signal) => updates.next(id, signal) };
};
