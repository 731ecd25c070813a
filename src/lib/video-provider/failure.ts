/**
 * How a provider's failure reads for what comes next. An outage (the service down, slow, out of
 * quota, refusing credentials) says nothing about the prompt, and another provider could make the
 * video; a refusal or a failed generation is about this prompt on this model, and trying elsewhere
 * would not be fair to the user or would pay twice. Providers set `details.refusal = 'content'` when
 * a model's safety filter turned the prompt down.
 */
import { type VidbotError, vidbotError, isAbortError } from '../errors.ts';

export type ProviderFailureKind = 'outage' | 'refusal' | 'failed' | 'canceled' | 'request';

/** How models word a refusal of the prompt or the output by their safety filter. */
export const CONTENT_REFUSAL = /\bE005\b|flagged as sensitive|nsfw|safety (checker|filter|system)|content (policy|moderation|checker)|content_policy_violation/i;

/**
 * A provider's word, on its error, that no job of this call exists or runs there: nothing reached
 * the service, or a create whose answer was lost was looked for and is surely absent. Only then may
 * failover move the task to another provider without paying twice.
 */
export const NOTHING_STARTED = { remoteJob: 'none' } as const;

export const startedNothing = (error: VidbotError): boolean => error.details.remoteJob === 'none';

/** Network errors that mean the request never reached the service. */
export const UNSENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export const classifyProviderFailure = (error: VidbotError): ProviderFailureKind => {
  // The caller stopped it (a cancel, or its own timeout): no word on the provider's health.
  if (isAbortError(error)) return 'canceled';
  switch (error.code) {
    case 'VIDBOT_PROVIDER_FAILED':
    case 'VIDBOT_TIMEOUT':
    case 'VIDBOT_PROVIDER_AUTH':
      return 'outage';
    case 'VIDBOT_CONTENT_REFUSED':
      return 'refusal';
    case 'VIDBOT_GENERATION_FAILED':
      return error.details.refusal === 'content' ? 'refusal' : 'failed';
    case 'VIDBOT_CANCELED':
      return 'canceled';
    default:
      return 'request';
  }
};

/**
 * A job that ended without a video, in the model's words: VIDBOT_CONTENT_REFUSED when its safety
 * filter turned the prompt down (the user's to act on: the same words would be turned down again),
 * else VIDBOT_GENERATION_FAILED. Both carry the remote status; a refusal also `refusal: 'content'`.
 */
export const generationFailed = (message: string, remoteStatus: string, why: string): VidbotError => {
  const refusal = remoteStatus === 'failed' && CONTENT_REFUSAL.test(why);
  return vidbotError(refusal ? 'VIDBOT_CONTENT_REFUSED' : 'VIDBOT_GENERATION_FAILED', message, {
    details: { remoteStatus, ...(refusal ? { refusal: 'content' } : {}) },
  });
};
