import { vidbotError } from '../errors.ts';
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

/** Loads `conf` lazily: only commands that touch saved settings pay for it. */
export const openSavedSettings = async (options: OpenSavedSettingsOptions = {}): Promise<SavedSettings> => {
  const { default: Conf } = await import('conf');
  const conf = new Conf<Record<string, unknown>>({
    projectName: 'vidbot',
    projectSuffix: '',
    configFileMode: 0o600,
    ...(options.dir ? { cwd: options.dir } : {}),
  });
  const known = (key: SettingKey) => settings[key].env;
  return {
    path: conf.path,
    all() {
      const out: Partial<Record<SettingKey, unknown>> = {};
      for (const [name, value] of Object.entries(conf.store)) {
        const key = findSetting(name);
        if (key) out[key] = value;
      }
      return out;
    },
    get: (key) => conf.get(known(key)),
    set(key, raw) {
      // Validate now so a bad value fails at `config set`, not at the next run.
      parseSetting(key, raw, 'config store');
      conf.set(known(key), raw);
    },
    unset: (key) => conf.delete(known(key)),
  };
};

export const requireSetting = (name: string): SettingKey => {
  const key = findSetting(name);
  if (!key) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `Unknown setting "${name}".`, {
      hint: 'Run `vidbot config list` to see every setting.',
    });
  }
  return key;
};
