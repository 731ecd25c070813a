/** The Twilio account behind the credentials (what `vidbot doctor` checks), through the official SDK. */
import { type TwilioClientOptions, createTwilioClient } from './client.ts';

export interface TwilioAccount {
  readonly status: string;
  readonly type: string;
  readonly friendlyName: string;
}

/** Fetches the account; throws what the SDK throws (a RestException with status and code, or a network error). */
export const fetchTwilioAccount = (options: TwilioClientOptions & { timeoutMs: number }): Promise<TwilioAccount> =>
  createTwilioClient(options).call(undefined, (sdk) => sdk.api.v2010.accounts(options.accountSid).fetch());
