/**
 * The Cloud API's error codes, sorted by what vidbot can do about them (see RefusalKind), and how a
 * Graph failure becomes the channel port's error. The same codes come back from a refused send and,
 * later, in a `failed` status webhook's errors[].code.
 */
import { type RefusalCodes, refusalKinds } from '../refusals.ts';
import { VidbotError, toVidbotError, abortedError } from '../../errors.ts';
import { GraphFailure } from './graph.ts';

/** More than 24 hours since the user last wrote: only an approved template may reach them now. */
export const WINDOW_CODE = 131047;

/** Throughput limits (the business number's, a pair's, the app's): wait and send again. */
export const RATE_LIMIT_CODES: readonly number[] = [4, 80007, 130429, 131048, 131056];

/** An invalid, expired or revoked token (190), or one without the WhatsApp permissions (10, 200). */
const AUTH_CODES = [190, 10, 200];

const BY_KIND: RefusalCodes = {
  // The attachment: Meta could not fetch, read or take it. A text with the link can still get there.
  media: [131051, 131052, 131053],
  // The recipient cannot get messages from this number: a text would be refused the same way.
  recipient: [131021, 131026, 131030, 131049, 131050],
  // The business number or account cannot send: nothing reaches anyone until it is fixed.
  sender: [131031, 131042, 131045, 133010, 133015],
};

export const refusalKind = refusalKinds(WINDOW_CODE, BY_KIND);

export const isRateLimited = (failure: GraphFailure): boolean =>
  failure.status === 429 || (failure.code !== undefined && RATE_LIMIT_CODES.includes(failure.code));

/** Network failures that mean the request never reached Meta. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const describe = (failure: GraphFailure): string =>
  `HTTP ${failure.status}${failure.code === undefined ? '' : `, error ${failure.code}`}: ${failure.message}${failure.details ? ` (${failure.details})` : ''}`;

/** Maps what a send failed with onto the port's errors (VIDBOT_DELIVERY_REFUSED, _AUTH, _FAILED). */
export const toChannelError = (error: unknown, signal?: AbortSignal): VidbotError => {
  if (signal?.aborted) return abortedError(signal);
  if (error instanceof VidbotError) return error;
  if (!(error instanceof GraphFailure)) return toVidbotError(error);
  const details = {
    ...(error.code === undefined ? {} : { channelCode: String(error.code) }),
    graphStatus: error.status,
    ...(error.fbtraceId ? { fbtraceId: error.fbtraceId } : {}),
  };
  if (error.status === 0) {
    return new VidbotError('VIDBOT_MESSENGER_FAILED', error.message, {
      cause: error,
      retryable: true,
      // A timeout or a reset connection may have delivered the request; a refused one surely not.
      details: { ambiguous: error.network === undefined || !UNSENT.has(error.network) },
    });
  }
  if (error.status === 401 || (error.code !== undefined && AUTH_CODES.includes(error.code))) {
    return new VidbotError('VIDBOT_MESSENGER_AUTH', `The Cloud API rejected the token (${describe(error)}).`, {
      cause: error,
      details,
      hint: 'Check WHATSAPP_TOKEN: a system user token with whatsapp_business_messaging, for the app that owns WHATSAPP_PHONE_NUMBER_ID.',
    });
  }
  if (isRateLimited(error) || error.status >= 500) {
    return new VidbotError('VIDBOT_MESSENGER_FAILED', `The Cloud API could not take the message (${describe(error)}).`, {
      cause: error,
      retryable: true,
      // A 5xx may come after Meta took the message; a rate limit surely did not.
      details: { ...details, ambiguous: error.status >= 500 && !isRateLimited(error) },
    });
  }
  const refusal = refusalKind(error.code);
  return new VidbotError('VIDBOT_DELIVERY_REFUSED', `The Cloud API refused the message (${describe(error)}).`, {
    cause: error,
    details: { ...details, refusal },
    hint:
      refusal === 'window'
        ? 'The user last wrote more than 24 hours ago: set WHATSAPP_TEMPLATE_NAME to an approved template, or ask the user to write first.'
        : 'See the error code in Meta\'s Cloud API error codes reference.',
  });
};
