/**
 * How driver failures become vidbot errors. PostgreSQL names each failure with a SQLSTATE code
 * (`error.code`); its first two characters are the class, which says whether trying again can help.
 */
import { isVidbotError, vidbotError, type VidbotError } from '../../errors.ts';
import { parseConnectionString, scrubPassword } from '../connection-string.ts';

const codeOf = (error: unknown): string | undefined => {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Classes that fail the same way again: bad data (22), a constraint (23), invalid credentials
 * (28), a missing database (3D), a statement or permission the server refuses (42), a feature it
 * lacks (0A). Connection loss (08), serialization failures and deadlocks (40), a full disk or
 * too many connections (53) and a server shutting down (57) may pass.
 */
const PERMANENT_CLASSES: ReadonlySet<string> = new Set(['0A', '22', '23', '28', '3D', '42']);

const isPermanent = (error: unknown): boolean => PERMANENT_CLASSES.has(codeOf(error)?.slice(0, 2) ?? '');

export const CONNECT_HINT =
  'Check that PostgreSQL is running and reachable, and that DATABASE_URL (postgres://user:password@host:port/database) points at it.';

const HINTS: Readonly<Record<string, string>> = {
  '28P01': 'Check the user and password in DATABASE_URL.',
  '28000': "Check the user in DATABASE_URL, and that the server's pg_hba.conf lets it in from this machine.",
  '3D000': 'Create the database (createdb NAME), or name an existing one in DATABASE_URL.',
  '42501': 'The user in DATABASE_URL may not create tables: grant it CREATE on the database (or its schema), or use another user.',
};

/** Node reports a refused connection to a name with several addresses (localhost) as an AggregateError with no message. */
const messageOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== '') return error.message;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0) return inner.map(messageOf).join('; ');
  return codeOf(error) ?? error.name;
};

/** `postgres://host:port (database vidbot)`: where, without the credentials. */
export const describeServer = (url: string): string => {
  const { where, database } = parseConnectionString(url);
  return database === undefined ? where : `${where} (database ${database})`;
};

/** A failure while opening the store: the caller must fix something, so retrying as is will not help. */
export const startupError = (what: string, url: string, error: unknown): VidbotError => {
  if (isVidbotError(error)) return error;
  return vidbotError('VIDBOT_STORE_FAILED', `${what} PostgreSQL at ${describeServer(url)}: ${scrubPassword(messageOf(error), url)}`, {
    cause: error,
    retryable: false,
    hint: HINTS[codeOf(error) ?? ''] ?? CONNECT_HINT,
  });
};

/** Any other failure of a store call. */
export const toStoreError = (error: unknown, url: string): VidbotError => {
  if (isVidbotError(error)) return error;
  return vidbotError('VIDBOT_STORE_FAILED', `The PostgreSQL store failed: ${scrubPassword(messageOf(error), url)}`, {
    cause: error,
    retryable: !isPermanent(error),
  });
};
