import { type Prediction, validateWebhook } from 'replicate';
import { vidbotError } from '../errors.ts';
import type { WebhookDelivery } from './port.ts';


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

/** Checks a Replicate webhook (the Standard Webhooks scheme) and returns the prediction it carries. */
export const verifyReplicateWebhook = async (delivery: WebhookDelivery, options: VerifyWebhookOptions): Promise<Prediction> => {
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
  const valid = await validateWebhook({ id, timestamp, signature, body: delivery.rawBody, secret: options.secret }).catch(() => false);
  if (!valid) throw refuse('The webhook\'s signature does not match.');
  let prediction: Prediction;
  try {
    prediction = JSON.parse(delivery.rawBody) as Prediction;
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
  const waiting = new Map<string, Set<(prediction: Prediction | undefined) => void>>();
  return {
    publish(prediction) {
      const listeners = waiting.get(prediction.id);
      waiting.delete(prediction.id);
      for (const listener of listeners ?? []) listener(prediction);
    },
    next(id, signal) {
      return new Promise((resolve) => {
        const listeners = waiting.get(id) ?? new Set();
        const done = (prediction: Prediction | undefined) => {
          listeners.delete(done);
          if (listeners.size === 0 && waiting.get(id) === listeners) waiting.delete(id);
          signal?.removeEventListener('abort', onAbort);
          resolve(prediction);
        };
        const onAbort = () => done(undefined);
        listeners.add(done);
        waiting.set(id, listeners);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
};
