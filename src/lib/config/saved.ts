import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { isVidbotError, vidbotError } from '../errors.ts';
import { editDistance } from '../text.ts';
import { parseSetting } from './parse.ts';
import { type SettingKey, findSetting, settings } from './settings.ts';

/** Settings saved per user by `vidbot config set`, in a JSON file readable only by its owner. */
export interface SavedSettings {
  readonly path: string;
  all(): Partial<Record<SettingKey, unknown>>;
  get(key: SettingKey): unknown;
  set(key: SettingKey, raw: string): void;
  unset(key: SettingKey): void;
}

export interface OpenSavedSettingsOptions {
  /** Folder of the file; default the OS config folder (VIDBOT_CONFIG_DIR at the edge). */
  readonly dir?: string;
}

const PROJECT = { name: 'vidbot', suffix: '' } as const;

const savedSettingsDir = (options: OpenSavedSettingsOptions): string =>
  options.dir ?? envPaths(PROJECT.name, { suffix: PROJECT.suffix }).config;

/** Where `conf` keeps the file for these options. */
export const savedSettingsPath = (options: OpenSavedSettingsOptions = {}): string =>
  join(savedSettingsDir(options), 'config.json');

const known = (key: SettingKey) => settings[key].env;

const toSettings = (store: Readonly<Record<string, unknown>>): Partial<Record<SettingKey, unknown>> => {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const [name, value] of Object.entries(store)) {
    const key = findSetting(name);
    if (key) out[key] = value;
  }
  return out;
};

/**
 * Reads the saved settings without loading `conf`. Every command reads them, and `conf` (through
 * `atomically`) hooks SIGINT to kill the process at once, which would cut graceful shutdown short;
 * only `vidbot config` itself, which writes the file, loads it.
 */
export const readSavedSettings = async (options: OpenSavedSettingsOptions = {}): Promise<Partial<Record<SettingKey, unknown>>> => {
  const file = savedSettingsPath(options);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw vidbotError('VIDBOT_CONFIG_INVALID', `Cannot read the saved settings ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return toSettings(parsed as Record<string, unknown>);
  } catch (error) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', `The saved settings ${file} are not valid JSON: ${(error as Error).message}`, {
      cause: error,
      hint: `Fix or delete ${file}, then use \`vidbot config set\`.`,
    });
  }
};

/** Loads `conf` lazily: only `vidbot config` pays for it (see readSavedSettings). */
export const openSavedSettings = async (options: OpenSavedSettingsOptions = {}): Promise<SavedSettings> => {
  const { default: Conf } = await import('conf');
  const conf = new Conf<Record<string, unknown>>({
    projectName: PROJECT.name,
    projectSuffix: PROJECT.suffix,
    configFileMode: 0o600,
    cwd: savedSettingsDir(options),
  });
  return {
    path: conf.path,
    all: () => toSettings(conf.store),
    get: (key) => conf.get(known(key)),
    set(key, raw) {
      // Validate now so a bad value fails at `config set` (a usage error: nothing is saved), not at the next run.
      try {
        parseSetting(key, raw, 'saved settings', settings[key].env);
      } catch (error) {
        if (!isVidbotError(error, 'VIDBOT_INPUT_INVALID')) throw error;
        throw vidbotError('VIDBOT_INPUT_INVALID', `${error.message} Nothing was saved.`, {
          cause: error,
          hint: `Run \`vidbot config set ${settings[key].env} <value>\` again with a value of that kind.`,
        });
      }
      conf.set(known(key), raw);
    },
    unset: (key) => conf.delete(known(key)),
  };
};

/** The setting a mistyped name was most likely meant to be (two slips at most), by its variable's name. */
const closestSetting = (name: string): string | undefined => {
  const typed = name.trim().toUpperCase().replace(/-/g, '_');
  let best: { env: string; distance: number } | undefined;
  for (const { env } of Object.values(settings)) {
    const distance = editDistance(typed, env);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { env, distance };
  }
  return best?.env;
};

export const requireSetting = (name: string): SettingKey => {
  const key = findSetting(name);
  if (!key) {
    const meant = closestSetting(name);
    throw vidbotError('VIDBOT_INPUT_INVALID', `Unknown setting "${name}"${meant === undefined ? '' : ` (did you mean ${meant}?)`}.`, {
      hint: 'Run `vidbot config list` to see every setting.',
    });
  }
  return key;
};
