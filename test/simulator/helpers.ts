import { afterEach } from 'vitest';
import { createBot } from '../../src/lib/bot/index.ts';
import type { Vidbot } from '../../src/lib/create-vidbot.ts';
import { type CreateServerOptions, createServer } from '../../src/server/index.ts';
import { type SimulatorOptions, createSimulator } from '../../src/server/simulator/index.ts';
import { TEST_AUTH_TOKEN } from '../helpers/server.ts';
import { makeVidbot } from '../helpers/vidbot.ts';
import { encodePng } from './png.ts';

/**
 * A vidbot server with the simulator wired as `vidbot serve` wires it: the simulator first (its
 * messenger is an override of createVidbot, which opens the store it records into), then the bot
 * with the simulator's media allowance, then the server.
 */
export const makeSimulatorServer = async (
  env: Record<string, string> = {},
  options: { simulator?: Partial<SimulatorOptions>; server?: Partial<Omit<CreateServerOptions, 'vidbot' | 'bot' | 'simulator'>> } = {},
) => {
  let vidbot: Vidbot | undefined;
  const simulator = createSimulator({
    store: () => {
      if (!vidbot) throw new Error('the store is not open yet');
      return vidbot.store;
    },
    authToken: TEST_AUTH_TOKEN,
    ...options.simulator,
  });
  const made = await makeVidbot(env, { overrides: { messenger: simulator.messenger } });
  vidbot = made.vidbot;
  const bot = createBot({ vidbot, allowMediaUrl: simulator.allowMediaUrl });
  const app = await createServer({ vidbot, bot, authToken: TEST_AUTH_TOKEN, simulator, ...options.server });
  return {
    app,
    vidbot,
    simulator,
    dataDir: made.dataDir,
    cleanup: async () => {
      await app.close();
      await made.cleanup();
    },
  };
};

export type SimulatorServer = Awaited<ReturnType<typeof makeSimulatorServer>>;

/** Servers for the current test, closed after it. */
export const useSimulatorServers = () => {
  const servers: SimulatorServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.cleanup()));
  });
  return async (...args: Parameters<typeof makeSimulatorServer>): Promise<SimulatorServer> => {
    const server = await makeSimulatorServer(...args);
    servers.push(server);
    return server;
  };
};

/** A small colourful PNG, as bytes and as the data URL the page sends. */
export const testImage = (width = 64, height = 48) => {
  const png = encodePng(width, height, (x, y) => [(x * 4) % 256, (y * 5) % 256, 128]);
  return { png, dataUrl: `data:image/png;base64,${png.toString('base64')}` };
};
