import { afterEach } from 'vitest';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { loadConfig } from '../../src/lib/config/index.ts';
import type { CreateVidbotOptions } from '../../src/lib/create-vidbot.ts';
import { type StartServerOptions, startServer } from '../../src/server/index.ts';
import { sharedFfmpegFor } from './ffmpeg.ts';
import { makeDataDir } from './vidbot.ts';

export const TEST_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

/** The URL inject() requests arrive at (light-my-request's default Host is localhost:80). */
export const INJECT_ORIGIN = 'http://localhost:80';

/** Server settings a test may set; they reach the server through the configuration, as in `vidbot serve`. */
export interface TestServerSettings extends Pick<StartServerOptions, 'insecureSkipSignature' | 'logger' | 'bodyLimit' | 'simulator' | 'workers'> {
  readonly apiKey?: string;
  readonly publicBaseUrl?: string;
  readonly trustProxy?: boolean;
}

/**
 * A server on a fresh vidbot (embedded adapters, temp data dir), through the same library call as
 * `vidbot serve` (startServer), not listening: tests use `app.inject()`. No workers unless asked.
 */
export const makeServer = async (
  env: Record<string, string> = {},
  options: { vidbot?: Pick<CreateVidbotOptions, 'overrides' | 'extraChannels'>; bot?: StartServerOptions['bot']; server?: TestServerSettings } = {},
) => {
  const { dataDir, cleanup } = await makeDataDir();
  const settings = options.server ?? {};
  const { config } = loadConfig({
    env: {
      VIDBOT_DATA_DIR: dataDir,
      // One-second videos, as makeVidbot's: a test that needs a longer job says so.
      VIDBOT_VIDEO_SECONDS: '1',
      ...(settings.apiKey ? { VIDBOT_API_KEY: settings.apiKey } : {}),
      ...(settings.publicBaseUrl ? { PUBLIC_BASE_URL: settings.publicBaseUrl } : {}),
      ...(settings.trustProxy ? { VIDBOT_TRUST_PROXY: 'true' } : {}),
      ...env,
    },
    cwd: dataDir,
    dotenv: false,
  });
  const { apiKey: _a, publicBaseUrl: _p, trustProxy: _t, ...serverOptions } = settings;
  const server = await startServer(config, {
    listen: false,
    workers: 0,
    authToken: TEST_AUTH_TOKEN,
    ...(await sharedFfmpegFor(env)),
    ...serverOptions,
    ...(options.vidbot?.overrides ? { overrides: options.vidbot.overrides } : {}),
    ...(options.vidbot?.extraChannels ? { extraChannels: options.vidbot.extraChannels } : {}),
    ...(options.bot ? { bot: options.bot } : {}),
  });
  return {
    ...server,
    dataDir,
    cleanup: async () => {
      await server.close({ graceSec: 0 });
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
