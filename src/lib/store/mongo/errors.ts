/**
 * How driver failures become vidbot errors, and how a connection string is named in messages
 * without its password. No driver import: errors are recognised by their `code`, so a client built
 * by another copy of the driver (passed in by the caller) is handled the same way.
 */
import { isVidbotError, vidbotError, type VidbotError } from '../../errors.ts';
import { parseConnectionString as parseMongoUri, scrubPassword } from '../connection-string.ts';

/** MongoDB's duplicate-key error: a unique index refused the write. */
export const DUPLICATE_KEY = 11000;

const codeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;

export const isDuplicateKey = (error: unknown): boolean => codeOf(error) === DUPLICATE_KEY;

/** NamespaceNotFound (no such collection) or IndexNotFound: what dropping an absent index answers. */
export const isIndexMissing = (error: unknown): boolean => codeOf(error) === 26 || codeOf(error) === 27;

export const CONNECT_HINT =
  'Check that MongoDB is running and reachable, and that MONGODB_URI (user, password, host, database options) points at it.';

/** Shared with the PostgreSQL store: credentials end at the last '@', since a multi-host string is not a valid URL. */
export { parseMongoUri, scrubPassword };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A failure while opening the store: the caller must fix something, so retrying as is will not help. */
export const startupError = (what: string, uri: string, error: unknown): VidbotError => {
  if (isVidbotError(error)) return error;
  const { where } = parseMongoUri(uri);
  return vidbotError('VIDBOT_STORE_FAILED', `${what} MongoDB at ${where}: ${scrubPassword(messageOf(error), uri)}`, {
    cause: error,
    retryable: false,
    hint: CONNECT_HINT,
  });
};

/** Any other failure of a store call. */
export const toStoreError = (error: unknown, uri: string): VidbotError => {
  if (isVidbotError(error)) return error;
  return vidbotError('VIDBOT_STORE_FAILED', `The MongoDB store failed: ${scrubPassword(messageOf(error), uri)}`, {
    cause: error,
    // A unique index refuses the same write again (like SQLite's constraint errors); network
    // errors, elections and timeouts may pass.
    retryable: !isDuplicateKey(error),
  });
};
