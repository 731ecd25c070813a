import { type Config, type LoadConfigOptions, type LoadedConfig, type SettingKey, loadConfig, readSavedSettings } from '../lib/config/index.ts';

/** What every command gets from the edge: the environment, the working directory, and where to print. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** For questions on a terminal; absent where nobody can answer. */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Fires on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  /**
   * Acts as a Ctrl-C at the process's edge does (the first stops cleanly, a second at once): for a
   * terminal in raw mode (the dashboard), where the key arrives as input instead of as SIGINT.
   */
  readonly interrupt?: () => void;
}

/**
 * A setting given on the command line: the flag as typed, for errors, and its value (undefined: not
 * given). Without a flag the value came from elsewhere (a tunnel's URL) and errors name the variable.
 */
export interface FlagValue {
  readonly flag?: string;
  readonly value: unknown;
}

export const flag = (name: string, value: unknown): FlagValue => ({ flag: name, value });

/**
 * Loads configuration once per command: defaults < saved settings < .env < environment < flags. A
 * bad flag value is a usage error naming the flag (exit 2), not the variable it stands for.
 */
export const loadCliConfig = async (
  context: CliContext,
  flags: Partial<Record<SettingKey, FlagValue>> = {},
  options: Pick<LoadConfigOptions, 'collectInvalid'> = {},
): Promise<LoadedConfig & { config: Config }> => {
  const stored = await readSavedSettings(context.env.VIDBOT_CONFIG_DIR ? { dir: context.env.VIDBOT_CONFIG_DIR } : {});
  const overrides: Partial<Record<SettingKey, unknown>> = {};
  const overrideNames: Partial<Record<SettingKey, string>> = {};
  for (const [key, given] of Object.entries(flags) as [SettingKey, FlagValue][]) {
    if (given.value === undefined) continue;
    overrides[key] = given.value;
    if (given.flag !== undefined) overrideNames[key] = given.flag;
  }
  return loadConfig({ env: context.env, cwd: context.cwd, stored, overrides, overrideNames, ...options });
};

/** Where a command says what the library warns about (degraded service, messages recovered after a crash). */
export const warnOn =
  (context: Pick<CliContext, 'stderr'>) =>
  (message: string): void =>
    void context.stderr.write(`warning: ${message}\n`);
