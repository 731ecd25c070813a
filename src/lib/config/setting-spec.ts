/** What one setting is: its variable, its type and limits, and its line in the configuration table. */
export type SettingType = 'string' | 'url' | 'int' | 'bool' | 'enum';

export interface SettingSpec {
  readonly env: string;
  readonly type: SettingType;
  readonly description: string;
  readonly secret?: boolean;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}
