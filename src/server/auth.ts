import type { FastifyReply, FastifyRequest } from 'fastify';
import { vidbotError } from '../lib/errors.ts';
import { sameSecret } from '../lib/same-secret.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Headers a reverse proxy or tunnel adds; nginx setups often send only X-Real-IP. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto', 'via'] as const;

/**
 * A request reached us from this machine and not through a proxy. A proxy on the same host makes
 * every request look local, so a forwarded request never counts as local.
 */
export const isLocalRequest = (request: FastifyRequest): boolean =>
  LOOPBACK.test(request.socket.remoteAddress ?? '') &&
  PROXY_HEADERS.every((name) => request.headers[name] === undefined) &&
  !isForeignBrowserRequest(request);

const LOOPBACK_NAMES = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/**
 * A browser on this machine acting for another site: a page that posts a form here (its Origin is
 * not ours) or a DNS-rebound name (its Host is not a loopback name). Loopback alone must not let
 * such a request through, or any web page could drive the bot.
 */
const isForeignBrowserRequest = (request: FastifyRequest): boolean => {
  const host = request.headers.host ?? '';
  if (!LOOPBACK_NAMES.test(host)) return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    // Compared with default ports written out: browsers drop :80 from Origin, some clients keep it in Host.
    const from = new URL(origin);
    const own = new URL(`http://${host}`);
    const port = (url: URL, fallback: string) => url.port || fallback;
    return from.hostname.toLowerCase() !== own.hostname.toLowerCase() || port(from, from.protocol === 'https:' ? '443' : '80') !== port(own, '80');
  } catch {
    return true;
  }
};

/**
 * The key a request carries: `Authorization: Bearer <key>`, or Basic with the key as the password
 * (any user name), which is what a browser sends after asking for it (the docs page).
 */
const keyOf = (header: string): string | undefined => {
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1].trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
};

/**
 * Guards /api/*, /test-send and the docs: `Authorization: Bearer <VIDBOT_API_KEY>` (or Basic with the
 * key as the password) when a key is set; without a key, only local callers.
 */
export const createApiGuard =
  (apiKey: string | undefined) =>
  async (request: FastifyRequest): Promise<void> => {
    if (apiKey === undefined || apiKey === '') {
      if (isLocalRequest(request)) return;
      throw vidbotError('VIDBOT_UNAUTHORIZED', 'This endpoint answers only to this machine while VIDBOT_API_KEY is not set.', {
        hint: 'Set VIDBOT_API_KEY on the server and send Authorization: Bearer <key>.',
      });
    }
    const header = request.headers.authorization ?? '';
    const given = keyOf(header);
    if (given === undefined || !sameSecret(given, apiKey)) {
      throw vidbotError('VIDBOT_UNAUTHORIZED', header ? 'The API key is wrong.' : 'An API key is required.');
    }
  };

/**
 * The guard for pages a person opens in a browser (the docs): a refusal asks the browser for the
 * key (Basic, any user name, the key as the password), which it then sends with the page's own
 * requests. Only when a key is set: without one, there is nothing to ask for.
 */
export const createBrowserGuard = (apiKey: string | undefined) => {
  const guard = createApiGuard(apiKey);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await guard(request);
    } catch (error) {
      if (apiKey) reply.header('www-authenticate', 'Basic realm="vidbot", charset="UTF-8"');
      throw error;
    }
  };
};
