import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { type VidbotError, isVidbotError, vidbotError } from '../errors.ts';
import { parseSetting } from './parse.ts';
import { type Config, type ConfigSource, type SettingKey, defaults, settings } from './settings.ts';

export interface LoadConfigOptions {
  /** The process environment; read only here, at the edge. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder whose .env file is read; default process.cwd(). */
  readonly cwd?: string;
  /** Values saved with `vidbot config set`, keyed by setting. */
  readonly stored?: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** Values from CLI flags or library callers; they win over everything. */
  readonly overrides?: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** What the caller calls each override (a CLI flag such as `--port`), so a bad value is reported under that name. */
  readonly overrideNames?: Readonly<Partial<Record<SettingKey, string>>>;
  /** Skip reading .env (library callers that pass everything explicitly). */
  readonly dotenv?: boolean;
  /**
   * A bad value of a setting (not a flag's) throws (default), or is listed in `invalid` and the
   * setting keeps what it had below it: `vidbot doctor` reports every bad value at once, also one
   * a higher layer overrides (every other command refuses it all the same).
   */
  readonly collectInvalid?: boolean;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Where each set value came from, for `vidbot config list`. */
  readonly sources: Readonly<Partial<Record<SettingKey, ConfigSource>>>;
  /** With collectInvalid: each bad value's error (VIDBOT_CONFIG_INVALID), by setting; otherwise empty. */
  readonly invalid: Readonly<Partial<Record<SettingKey, VidbotError>>>;
}

const readDotenv = (cwd: string): Record<string, string> => {
  const file = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw vidbotError('VIDBOT_CONFIG_INVALID', `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseDotenv(text);
};

/** The per-user data folder, following XDG on Linux. */
export const defaultDataDir = (env: Readonly<Record<string, string | undefined>>): string => {
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'vidbot');
  const home = env.HOME || homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'vidbot');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'vidbot', 'Data');
  return join(home, '.local', 'share', 'vidbot');
};

/**
 * Loads configuration once, from lowest to highest precedence:
 * defaults < saved settings < .env in cwd < environment < overrides (CLI flags).
 * Every value is validated; the result is frozen.
 */
export const loadConfig = (options: LoadConfigOptions = {}): LoadedConfig => {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const fromDotenv = options.dotenv === false ? {} : readDotenv(cwd);
  const values: Record<string, unknown> = { ...defaults };
  const sources: Partial<Record<SettingKey, ConfigSource>> = {};
  for (const key of Object.keys(defaults) as SettingKey[]) sources[key] = 'default';
  const invalid: Partial<Record<SettingKey, VidbotError>> = {};

  const layers: [ConfigSource, (key: SettingKey) => unknown][] = [
    ['saved settings', (key) => options.stored?.[key]],
    ['.env', (key) => fromDotenv[settings[key].env]],
    ['environment', (key) => env[settings[key].env]],
    ['flag', (key) => options.overrides?.[key]],
  ];
  for (const [source, read] of layers) {
    for (const key of Object.keys(settings) as SettingKey[]) {
      const raw = read(key);
      // An empty variable counts as unset, as in most tools, so `FOO= vidbot ...` clears nothing by accident;
      // an empty flag (`--host ''`) was typed on purpose, and is checked like any value.
      if (raw === undefined || (raw === '' && !(source === 'flag' && options.overrideNames?.[key] !== undefined))) continue;
      try {
        values[key] = parseSetting(key, raw, source, source === 'flag' ? options.overrideNames?.[key] : undefined);
      } catch (error) {
        if (!options.collectInvalid || source === 'flag' || !isVidbotError(error)) throw error;
        invalid[key] = error;
        continue;
      }
      sources[key] = source;
    }
  }
  if (values.dataDir === undefined) {
    values.dataDir = defaultDataDir(env);
    sources.dataDir = 'default';
  } else {
    values.dataDir = resolve(cwd, String(values.dataDir));
  }
  return { config: Object.freeze(values) as Config, sources: Object.freeze(sources), invalid: Object.freeze(invalid) };
};
