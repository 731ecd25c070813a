/** What every Twilio-facing route does first: accept only forms, and only Twilio's signature. */
import type { FastifyRequest } from 'fastify';
import { vidbotError } from '../lib/errors.ts';
import { isValidTwilioSignature, type TwilioParams } from '../lib/twilio/signature.ts';
import { type PublicUrlOptions, publicUrlOf } from './public-url.ts';

export type FormFields = Readonly<Record<string, string | readonly string[]>>;

export interface TwilioRequestOptions extends PublicUrlOptions {
  readonly authToken: string;
  /** Accept unsigned requests (local experiments); each one is logged as a warning. */
  readonly insecureSkipSignature: boolean;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** The posted form, or a 415 for anything that is not one (Twilio always posts forms). */
export const formOf = (request: FastifyRequest): FormFields => {
  if (!FORM_TYPE.test(request.headers['content-type'] ?? '')) {
    throw vidbotError('VIDBOT_UNSUPPORTED_MEDIA_TYPE', 'Twilio webhooks are application/x-www-form-urlencoded.');
  }
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw vidbotError('VIDBOT_INPUT_INVALID', 'The form body could not be read.');
  return body as FormFields;
};

/** A field's single value: the first when Twilio (or anyone) sent it more than once. */
export const field = (fields: FormFields, name: string): string | undefined => {
  const value = fields[name];
  return typeof value === 'string' ? value : value?.[0];
};

/** Throws 403 unless X-Twilio-Signature matches the public URL and the form. */
export const verifyTwilioSignature = (request: FastifyRequest, fields: FormFields, options: TwilioRequestOptions): void => {
  if (options.insecureSkipSignature) {
    request.log.warn('X-Twilio-Signature not checked (--insecure-skip-signature): anyone can post to this webhook');
    return;
  }
  const url = publicUrlOf({ url: request.url, headers: request.headers, encrypted: isEncrypted(request) }, options);
  const header = request.headers['x-twilio-signature'];
  const signature = Array.isArray(header) ? header[0] : header;
  if (!isValidTwilioSignature({ authToken: options.authToken, url, params: fields as TwilioParams, signature })) {
    throw vidbotError('VIDBOT_SIGNATURE_INVALID', signature ? 'X-Twilio-Signature does not match.' : 'X-Twilio-Signature is missing.', {
      hint: `It was checked against ${url}; that must be the exact URL configured in Twilio (set PUBLIC_BASE_URL, or --trust-proxy behind a proxy).`,
    });
  }
};

const isEncrypted = (request: FastifyRequest): boolean => Boolean((request.socket as { encrypted?: boolean }).encrypted);
