/**
 * Naming a database server in messages without its password. No URL parser: a multi-host string
 * (MongoDB, libpq) is not a valid URL, and a password with an unescaped '@' or '/' must still not
 * leak, so credentials end at the LAST '@' before the path.
 */
import { hideSecret } from '../text.ts';

export interface ConnectionStringParts {
  /** Scheme and hosts, e.g. `mongodb://db1:27017,db2:27017` or `postgres://db.internal:5432`. */
  readonly where: string;
  /** The path's first segment: the database (PostgreSQL) or the default/auth database (MongoDB). */
  readonly database?: string;
  readonly password?: string;
}

export const parseConnectionString = (uri: string): ConnectionStringParts => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  if (scheme === null) return { where: 'an invalid connection string' };
  const rest = uri.slice(scheme[0].length).split(/[?#]/, 1)[0] ?? '';
  const at = rest.lastIndexOf('@');
  const credentials = at === -1 ? '' : rest.slice(0, at);
  const [hosts = '', database = ''] = (at === -1 ? rest : rest.slice(at + 1)).split('/');
  const colon = credentials.indexOf(':');
  const password = colon === -1 ? '' : credentials.slice(colon + 1);
  return {
    where: `${scheme[1]}://${hosts}`,
    ...(database === '' ? {} : { database: safeDecode(database) }),
    ...(password === '' ? {} : { password }),
  };
};

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    // Not valid percent-encoding: the raw form is what was written.
    return text;
  }
};

/** The text with the connection string's password masked, raw or percent-decoded. */
export const scrubPassword = (text: string, uri: string): string => {
  const { password } = parseConnectionString(uri);
  if (password === undefined) return text;
  return [password, safeDecode(password)].reduce(hideSecret, text);
};
