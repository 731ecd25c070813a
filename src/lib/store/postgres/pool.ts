/**
 * The connection pool and what the operation modules need from it: a query, a transaction, a clock.
 * Values are normalised here once, both ways, so the modules never think about them again.
 */
import { Pool, type PoolClient, TypeOverrides } from 'pg';
import type { Store } from '../port.ts';

export type Row = Record<string, unknown>;
export type Param = string | number | boolean | null | readonly string[];

/** Something that runs a statement: the pool, or the client of an open transaction. */
export interface Queryable {
  query(text: string, params?: readonly Param[]): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface Db extends Queryable {
  /** Runs fn in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  now(): number;
}

/** The port's methods without the store's own members; the store wraps them with closed checks and error mapping. */
export type Ops = Omit<Store, 'name' | 'shared' | 'close'>;

/**
 * int8 (BIGINT, COUNT(*)) comes back as a number: every one we store is an epoch-ms time, a size
 * or a count, far below 2^53. pg returns text by default, to be safe for larger values.
 */
const parsers = (): TypeOverrides => {
  const overrides = new TypeOverrides();
  overrides.setTypeParser(20 /* int8 */, Number);
  return overrides;
};

/**
 * PostgreSQL text cannot hold U+0000, which SQLite and MongoDB store as is (a prompt may carry one
 * pasted in). It becomes U+FFFD, as a lone surrogate already does when the driver encodes UTF-8.
 */
const storable = (value: Param): Param => (typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD') : value);

const run = async (target: Pool | PoolClient, text: string, params: readonly Param[] = []) => {
  const result = await target.query<Row>(text, params.map(storable) as unknown[]);
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
};

export interface OpenPoolOptions {
  readonly url: string;
  /** How long to wait for a connection before failing; default 10 s (the driver would wait forever). */
  readonly connectTimeoutMs?: number;
  /** Connections per process; default 10. */
  readonly max?: number;
}

export const openPool = (options: OpenPoolOptions): { db: Db; pool: Pool } => {
  const pool = new Pool({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    max: options.max ?? 10,
    application_name: 'vidbot',
    types: parsers(),
  });
  // An idle connection the server drops (a restart, a failover) is reported here; without a
  // listener the pool's 'error' event would end the process. The pool replaces it by itself.
  pool.on('error', () => {});

  const db: Db = {
    query: (text, params) => run(pool, text, params),
    tx: async (fn) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn({ query: (text, params) => run(client, text, params) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection whose ROLLBACK fails is in an unknown state: the pool must not hand it out again.
        await client.query('ROLLBACK').catch((rollback: unknown) => void (broken = rollback as Error));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    now: () => Date.now(),
  };
  return { db, pool };
};
