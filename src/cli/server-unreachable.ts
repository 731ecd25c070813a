/** Why a running vidbot server could not be reached, in words a person reads at a terminal. */
import { type VidbotError, vidbotError } from '../lib/errors.ts';

/** The system error under fetch's "fetch failed" (undici keeps it as the cause). */
const systemCode = (error: unknown): string | undefined => {
  for (let cause: unknown = error, depth = 0; cause && depth < 5; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    if ((cause as { name?: unknown }).name === 'TimeoutError') return 'ETIMEDOUT';
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
};

/** fetch's own refusal, under its "fetch failed": a port it will not use ("bad port"), said as such. */
const causeOf = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause;
  const said = cause instanceof Error ? cause.message : (error as Error).message;
  return said === 'bad port' ? 'fetch refuses that port (browsers block it too); serve vidbot on another' : said;
};

export const serverUnreachable = (base: URL, error: unknown, timeoutSec?: number): VidbotError => {
  const code = systemCode(error);
  const where = base.origin;
  const message =
    code === 'ECONNREFUSED'
      ? `No vidbot server is running at ${where}: nothing answers on port ${base.port || (base.protocol === 'https:' ? 443 : 80)}.`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `Cannot find the host ${base.hostname} (${where}).`
        : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
          ? `${where} did not answer${timeoutSec ? ` within ${timeoutSec} s` : ''}.`
          : `Cannot reach ${where}${code ? ` (${code})` : `: ${causeOf(error)}`}.`;
  return vidbotError('VIDBOT_SERVER_UNREACHABLE', message, { cause: error });
};
