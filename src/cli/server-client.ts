/** GET on a running vidbot server for the commands that ask one (`status --server`): its API key, its errors in words. */
import { vidbotError } from '../lib/errors.ts';
import { serverUnreachable } from './server-unreachable.ts';

export interface ServerGet {
  /** GET path: a refusal, or an answer other than 200 and 503 (and 404 when `notFound` says it is expected), is an error. */
  (path: string, options?: { notFound?: boolean }): Promise<{ status: number; body: unknown }>;
}

/** A running server's origin, and GET on it with the API key. */
export const serverClient = (server: string, apiKey: string | undefined): { origin: string; get: ServerGet } => {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--server must be a URL such as http://127.0.0.1:3000, got "${server}".`);
  }
  const get: ServerGet = async (path, options = {}) => {
    let response: Response;
    try {
      response = await fetch(new URL(path, base), {
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw serverUnreachable(base, error, 10);
    }
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (response.status === 401 || response.status === 403) {
      throw vidbotError('VIDBOT_UNAUTHORIZED', `${base.origin} refused ${path}: ${body.error?.message ?? response.status}`, {
        hint: 'Set VIDBOT_API_KEY to the server\'s key.',
      });
    }
    if (!response.ok && response.status !== 503 && !(response.status === 404 && options.notFound === true)) {
      throw vidbotError('VIDBOT_SERVER_UNREACHABLE', `${base.origin}${path} answered ${response.status}.`);
    }
    return { status: response.status, body };
  };
  return { origin: base.origin, get };
};
