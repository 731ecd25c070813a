/**
 * The official SDK's client, created on first use (loading vidbot does not pay for the REST client),
 * with TWILIO_API_BASE_URL moving every request (emulators, tests) while the SDK still builds, signs
 * and parses them, and with an AbortSignal reaching its axios requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
// The REST client's own module: twilio's index types also pull in its JWT helpers, whose typings
// (jsonwebtoken) twilio does not install, failing a consumer's check without skipLibCheck.
import type Twilio from 'twilio/lib/rest/Twilio.js';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

export interface TwilioClientOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /**
   * Sends every API request to this origin (and path prefix) instead of *.twilio.com: the Messages
   * API (api.twilio.com/2010-04-01/...) and the Content API (content.twilio.com/v1/...) alike, their
   * paths kept, so one loopback fake can serve both.
   */
  readonly apiBaseUrl?: string;
  /** Per-request timeout; the SDK's default is 30 s. */
  readonly timeoutMs?: number;
}

export interface TwilioClient {
  /** Runs `work` with the SDK, its requests aborted by `signal`. */
  call<T>(signal: AbortSignal | undefined, work: (sdk: Twilio) => Promise<T>): Promise<T>;
}

const rebase = (uri: string, base: URL): string => {
  const url = new URL(uri);
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${url.pathname}${url.search}`;
};

export const createTwilioClient = (options: TwilioClientOptions): TwilioClient => {
  // The SDK's request options have no signal; a call's signal reaches its axios instance through this.
  const signals = new AsyncLocalStorage<AbortSignal | undefined>();
  let client: Promise<Twilio> | undefined;
  const create = async (): Promise<Twilio> => {
    const { default: twilio } = await import('twilio');
    const base = options.apiBaseUrl === undefined ? undefined : new URL(options.apiBaseUrl);
    class VidbotRequestClient extends twilio.RequestClient {
      override request<T>(opts: RequestClient.RequestOptions<T>) {
        return super.request(base === undefined ? opts : { ...opts, uri: rebase(opts.uri, base) });
      }
    }
    const httpClient = new VidbotRequestClient(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs });
    httpClient.axios.interceptors.request.use((config) => {
      const signal = signals.getStore();
      if (signal !== undefined) config.signal = signal;
      return config;
    });
    return twilio(options.accountSid, options.authToken, { httpClient });
  };
  return {
    async call(signal, work) {
      const sdk = await (client ??= create());
      return signals.run(signal, () => work(sdk));
    },
  };
};
