/**
 * A WhatsApp simulator in the browser at /simulator: chat with the bot without a phone or a Twilio
 * account. Messages go through the real webhook (signature check, dedupe, bot) as Twilio-format
 * forms signed on the server; the bot's answers come back through the simulator's messenger.
 *
 * Wiring: create it first, give `messenger` to createVidbot (overrides.messenger) and
 * `allowMediaUrl` to createBot, then pass the simulator to createServer, which calls `register`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { vidbotError } from '../../lib/errors.ts';
import { type SimulatorMessenger, createSimulatorMessenger } from '../../lib/messenger/simulator.ts';
import type { Store } from '../../lib/store/port.ts';
import { isLocalRequest } from '../auth.ts';
import { createEventStreams } from './events.ts';
import { simulatorRoutes } from './routes.ts';
import { createSigner } from './twilio-forms.ts';
import { createUploads } from './uploads.ts';

export interface SimulatorOptions {
  /** The store, or a getter when it is created after the simulator (createVidbot opens it). */
  readonly store: Store | (() => Store);
  /** The token the webhook checks signatures with (TWILIO_AUTH_TOKEN or the local token). */
  readonly authToken: string;
  /** PUBLIC_BASE_URL: signatures and upload URLs use it when set, else each request's own origin. */
  readonly publicBaseUrl?: string;
  /**
   * Serve the simulator to other machines too (default false). It can post as any number with the
   * server's own signature and read what the bot sends anyone, so by default only this machine may.
   */
  readonly allowRemote?: boolean;
  /** Largest image the page may attach (default 10 MB; the bot applies its own, smaller cap). */
  readonly maxImageBytes?: number;
  /** The number the page starts with. */
  readonly defaultFrom?: string;
}

export interface Simulator {
  /** Takes what the bot sends, as Twilio would, and pushes it to the page. */
  readonly messenger: SimulatorMessenger;
  /** For createBot: the bot may download the simulator's own uploads (and nothing else new). */
  readonly allowMediaUrl: (url: URL) => boolean;
  /** Adds the /simulator routes; createServer calls it when given the simulator. */
  register(app: FastifyInstance): void;
}

export const createSimulator = (options: SimulatorOptions): Simulator => {
  const store = (): Store => (typeof options.store === 'function' ? options.store() : options.store);
  const messenger = createSimulatorMessenger();
  const uploads = createUploads();
  const signer = createSigner({ authToken: options.authToken, ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}) });
  const guard = async (request: FastifyRequest): Promise<void> => {
    if (options.allowRemote || isLocalRequest(request)) return;
    throw vidbotError('VIDBOT_UNAUTHORIZED', 'The simulator answers only to this machine.', {
      hint: 'Open it on the server itself (http://127.0.0.1:<port>/simulator), or create it with allowRemote.',
    });
  };
  return {
    messenger,
    allowMediaUrl: (url) => uploads.isOwnUrl(url),
    register(app) {
      const events = createEventStreams({ store, messenger });
      // Open event streams are never idle, so they would hold app.close() until the page left.
      app.addHook('preClose', async () => events.closeAll());
      simulatorRoutes(app, {
        store,
        messenger,
        signer,
        uploads,
        events,
        guard,
        maxImageBytes: options.maxImageBytes ?? 10 * 1024 * 1024,
        defaultFrom: options.defaultFrom ?? 'whatsapp:+15550001234',
      });
    },
  };
};
