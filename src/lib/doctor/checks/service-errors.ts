import { type CheckOutcome, fail, messageOf, systemCode, warn } from '../types.ts';

export interface ServiceFailure {
  /** "Twilio", "Replicate"... */
  readonly service: string;
  /** The variables holding the credentials, named in the failure. */
  readonly variables: string;
  /** Where requests went, for "could not reach". */
  readonly origin: string;
  /** The variable that moves the API elsewhere, mentioned when the service cannot be reached. */
  readonly baseVariable?: string;
  /** The HTTP status of the answer; undefined when none came (network error, timeout). */
  readonly status: number | undefined;
  readonly error: unknown;
  /** A shorter text than the error's message, e.g. the service's own error detail. */
  readonly text?: string;
}

/**
 * The common reading of a credentials check that threw: refused credentials fail naming the
 * variables; no answer is a warning (the credentials could not be checked); other answers warn.
 */
export const serviceFailure = (f: ServiceFailure): CheckOutcome => {
  const text = (f.text ?? messageOf(f.error)).slice(0, 200);
  if (f.status === 401 || f.status === 403) {
    return fail(
      `${f.service} rejected ${f.variables} (${f.status}): ${text}`,
      `Check ${f.variables}: copy the value again from your ${f.service} account (no spaces or quotes), then run \`vidbot doctor\` again.`,
    );
  }
  if (f.status === undefined) {
    const code = systemCode(f.error);
    return warn(
      `could not reach ${f.service} at ${f.origin}: ${code ?? text}; ${f.variables} not checked`,
      `Check this machine's network, proxy and DNS${f.baseVariable ? ` (and ${f.baseVariable} if you set it)` : ''}.`,
    );
  }
  return warn(`${f.service} answered ${f.status}: ${text}`, `${f.service} may be having trouble; run \`vidbot doctor\` again in a moment.`);
};
