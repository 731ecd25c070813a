import { type TwilioAccount, fetchTwilioAccount } from '../../channel/twilio/account.ts';
import { type CheckOutcome, type DoctorContext, fail, originOf, pass, skip, warn } from '../types.ts';
import { normalizeRecipient } from '../../channel/recipient.ts';
import { serviceFailure } from './service-errors.ts';

const VARIABLES = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_WHATSAPP_FROM'] as const;

/** The rule vidbot sends to numbers by (channel/recipient.ts), for the number it sends from. */
const isNumber = (address: string): boolean => {
  try {
    normalizeRecipient(address);
    return true;
  } catch {
    return false;
  }
};

/** The Twilio values set that cannot be right, whatever Twilio would say: an account SID, auth token and sender each have one shape. */
const malformedValues = (values: Readonly<Record<(typeof VARIABLES)[number], string | undefined>>): Array<{ problem: string; fix: string }> => {
  const found: Array<{ problem: string; fix: string }> = [];
  const { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_WHATSAPP_FROM: from } = values;
  if (sid && !/^AC[0-9a-fA-F]{32}$/.test(sid)) {
    found.push({
      problem: `TWILIO_ACCOUNT_SID "${sid.slice(0, 6)}..." is not an account SID (AC followed by 32 hex digits)`,
      fix: 'Copy the Account SID (AC...) from your Twilio console.',
    });
  }
  // Only beside an account SID: alone, the token checks webhook signatures and may be any secret
  // (local use). Never shown: only its length, which says enough (a key's secret, a truncated paste).
  if (sid && token && !/^[0-9a-fA-F]{32}$/.test(token)) {
    found.push({
      problem: `TWILIO_AUTH_TOKEN is not an auth token (32 hex digits; it has ${token.length} character${token.length === 1 ? '' : 's'}${/^[0-9a-fA-F]*$/.test(token) ? '' : ', not all hex digits'})`,
      fix: 'Copy the Auth Token from your Twilio console (Account Info, "Show").',
    });
  }
  if (from && !isNumber(from)) {
    found.push({
      problem: `TWILIO_WHATSAPP_FROM=${from} is not a number in international format (whatsapp:+ and its digits)`,
      fix: 'Set TWILIO_WHATSAPP_FROM to your WhatsApp sender, e.g. the sandbox number whatsapp:+14155238886.',
    });
  }
  return found;
};

/**
 * Fetches the account with the official SDK (through the Twilio channel): the credentials work and
 * the account is active. TWILIO_API_BASE_URL moves the requests, as it does for sending.
 */
export const checkTwilio = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { twilioAccountSid: sid, twilioAuthToken: token, twilioWhatsappFrom: from, twilioApiBaseUrl } = ctx.config;
  const values = { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_WHATSAPP_FROM: from };
  const missing = VARIABLES.filter((name) => !values[name]);
  if (missing.length === VARIABLES.length) return skip('not configured: messages are recorded locally, not sent to WhatsApp');
  // What can be told without asking Twilio, said for every value set (also when another is missing).
  const malformed = malformedValues(values);
  if (malformed.length > 0) return fail(malformed.map((each) => each.problem).join('; '), malformed.map((each) => each.fix).join(' '));
  if (sid === undefined || token === undefined || from === undefined || missing.length > 0) {
    return warn(
      `partly configured: ${missing.join(', ')} not set, so vidbot uses the local messenger and sends nothing`,
      `Set ${missing.join(' and ')} as well (from your Twilio console), or unset the others.`,
    );
  }
  let account: TwilioAccount;
  try {
    account = await fetchTwilioAccount({
      accountSid: sid,
      authToken: token,
      timeoutMs: ctx.timeoutMs,
      ...(twilioApiBaseUrl === undefined ? {} : { apiBaseUrl: twilioApiBaseUrl }),
    });
  } catch (error) {
    const e = (error ?? {}) as { status?: unknown; isAxiosError?: unknown; code?: unknown; message?: unknown };
    const status = typeof e.status === 'number' && e.isAxiosError !== true ? e.status : undefined;
    return serviceFailure({
      service: 'Twilio',
      variables: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
      origin: originOf(twilioApiBaseUrl, 'the Twilio API'),
      baseVariable: 'TWILIO_API_BASE_URL',
      status,
      error,
      ...(typeof e.code === 'number' ? { text: `error ${e.code}: ${String(e.message)}` } : {}),
    });
  }
  if (account.status !== 'active') {
    return fail(`the Twilio account "${account.friendlyName}" is ${account.status}`, 'Reactivate the account in the Twilio console, or use another account\'s credentials.');
  }
  const trial = account.type === 'Trial' ? ' (trial: only verified numbers can be messaged)' : '';
  const detail = `credentials accepted: account "${account.friendlyName}" is active${trial}`;
  if (!from.startsWith('whatsapp:')) {
    return warn(`${detail}, but TWILIO_WHATSAPP_FROM=${from} has no whatsapp: prefix (Twilio would send SMS)`, 'Set TWILIO_WHATSAPP_FROM to whatsapp:+<number>, e.g. the sandbox number whatsapp:+14155238886.');
  }
  return pass(`${detail}; sending as ${from}`);
};
