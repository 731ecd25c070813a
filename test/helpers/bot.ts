/**
 * The bot over real sockets, for end-to-end tests: the server, a worker, and the loopback Twilio
 * fake that the real SDK talks to. On the embedded queue, or on BullMQ when env has REDIS_URL.
 */
import { afterEach } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/lib/config/index.ts';
import type { Vidbot } from '../../src/lib/create-vidbot.ts';
import type { PipelineEvent } from '../../src/lib/pipeline/events.ts';
import type { QueueWorker } from '../../src/lib/queue/port.ts';
import { type StartServerOptions, startServer } from '../../src/server/index.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { freePort } from './ports.ts';
import { type FormParams, TEST_AUTH_TOKEN, signedPost, twimlText, whatsappText } from './server.ts';
import { sharedFfmpegFor } from './ffmpeg.ts';
import { makeDataDir, waitFor } from './vidbot.ts';

export const ACCOUNT = `AC${'f0'.repeat(16)}`;
export const BOT_NUMBER = 'whatsapp:+14155238886';

export interface TestBot {
  readonly base: string;
  readonly vidbot: Vidbot;
  readonly app: FastifyInstance;
  readonly fake: FakeTwilio;
  readonly worker: QueueWorker;
  /** Every pipeline event the worker emitted, by task. */
  readonly events: Array<{ taskId: string; event: PipelineEvent }>;
  /** What the bot warned about (a typing indicator or a notice that could not be shown). */
  readonly warnings: string[];
  post(params: FormParams): Promise<{ status: number; text: string }>;
  /** Sends a WhatsApp text as `from` and returns the bot's TwiML answer. */
  say(from: string, body: string): Promise<string>;
  /** Waits until the task is in one of these statuses, and returns it. */
  until(taskId: string, ...statuses: string[]): ReturnType<Vidbot['store']['getTask']> extends Promise<infer T> ? Promise<NonNullable<T>> : never;
}

/** Bots for the tests of the current file, each closed after its test. */
export const useBots = () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });
  return async (
    env: Record<string, string> = {},
    options: { workers?: boolean; onWarning?: (message: string) => void } & Pick<StartServerOptions, 'overrides' | 'simulator' | 'bot'> = {},
  ): Promise<TestBot> => {
    const fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN });
    cleanups.push(() => fake.close());
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { dataDir, cleanup } = await makeDataDir();
    cleanups.push(cleanup);
    const { config } = loadConfig({
      env: {
        VIDBOT_DATA_DIR: dataDir,
        PUBLIC_BASE_URL: base,
        PORT: String(port),
        TWILIO_ACCOUNT_SID: ACCOUNT,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM: BOT_NUMBER,
        TWILIO_API_BASE_URL: fake.url,
        VIDBOT_VIDEO_SECONDS: '1',
        VIDBOT_SHUTDOWN_GRACE_SEC: '0',
        ...env,
      },
      cwd: dataDir,
      dotenv: false,
    });
    const events: TestBot['events'] = [];
    const warnings: string[] = [];
    // Started as `vidbot serve` starts: one library call.
    const server = await startServer(config, {
      workers: options.workers === false ? 0 : 1,
      ...(await sharedFfmpegFor(env)),
      onEvent: (taskId, event) => events.push({ taskId, event }),
      onWarning: (message) => {
        warnings.push(message);
        options.onWarning?.(message);
      },
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.simulator ? { simulator: options.simulator } : {}),
      ...(options.bot ? { bot: options.bot } : {}),
    });
    cleanups.push(() => server.close());
    const { vidbot, app } = server;
    const worker = server.worker ?? ({ close: async () => {} } as unknown as QueueWorker);
    const post = async (params: FormParams) => {
      const request = signedPost(`${base}/whatsapp/webhook`, params);
      const response = await fetch(`${base}${request.url}`, { method: 'POST', headers: request.headers, body: request.payload });
      return { status: response.status, text: twimlText(await response.text()) ?? '' };
    };
    const until = (async (taskId: string, ...statuses: string[]) =>
      waitFor(async () => {
        const task = await vidbot.store.getTask(taskId);
        return task && statuses.includes(task.status) ? task : undefined;
      }, 60_000)) as TestBot['until'];
    return { base, vidbot, app, fake, worker, events, warnings, post, say: async (from, body) => (await post(whatsappText(from, body))).text, until };
  };
};
