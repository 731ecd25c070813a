import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { Store } from '../port.ts';

/** What the operation modules need from an open connection; one per store instance. */
export interface Conn {
  /** A prepared statement, cached per connection. */
  sql(text: string): StatementSync;
  /**
   * Runs fn in BEGIN IMMEDIATE, so its reads and writes are atomic across connections and processes;
   * inside a group commit's piece, in that batch's transaction.
   */
  tx<T>(fn: () => T): T;
  now(): number;
}

/** The port's methods as synchronous functions: node:sqlite is synchronous, and the store wraps them. */
export type SyncOps = {
  [K in Exclude<keyof Store, 'name' | 'shared' | 'close' | 'ingest'>]: Store[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => R
    : never;
};

/** AND-joined equality conditions for the filter fields that are given; "1" when none are. */
export interface Where {
  readonly clause: string;
  readonly params: SQLInputValue[];
}

export const whereEquals = (fields: ReadonlyArray<readonly [column: string, value: string | undefined]>): Where => {
  const given = fields.filter((field): field is readonly [string, string] => field[1] !== undefined);
  return {
    clause: given.length === 0 ? '1' : given.map(([column]) => `${column} = ?`).join(' AND '),
    params: given.map(([, value]) => value),
  };
};


export { count, DEFAULT_LIMIT } from '../fields.ts';
