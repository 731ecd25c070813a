import { afterEach } from 'vitest';
import { type CreateBotOptions, createBot } from '../../src/lib/bot/index.ts';
import type { CreateVidbotOptions } from '../../src/lib/create-vidbot.ts';
import { computeTwilioSignature } from '../../src/lib/twilio/signature.ts';
import { type CreateServerOptions, createServer } from '../../src/server/index.ts';
import { makeVidbot } from './vidbot.ts';

export const TEST_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

/** The URL inject() requests arrive at (light-my-request's default Host is localhost:80). */
export const INJECT_ORIGIN = 'http://localhost:80';

/** A server on a fresh vidbot (embedded adapters, temp data dir), for `app.inject()`. */
export const makeServer = async (
  env: Record<string, string> = {},
  options: {
    vidbot?: CreateVidbotOptions;
    bot?: Omit<CreateBotOptions, 'vidbot'>;
    server?: Partial<Omit<CreateServerOptions, 'vidbot' | 'bot'>>;
  } = {},
) => {
  const { vidbot, dataDir, cleanup } = await makeVidbot(env, options.vidbot);
  const bot = createBot({ vidbot, ...options.bot });
  const app = await createServer({ vidbot, bot, authToken: TEST_AUTH_TOKEN, ...options.server });
  return {
    app,
    vidbot,
    bot,
    dataDir,
    cleanup: async () => {
      await app.close();
      await cleanup();
    },
  };
};

export type FormParams = Record<string, string | string[]>;

const encode = (params: FormParams): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, one);
  }
  return search.toString();
};

/** A form POST signed as Twilio signs it, for inject(). `url` is the full URL Twilio would use. */
export const signedPost = (url: string, params: FormParams, authToken = TEST_AUTH_TOKEN) => {
  const { pathname, search } = new URL(url);
  return {
    method: 'POST' as const,
    url: `${pathname}${search}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature({ authToken, url, params }),
    },
    payload: encode(params),
  };
};

let counter = 0;
/** A fresh Twilio-looking MessageSid. */
export const newMessageSid = (): string => `SM${(Date.now().toString(16) + (counter++).toString(16)).padStart(32, '0')}`;

/** The fields Twilio posts for a WhatsApp text message. */
export const whatsappText = (from: string, body: string, messageSid = newMessageSid()): FormParams => ({
  SmsMessageSid: messageSid,
  NumMedia: '0',
  ProfileName: 'Test User',
  MessageType: 'text',
  SmsSid: messageSid,
  WaId: from.replace(/^whatsapp:\+/, ''),
  SmsStatus: 'received',
  Body: body,
  To: 'whatsapp:+14155238886',
  NumSegments: '1',
  ReferralNumMedia: '0',
  MessageSid: messageSid,
  AccountSid: `AC${'0'.repeat(32)}`,
  From: from,
  ApiVersion: '2010-04-01',
});

/** The text of a TwiML <Message>, unescaped. */
export const twimlText = (xml: string): string | undefined => {
  const match = /<Message>([\s\S]*?)<\/Message>/.exec(xml);
  return match?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
};

export type TestServer = Awaited<ReturnType<typeof makeServer>>;

/** Servers for the tests of the current file or describe block, each cleaned up after its test. */
export const useServers = () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.cleanup()));
  });
  return async (...args: Parameters<typeof makeServer>): Promise<TestServer> => {
    const server = await makeServer(...args);
    servers.push(server);
    return server;
  };
};
