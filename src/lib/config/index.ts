export { type LoadConfigOptions, type LoadedConfig, defaultDataDir, loadConfig } from './load.ts';
export { maskSetting, parseSetting } from './parse.ts';
export { type SavedSettings, openSavedSettings, readSavedSettings, requireSetting, savedSettingsPath } from './saved.ts';
export { type Config, type ConfigSource, type SettingKey, defaults, findSetting, settings } from './settings.ts';
