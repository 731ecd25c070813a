/**
 * Where Twilio serves inbound media from: its own hosts (api.twilio.com redirecting to its CDN), with
 * the account's credentials sent to Twilio's hosts only. TWILIO_API_BASE_URL's origin is trusted too,
 * so emulators and test fakes work.
 */
import type { MediaPolicy } from '../port.ts';

const TWILIO_MEDIA_HOSTS = ['api.twilio.com'];
const TWILIO_MEDIA_SUFFIXES = ['.twiliocdn.com', '.twilio.com'];

export interface TwilioMediaOptions {
  readonly accountSid?: string;
  readonly authToken?: string;
  readonly apiBaseUrl?: string;
}

export const twilioMediaPolicy = (options: TwilioMediaOptions): MediaPolicy => {
  const extraOrigin = options.apiBaseUrl ? new URL(options.apiBaseUrl).origin : undefined;
  const isTwilio = (url: URL): boolean =>
    (url.protocol === 'https:' &&
      url.port === '' &&
      (TWILIO_MEDIA_HOSTS.includes(url.hostname) || TWILIO_MEDIA_SUFFIXES.some((s) => url.hostname.endsWith(s)))) ||
    url.origin === extraOrigin;
  const authorization =
    options.accountSid && options.authToken
      ? `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`
      : undefined;
  return {
    allows: isTwilio,
    headersFor: (url): Readonly<Record<string, string>> => (isTwilio(url) && authorization ? { authorization } : {}),
    // Twilio redirects to its CDN; only https (or the emulator's origin) is followed.
    mayRedirect: (_from, to) => to.protocol === 'https:' || to.origin === extraOrigin,
  };
};
