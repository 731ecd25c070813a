import { loadConfig, maskSetting, openSavedSettings, requireSetting, settings } from '../../lib/config/index.ts';
import type { SettingKey } from '../../lib/config/index.ts';
import type { CliContext } from '../context.ts';

type Action = 'set' | 'get' | 'list' | 'unset' | 'path';

export const configCommand = async (context: CliContext, action: Action, args: unknown[]): Promise<void> => {
  const saved = await openSavedSettings(context.env.VIDBOT_CONFIG_DIR ? { dir: context.env.VIDBOT_CONFIG_DIR } : {});
  const out = (line: string) => context.stdout.write(`${line}\n`);
  switch (action) {
    case 'path':
      out(saved.path);
      return;
    case 'set': {
      const key = requireSetting(String(args[0]));
      saved.set(key, String(args[1]));
      out(`${settings[key].env} = ${maskSetting(key, args[1])}  (saved in ${saved.path})`);
      return;
    }
    case 'unset': {
      const key = requireSetting(String(args[0]));
      const was = saved.all()[key] !== undefined;
      saved.unset(key);
      out(was ? `${settings[key].env} removed from ${saved.path}` : `${settings[key].env} was not set in ${saved.path}; nothing changed`);
      return;
    }
    case 'get': {
      const key = requireSetting(String(args[0]));
      const flags = (args[1] ?? {}) as { showSecret?: boolean };
      const { config } = loadConfig({ env: context.env, cwd: context.cwd, stored: saved.all() });
      const value = config[key];
      out(value === undefined ? '' : flags.showSecret ? String(value) : maskSetting(key, value));
      return;
    }
    case 'list': {
      const flags = (args[0] ?? {}) as { json?: boolean };
      const { config, sources } = loadConfig({ env: context.env, cwd: context.cwd, stored: saved.all() });
      const rows = (Object.keys(settings) as SettingKey[]).map((key) => ({
        key: settings[key].env,
        value: maskSetting(key, config[key]),
        source: sources[key] ?? 'unset',
        description: settings[key].description,
      }));
      if (flags.json) {
        out(JSON.stringify(rows));
        return;
      }
      const width = Math.max(...rows.map((row) => row.key.length));
      for (const row of rows) {
        out(`${row.key.padEnd(width)}  ${(row.value || '-').padEnd(24)}  ${row.source.padEnd(12)}  ${row.description}`);
      }
      return;
    }
  }
};
