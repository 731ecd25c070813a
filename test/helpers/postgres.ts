/**
 * A real PostgreSQL server on a loopback port, for one test file: initdb into a temp dir, started
 * with pg_ctl, stopped and removed by cleanup(). The binaries are Debian's postgresql package
 * (/usr/lib/postgresql/<version>/bin, not on PATH); PG_BIN_DIR overrides the folder. PostgreSQL
 * refuses to run as root, so as root (CI) the server runs as an unprivileged user that owns the dir.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Pool } from 'pg';
import { freePort } from './ports.ts';

export interface TestPostgres {
  /** postgres://vidbot:PASSWORD@127.0.0.1:PORT/postgres: the superuser, on the default database (schema public). */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /**
   * A fresh empty schema, and a URL whose connections use it (search_path, as a user sharing a
   * database would set it): much faster than a database per test. drop() removes it.
   */
  freshSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }>;
  /** A client of the superuser on the default database, for tests that look at tables directly. */
  readonly admin: Pool;
  cleanup(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed version's bin folder, found by glob: Debian keeps these binaries off PATH. */
export const findPostgresBin = (): string => {
  const newest = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((name) => existsSync(join(PG_ROOT, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  const bin = process.env.PG_BIN_DIR || (newest === undefined ? undefined : join(PG_ROOT, newest, 'bin'));
  if (bin === undefined || !existsSync(join(bin, 'initdb'))) {
    throw new Error(
      `PostgreSQL server binaries are not installed (no initdb in ${bin ?? `${PG_ROOT}/*/bin`}): install Debian's postgresql package (apt-get install postgresql; .ci/run does).`,
    );
  }
  return bin;
};

/** uid and gid of a user from /etc/passwd, or undefined. */
const userIds = (name: string): { uid: number; gid: number } | undefined => {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
};

/** As root: the postgres user the Debian package creates, else nobody. */
const unprivileged = (): { uid: number; gid: number } | undefined => {
  if (process.getuid?.() !== 0) return undefined;
  return userIds('postgres') ?? userIds('nobody') ?? { uid: 65534, gid: 65534 };
};

export const startPostgres = async (): Promise<TestPostgres> => {
  const bin = findPostgresBin();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-pg-'));
  const data = join(dir, 'data');
  const user = 'vidbot';
  // Characters a URL must escape, so the tests see them masked in both forms.
  const password = `pw-${randomBytes(6).toString('hex')}@/`;
  const as = unprivileged();
  const run = (command: string, args: string[]) =>
    as === undefined
      ? execa(join(bin, command), args, { cwd: dir })
      : execa('setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', join(bin, command), ...args], { cwd: dir });

  await writeFile(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (as !== undefined) {
    await chown(dir, as.uid, as.gid);
    await chown(join(dir, 'pwfile'), as.uid, as.gid);
  }
  // Password logins over TCP, as a deployed server asks; fsync off, since a test server holds nothing worth keeping.
  await run('initdb', ['-D', data, '-U', user, `--pwfile=${join(dir, 'pwfile')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const options = [`-p ${port}`, "-c listen_addresses='127.0.0.1'", "-c unix_socket_directories=''", '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200'];
  const log = join(dir, 'server.log');
  await run('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', options.join(' ')]).catch((error: unknown) => {
    const said = existsSync(log) ? readFileSync(log, 'utf8') : '';
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${said}`);
  });

  const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const admin = new Pool({ connectionString: url, max: 2 });
  admin.on('error', () => {});
  return {
    url,
    port,
    user,
    password,
    admin,
    async freshSchema() {
      const schema = `vidbot_test_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      return {
        url: `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        schema,
        drop: async () => void (await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
      };
    },
    async cleanup() {
      await admin.end();
      await run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
};
