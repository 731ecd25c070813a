/**
 * A configuration handed to createVidbot that loadConfig did not make (built by hand, read from
 * JSON, spread with a change): its shape is checked before anything is opened, so a missing or
 * mistyped value is said by its name rather than failing deep inside a provider or a task.
 */
import { vidbotError } from '../errors.ts';
import { type Config, type SettingKey, defaults, settings } from './settings.ts';

const jsType = (type: string): 'number' | 'boolean' | 'string' => (type === 'int' || type === 'decimal' ? 'number' : type === 'bool' ? 'boolean' : 'string');

/** What is wrong with one value, or undefined. */
const problemOf = (key: SettingKey, value: unknown): string | undefined => {
  const spec: { env: string; type: string; values?: readonly string[]; min?: number; max?: number } = settings[key];
  const name = `${key} (${spec.env})`;
  const expected = jsType(spec.type);
  if (typeof value !== expected) return `${name} must be a ${expected}, got ${JSON.stringify(value)}`;
  if (typeof value === 'number' && ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max) || Number.isNaN(value))) {
    return `${name} must be from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}, got ${value}`;
  }
  const items = spec.type === 'list' && typeof value === 'string' ? value.split(',').map((item) => item.trim()) : [value];
  if ((spec.type === 'enum' || spec.type === 'list') && spec.values && items.some((item) => !spec.values?.includes(String(item)))) {
    return `${name} must be one of ${spec.values.join(', ')}, got ${JSON.stringify(value)}`;
  }
  return undefined;
};

const some = (names: readonly string[]): string =>
  names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;

export const assertConfig = (config: Config): void => {
  const values = config as unknown as Readonly<Record<string, unknown>>;
  const missing = (Object.keys(defaults) as SettingKey[]).filter((key) => values[key] === undefined).map((key) => `${key} (${settings[key].env})`);
  const wrong = (Object.keys(settings) as SettingKey[]).flatMap((key) => (values[key] === undefined ? [] : (problemOf(key, values[key]) ?? [])));
  if (missing.length === 0 && wrong.length === 0) return;
  const what = missing.length > 0 ? `lacks ${some(missing)}` : `has a bad value: ${wrong[0]}`;
  throw vidbotError('VIDBOT_CONFIG_INVALID', `The configuration given to createVidbot ${what}.`, {
    hint: 'Make it with loadConfig(), which fills in the defaults and checks every value: createVidbot(loadConfig({ env: process.env }).config).',
  });
};
