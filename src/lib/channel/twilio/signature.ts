/**
 * X-Twilio-Signature: HMAC-SHA1 over the webhook URL followed by the sorted form fields, keyed with
 * the auth token. We use the SDK's own functions so our checks agree with Twilio's to the byte.
 * Only the SDK's webhooks module is imported (a few milliseconds), not the whole REST client
 * (about 100 ms), so the webhook server and `vidbot sign` start fast.
 */
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { sameSignature } from '../../same-secret.ts';

/** The POSTed form fields; a key sent more than once (MediaUrl, ...) holds every value. */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

export interface SignatureInput {
  readonly authToken: string;
  /** The full URL Twilio posts to, exactly as configured there, query string included. */
  readonly url: string;
  readonly params: TwilioParams;
}

/** The X-Twilio-Signature header Twilio would send for this request. */
export const computeTwilioSignature = ({ authToken, url, params }: SignatureInput): string =>
  getExpectedTwilioSignature(authToken, url, { ...params });

/**
 * Whether `signature` is what Twilio sends for this request. Like the SDK, it also accepts the URL
 * with the scheme's default port added or an explicit port removed (Twilio signs either form).
 * The URL exactly as received is tried first, with one HMAC: it is what Twilio signed when the
 * configured URL has no port or a port of its own, where the SDK would try the portless form first.
 */
export const isValidTwilioSignature = ({
  authToken,
  url,
  params,
  signature,
}: SignatureInput & { readonly signature: string | undefined }): boolean => {
  if (typeof signature !== 'string' || signature === '' || authToken === '') return false;
  const fields = { ...params };
  try {
    return sameSignature(signature, getExpectedTwilioSignature(authToken, url, fields)) || validateRequest(authToken, signature, url, fields);
  } catch {
    // The SDK parses the URL with `new URL()` on its slow path; a URL it cannot parse cannot match.
    return false;
  }
};
