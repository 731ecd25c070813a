/**
 * What the doctor tests share: the service fakes on loopback, a real vidbot server started in
 * this process for the public-URL checks, and a config built as the CLI builds it.
 */
import { type Config, loadConfig } from '../../src/lib/config/index.ts';
import { startServer as startVidbotServer } from '../../src/server/index.ts';
import { type FakeCloudinary, startFakeCloudinary } from '../fakes/cloudinary-api.ts';
import { type FakeGraph, startFakeGraph } from '../fakes/graph-api.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { type FakeReplicate, startFakeReplicate } from '../fakes/replicate-api.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { freePort } from '../helpers/ports.ts';

export const FROM = 'whatsapp:+14155238886';

export interface Fakes {
  readonly twilio: FakeTwilio;
  readonly replicate: FakeReplicate;
  readonly openai: FakeOpenAI;
  readonly cloudinary: FakeCloudinary;
  readonly graph: FakeGraph;
  /** Every service configured against its fake. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export const startFakes = async (): Promise<Fakes> => {
  const [twilio, replicate, openai, cloudinary, graph] = await Promise.all([startFakeTwilio(), startFakeReplicate(), startFakeOpenAI(), startFakeCloudinary(), startFakeGraph()]);
  return {
    twilio,
    replicate,
    openai,
    cloudinary,
    graph,
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_WHATSAPP_FROM: FROM,
      TWILIO_API_BASE_URL: twilio.url,
      REPLICATE_API_TOKEN: replicate.token,
      REPLICATE_API_BASE_URL: replicate.url,
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.url,
      CLOUDINARY_URL: cloudinary.cloudinaryUrl,
      WHATSAPP_TOKEN: graph.token,
      WHATSAPP_PHONE_NUMBER_ID: graph.phoneNumberId,
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      WHATSAPP_APP_SECRET: graph.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'doctor-verify-token',
    },
    close: async () => {
      await Promise.all([twilio.close(), replicate.close(), openai.close(), cloudinary.close(), graph.close()]);
    },
  };
};

/** The configuration `vidbot` would load from this environment (no .env, no saved settings). */
export const configFrom = (env: Record<string, string>): Config => loadConfig({ env, dotenv: false }).config;

export interface RunningServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `vidbot serve`'s web side on a free loopback port, through the same library call (startServer), checking signatures with `authToken` (default: TWILIO_AUTH_TOKEN, else the local
 * token), with PUBLIC_BASE_URL its own loopback URL unless `publicBaseUrl` says otherwise.
 */
export const startServer = async (
  env: Record<string, string>,
  options: { authToken?: string; publicBaseUrl?: string | null } = {},
): Promise<RunningServer> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const publicBaseUrl = options.publicBaseUrl === undefined ? url : options.publicBaseUrl;
  const { PUBLIC_BASE_URL: _ignored, ...rest } = env;
  const config = configFrom({ ...(publicBaseUrl === null ? rest : { ...rest, PUBLIC_BASE_URL: publicBaseUrl }), PORT: String(port), VIDBOT_HOST: '127.0.0.1' });
  const server = await startVidbotServer(config, {
    env: { ...env },
    workers: 0,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
  });
  return { url, close: () => server.close({ graceSec: 0 }) };
};
