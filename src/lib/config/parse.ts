import { formatPriceTable, parsePriceTable } from '../cost/prices.ts';
import { vidbotError } from '../errors.ts';
import { type ConfigSource, type SettingKey, settings } from './settings.ts';

/** Where the user fixes a bad value depends on where it came from. */
const FIX_BY_SOURCE: Readonly<Record<ConfigSource, string>> = {
  default: 'This default is a bug in vidbot; please report it.',
  'saved settings': 'Fix it with `vidbot config set %s <value>`, or remove it with `vidbot config unset %s`.',
  '.env': 'Fix %s in the .env file of this folder.',
  environment: 'Fix the %s environment variable, or unset it.',
  // A flag's own bad value names the flag (a usage error); this is a library caller's override.
  flag: 'Fix overrides.%k where loadConfig is called.',
};

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * Turns one raw value into its typed form, or throws an error that names the variable, the source
 * and what was expected. A value given under another name (a CLI flag) is named by that `label`, as
 * the person typed it, and is a usage error rather than a configuration one.
 */
export const parseSetting = (key: SettingKey, raw: unknown, source: ConfigSource, label?: string): unknown => {
  const spec: { env: string; type: string; values?: readonly string[]; min?: number; max?: number; secret?: boolean; example?: string; schemes?: readonly string[] } =
    settings[key];
  // A secret is never shown, even a malformed one: it may be a password pasted in the wrong place.
  const shown = spec.secret ? '(hidden: it may hold a password)' : JSON.stringify(raw);
  // An override without a flag's name is a library caller's loadConfig({ overrides }): named as they wrote it.
  const from = source === 'flag' ? `overrides.${key}` : source;
  const fail = (expected: string) =>
    label === undefined
      ? vidbotError('VIDBOT_CONFIG_INVALID', `${spec.env} must be ${expected}, got ${shown} (from ${from}).`, {
          hint: FIX_BY_SOURCE[source].replaceAll('%s', spec.env).replaceAll('%k', key),
          // Where the bad value is, and what it is (never a secret's): `config list` shows it in its row.
          details: { source, ...(spec.secret ? {} : { given: typeof raw === 'string' ? raw : JSON.stringify(raw) }) },
        })
      : vidbotError('VIDBOT_INPUT_INVALID', `${label} must be ${expected}, got ${shown}.`);

  if (typeof raw === spec.type || ((spec.type === 'int' || spec.type === 'decimal') && typeof raw === 'number')) {
    raw = String(raw);
  }
  if (typeof raw !== 'string') throw fail(`a ${spec.type}`);
  const text = raw.trim();

  switch (spec.type) {
    case 'int': {
      const range = `from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`;
      if (!/^-?\d+$/.test(text.replace(/_/g, ''))) throw fail(`a whole number ${range}`);
      const value = Number(text.replace(/_/g, ''));
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        throw fail(`a whole number ${range}`);
      }
      return value;
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw fail('true or false');
    }
    case 'enum': {
      if (!spec.values?.includes(text)) throw fail(`one of ${spec.values?.join(', ')}`);
      return text;
    }
    case 'decimal': {
      const range = `from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`;
      const value = /^-?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isNaN(value) || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        throw fail(`a number ${range}`);
      }
      return value;
    }
    case 'list': {
      // Kept as one normalized string ("replicate,fal"): the config stays a flat table of scalars.
      const items = text.split(',').map((item) => item.trim()).filter(Boolean);
      const unknown = spec.values ? items.find((item) => !spec.values?.includes(item)) : undefined;
      if (items.length === 0 || unknown !== undefined || new Set(items).size !== items.length) {
        throw fail(spec.values ? `one of ${spec.values.join(', ')}, or several separated by commas (each once)` : 'a comma-separated list');
      }
      if (spec.values?.includes('auto') && items.includes('auto') && items.length > 1) throw fail('auto alone, or a list of providers');
      return items.join(',');
    }
    case 'prices': {
      try {
        return formatPriceTable(parsePriceTable(text));
      } catch (error) {
        throw fail(`model=amount/unit pairs such as "google/veo-3.1=0.40/s, minimax/video-01=0.50/video" (${(error as Error).message})`);
      }
    }
    case 'url': {
      try {
        const url = new URL(text);
        if (!/^(https?|rediss?):$/.test(url.protocol)) throw new Error('protocol');
      } catch {
        throw fail(`an absolute URL such as ${spec.example ?? 'https://example.com'}`);
      }
      return text.replace(/\/+$/, '');
    }
    default: {
      if (text === '') throw fail('a non-empty string');
      const { schemes } = spec;
      // Checked where the value is given to vidbot itself (config set): a folder's .env may hold another
      // app's DATABASE_URL, which commands that open no store must not trip over (the store says so when opened).
      if (schemes !== undefined && label !== undefined && !schemes.some((scheme) => text.toLowerCase().startsWith(scheme))) {
        throw fail(`a connection string starting with ${schemes.join(' or ')}${spec.example ? ` (${spec.example})` : ''}`);
      }
      return text;
    }
  }
};

/** Shows a value for humans: secrets keep only their last four characters. */
export const maskSetting = (key: SettingKey, value: unknown): string => {
  if (value === undefined) return '';
  const text = String(value);
  if (!(settings[key] as { secret?: boolean }).secret) return text;
  return text.length <= 8 ? '••••' : `••••${text.slice(-4)}`;
};
