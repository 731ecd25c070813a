import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { vidbotError } from '../lib/errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Same-length digests, so the comparison takes the same time whatever the key's length. */
const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

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
 * Guards /api/* and /test-send: `Authorization: Bearer <VIDBOT_API_KEY>` when a key is set;
 * without a key, only local callers.
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
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !sameSecret(match[1].trim(), apiKey)) {
      throw vidbotError('VIDBOT_UNAUTHORIZED', header ? 'The API key is wrong.' : 'An API key is required.');
    }
  };
