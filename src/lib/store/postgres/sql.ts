/** Building statements with numbered placeholders ($1, $2...), which PostgreSQL needs instead of '?'. */
import type { Param } from './pool.ts';

export interface Params {
  /** Adds a value and returns its placeholder. */
  add(value: Param): string;
  readonly values: Param[];
}

export const params = (): Params => {
  const values: Param[] = [];
  return {
    add: (value) => {
      values.push(value);
      return `$${values.length}`;
    },
    values,
  };
};

/** AND-joined equality conditions for the filter fields that are given; TRUE when none are. */
export const whereEquals = (p: Params, fields: ReadonlyArray<readonly [column: string, value: string | undefined]>): string => {
  const given = fields.filter((field): field is readonly [string, string] => field[1] !== undefined);
  return given.length === 0 ? 'TRUE' : given.map(([column, value]) => `${column} = ${p.add(value)}`).join(' AND ');
};

/**
 * SET clauses for a patch's own keys mapped to columns; a key whose value is undefined clears its
 * column unless it is required (then it is left as it is). `encode` turns a value into its parameter.
 */
export const patchSets = (
  p: Params,
  patch: object,
  columns: Readonly<Record<string, string>>,
  required: ReadonlySet<string>,
  encode: (key: string, value: unknown) => Param,
): string[] =>
  Object.entries(patch)
    .filter(([key, value]) => Object.hasOwn(columns, key) && !(value === undefined && required.has(key)))
    .map(([key, value]) => `${columns[key]} = ${p.add(encode(key, value))}`);

export { count, DEFAULT_LIMIT } from '../fields.ts';
