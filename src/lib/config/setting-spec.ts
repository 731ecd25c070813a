/** What one setting is: its variable, its type and limits, and its line in the configuration table. */
/** `list`: comma-separated (each one of `values` when given); `decimal`: a number with a fraction; `prices`: see cost/prices.ts. */
export type SettingType = 'string' | 'url' | 'int' | 'bool' | 'enum' | 'list' | 'decimal' | 'prices';

export interface SettingSpec {
  readonly env: string;
  readonly type: SettingType;
  readonly description: string;
  readonly secret?: boolean;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** A valid value, for the error a bad one gets (URLs: https://example.com unless given). */
  readonly example?: string;
  /** A connection string's schemes: a value saved with `config set` must start with one of them. */
  readonly schemes?: readonly string[];
}
