import { compact } from '../lib/objects.ts';
import { type Config, type LoadedConfig, type SettingKey, loadConfig, readSavedSettings } from '../lib/config/index.ts';

/** What every command gets from the edge: the environment, the working directory, and where to print. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Fires on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
}

/** Loads configuration once per command: defaults < saved settings < .env < environment < flags. */
export const loadCliConfig = async (
  context: CliContext,
  overrides: Partial<Record<SettingKey, unknown>> = {},
): Promise<LoadedConfig & { config: Config }> => {
  const stored = await readSavedSettings(context.env.VIDBOT_CONFIG_DIR ? { dir: context.env.VIDBOT_CONFIG_DIR } : {});
  const defined = compact(overrides);
  return loadConfig({ env: context.env, cwd: context.cwd, stored, overrides: defined });
};
