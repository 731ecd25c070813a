/**
 * fal signs each webhook delivery with ED25519: the message is the request id, the user id, the
 * timestamp and the hex SHA-256 of the raw body, one per line; the signature (hex) must match one of
 * the public keys in fal's JSON Web Key Set. Deliveries outside ±5 minutes are refused as replays.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { vidbotError } from '../../errors.ts';
import type { WebhookDelivery } from '../port.ts';

export interface FalWebhookBody {
  readonly request_id: string;
  readonly gateway_request_id?: string;
  readonly status: 'OK' | 'ERROR';
  readonly payload?: unknown;
  readonly error?: string | null;
  readonly payload_error?: string;
}

const header = (headers: WebhookDelivery['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const refuse = (message: string) =>
  vidbotError('VIDBOT_SIGNATURE_INVALID', message, {
    hint: "fal signs webhooks with its own keys (ED25519, published as a key set); a delivery that does not match them did not come from fal.",
  });

export interface FalKeySet {
  /** The current keys; `refresh` asks fal again (at most once a minute). */
  keys(refresh?: boolean): Promise<readonly KeyObject[]>;
}

/** fal's key set, fetched once a day and again (at most once a minute) when a signature matches none. */
export const createFalKeySet = (url: string, fetchFn: typeof fetch, now: () => number = Date.now): FalKeySet => {
  let cached: { keys: readonly KeyObject[]; at: number } | undefined;
  let lastFetch = 0;
  const load = async (): Promise<readonly KeyObject[]> => {
    lastFetch = now();
    const response = await fetchFn(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw vidbotError('VIDBOT_PROVIDER_FAILED', `fal's webhook key set answered ${response.status}.`);
    const body = (await response.json()) as { keys?: Array<Record<string, unknown>> };
    const keys = (body.keys ?? [])
      .filter((jwk) => jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string')
      .map((jwk) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }, format: 'jwk' }));
    cached = { keys, at: now() };
    return keys;
  };
  return {
    keys: async (refresh = false) => {
      const stale = !cached || now() - cached.at > 24 * 3600_000;
      if (stale || (refresh && now() - lastFetch > 60_000)) return load();
      return cached?.keys ?? [];
    },
  };
};

export interface VerifyFalWebhookOptions {
  readonly keySet: FalKeySet;
  readonly toleranceSec?: number;
  readonly now?: () => number;
}

/** Checks a fal webhook delivery and returns its body. */
export const verifyFalWebhook = async (delivery: WebhookDelivery, options: VerifyFalWebhookOptions): Promise<FalWebhookBody> => {
  const requestId = header(delivery.headers, 'x-fal-webhook-request-id');
  const userId = header(delivery.headers, 'x-fal-webhook-user-id');
  const timestamp = header(delivery.headers, 'x-fal-webhook-timestamp');
  const signature = header(delivery.headers, 'x-fal-webhook-signature');
  if (!requestId || !userId || !timestamp || !signature) throw refuse('The webhook has no x-fal-webhook-request-id, -user-id, -timestamp or -signature header.');
  const sentSec = Number(timestamp);
  const nowSec = (options.now ?? Date.now)() / 1000;
  if (!Number.isFinite(sentSec) || Math.abs(nowSec - sentSec) > (options.toleranceSec ?? 300)) {
    throw refuse("The webhook's timestamp is too old or in the future (a replay?).");
  }
  if (!/^[0-9a-f]+$/i.test(signature)) throw refuse("The webhook's signature is not hex.");
  const bodyHash = createHash('sha256').update(delivery.rawBody, 'utf8').digest('hex');
  const message = Buffer.from([requestId, userId, timestamp, bodyHash].join('\n'), 'utf8');
  const signed = Buffer.from(signature, 'hex');
  const matches = (keys: readonly KeyObject[]) => keys.some((key) => verify(null, message, key, signed));
  if (!matches(await options.keySet.keys()) && !matches(await options.keySet.keys(true))) {
    throw refuse("The webhook's signature matches none of fal's keys.");
  }
  let body: FalWebhookBody;
  try {
    body = JSON.parse(delivery.rawBody) as FalWebhookBody;
  } catch {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not JSON.');
  }
  if (typeof body?.request_id !== 'string' || body.request_id !== requestId) {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'The webhook body is not the signed request.');
  }
  return body;
};
