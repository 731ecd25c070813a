/**
 * A WhatsApp simulator in the browser at /simulator: chat with the bot without a phone or a Twilio
 * account. It is a channel of its own: the page's messages go through its webhook (the real
 * route: signature check, dedupe, bot) as Twilio-format forms signed on the server, and the bot's
 * answers come back through its transport, beside a real Twilio channel if there is one.
 *
 * Wiring: create it first, give `channel` to createVidbot (extraChannels), then pass the simulator
 * to createServer, which calls `register`. startServer does all of this.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type SimulatorChannel, createSimulatorChannel } from '../../lib/channel/simulator/index.ts';
import type { Choice } from '../../lib/domain.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Store } from '../../lib/store/port.ts';
import { isLocalRequest } from '../auth.ts';
import { createEventStreams } from './events.ts';
import { simulatorRoutes } from './routes.ts';
import { createSigner } from './twilio-forms.ts';
import { createUploads } from './uploads.ts';

export interface SimulatorOptions {
  /** The token the simulator's webhook checks signatures with (the local token). */
  readonly authToken: string;
  /** PUBLIC_BASE_URL: signatures and upload URLs use it when set, else each request's own origin. */
  readonly publicBaseUrl?: string;
  /**
   * Serve the simulator to other machines too (default false). It can post as any number with the
   * server's own signature and read what the bot sends anyone, so by default only this machine may.
   */
  readonly allowRemote?: boolean;
  /** Largest image or voice recording the page may attach (default 10 MB; the bot applies its own, smaller caps). */
  readonly maxImageBytes?: number;
  /** The number the page starts with. */
  readonly defaultFrom?: string;
}

export interface Simulator {
  /** Its channel: takes what the bot sends, as Twilio would, and pushes it to the page. */
  readonly channel: SimulatorChannel;
  /** Adds the /simulator routes; createServer calls it when given the simulator. */
  register(app: FastifyInstance, deps: { readonly store: Store; readonly modelChoices?: readonly Choice[] }): void;
}

export const createSimulator = (options: SimulatorOptions): Simulator => {
  const uploads = createUploads();
  const channel = createSimulatorChannel({ authToken: options.authToken, isOwnUpload: (url) => uploads.isOwnUrl(url), uploadUrlOf: (id) => uploads.get(id)?.url });
  // Normalised once here: the signer and the uploads build URLs from it on every request.
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  const signer = createSigner({ authToken: options.authToken, ...(publicBaseUrl ? { publicBaseUrl } : {}) });
  const guard = async (request: FastifyRequest): Promise<void> => {
    if (options.allowRemote || isLocalRequest(request)) return;
    throw vidbotError('VIDBOT_UNAUTHORIZED', 'The simulator answers only to this machine.', {
      hint: 'Open it on the server itself (http://127.0.0.1:<port>/simulator), or create it with allowRemote.',
    });
  };
  return {
    channel,
    register(app, { store, modelChoices = [] }) {
      const events = createEventStreams({ store, channel, modelChoices });
      // Open event streams are never idle, so they would hold app.close() until the page left.
      app.addHook('preClose', async () => events.closeAll());
      simulatorRoutes(app, {
        store,
        modelChoices,
        channel,
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
