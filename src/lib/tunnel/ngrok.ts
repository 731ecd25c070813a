import { vidbotError } from '../errors.ts';
import type { Tunnel, TunnelOpener } from './port.ts';

export interface NgrokOptions {
  readonly authtoken: string;
  /** A reserved domain (NGROK_DOMAIN / --domain); a random one otherwise. */
  readonly domain?: string;
  /** The ngrok service to connect to (NGROK_SERVER_ADDR): for self-hosted or test setups. */
  readonly serverAddr?: string;
  /** How long opening may take (default 15 s). */
  readonly timeoutMs?: number;
}

/** ngrok's own error codes that the user can fix, with what to do. */
const FIXES: Readonly<Record<string, string>> = {
  ERR_NGROK_105: 'NGROK_AUTHTOKEN is not valid: copy it again from your ngrok dashboard.',
  ERR_NGROK_107: 'NGROK_AUTHTOKEN is not valid: copy it again from your ngrok dashboard.',
  ERR_NGROK_108: 'Another ngrok session uses this account: stop it, or upgrade the plan.',
  ERR_NGROK_320: 'The domain is reserved by another account: check --domain.',
  ERR_NGROK_313: 'Custom domains need a reserved domain on your ngrok account: check --domain.',
};

/** ngrok tunnels with the official SDK (an optional dependency, loaded only when a tunnel is wanted). */
export const createNgrokTunnels = (options: NgrokOptions): TunnelOpener => ({
  name: 'ngrok',
  async open(target): Promise<Tunnel> {
    const fail = (reason: string, hint?: string, cause?: unknown) =>
      vidbotError('VIDBOT_TUNNEL_FAILED', `The ngrok tunnel did not open: ${reason}`, { ...(hint ? { hint } : {}), ...(cause ? { cause } : {}) });
    let ngrok: typeof import('@ngrok/ngrok');
    try {
      ngrok = (await import('@ngrok/ngrok')).default;
    } catch (error) {
      throw fail('the @ngrok/ngrok package is not installed on this platform.', 'Reinstall vidbot with optional dependencies, or set PUBLIC_BASE_URL to a tunnel you run yourself.', error);
    }
    const timeoutMs = options.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const listener = await Promise.race([
        ngrok.forward({
          addr: `${target.host ?? '127.0.0.1'}:${target.port}`,
          authtoken: options.authtoken,
          ...(options.domain ? { domain: options.domain } : {}),
          ...(options.serverAddr ? { server_addr: options.serverAddr } : {}),
        }),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        }),
      ]);
      const url = listener.url();
      if (!url) throw new Error('ngrok gave no URL');
      return { url, close: () => listener.close() };
    } catch (error) {
      const code = (error as { errorCode?: unknown }).errorCode;
      const message = (error as Error).message ?? String(error);
      const fix = typeof code === 'string' ? FIXES[code] : undefined;
      throw fail(`${message}${typeof code === 'string' ? ` (${code})` : ''}`, fix ?? 'Check NGROK_AUTHTOKEN and the network, or run without --tunnel.', error);
    } finally {
      clearTimeout(timer);
    }
  },
});
