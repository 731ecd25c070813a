import { createServer } from 'node:net';
import type { Config } from '../../lib/config/index.ts';
import { isVidbotError } from '../../lib/errors.ts';
import type { Tunnel } from '../../lib/tunnel/port.ts';

export interface TunnelFlags {
  /** --tunnel / --no-tunnel; default: on when NGROK_AUTHTOKEN is set. */
  tunnel?: boolean;
  domain?: string;
}

export interface TunnelSetup {
  /** The port to listen on: fixed before the tunnel opens, since the tunnel points at it. */
  readonly port: number;
  readonly tunnel?: Tunnel;
  /** Why there is no tunnel although one was asked for: the server runs locally and says this. */
  readonly warning?: string;
}

const freePort = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/**
 * Opens the ngrok tunnel before anything else is built, because its URL is the public base URL that
 * signatures, media links and webhooks use. A failed tunnel never stops the server.
 */
export const setUpTunnel = async (config: Config, flags: TunnelFlags): Promise<TunnelSetup> => {
  const wanted = flags.tunnel ?? Boolean(config.ngrokAuthtoken);
  if (!wanted) return { port: config.port };
  if (!config.ngrokAuthtoken) {
    return { port: config.port, warning: '--tunnel needs NGROK_AUTHTOKEN (from your ngrok dashboard); serving locally only.' };
  }
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  const { createNgrokTunnels } = await import('../../lib/tunnel/ngrok.ts');
  const domain = flags.domain ?? config.ngrokDomain;
  try {
    const tunnel = await createNgrokTunnels({
      authtoken: config.ngrokAuthtoken,
      ...(domain ? { domain } : {}),
      ...(config.ngrokServerAddr ? { serverAddr: config.ngrokServerAddr } : {}),
    }).open({ port, host: config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host });
    return { port, tunnel };
  } catch (error) {
    const reason = isVidbotError(error) ? `${error.message} ${error.hintFor('cli')}` : (error as Error).message;
    return { port, warning: `${reason} Serving locally only.` };
  }
};
