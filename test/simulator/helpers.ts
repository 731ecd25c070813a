import { afterEach } from 'vitest';
import type { SimulatorOptions } from '../../src/server/simulator/index.ts';
import { type TestServerSettings, makeServer } from '../helpers/server.ts';
import { encodePng } from './png.ts';

/** A vidbot server with the simulator, started as `vidbot serve` starts it (startServer). */
export const makeSimulatorServer = async (
  env: Record<string, string> = {},
  options: { simulator?: Omit<SimulatorOptions, 'authToken' | 'publicBaseUrl'>; server?: TestServerSettings; vidbot?: NonNullable<Parameters<typeof makeServer>[1]>['vidbot'] } = {},
) => {
  const server = await makeServer(env, { ...(options.vidbot ? { vidbot: options.vidbot } : {}), server: { ...options.server, simulator: options.simulator ?? true } });
  if (server.simulator === undefined) throw new Error('the simulator did not start');
  return { ...server, simulator: server.simulator };
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
