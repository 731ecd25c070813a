import { isAbsolute, resolve } from 'node:path';
import { loadConfig, maskSetting, openSavedSettings, requireSetting, settings } from '../../lib/config/index.ts';
import type { SettingKey } from '../../lib/config/index.ts';
import type { CliContext } from '../context.ts';
import { terminalColumns } from '../format.ts';
import { type BadValue, listLines } from './config-list.ts';

type Action = 'set' | 'get' | 'list' | 'unset' | 'path';

const FOLDERS: ReadonlySet<SettingKey> = new Set(['dataDir', 'mediaDir']);

export const configCommand = async (context: CliContext, action: Action, args: unknown[]): Promise<void> => {
  const saved = await openSavedSettings(context.env.VIDBOT_CONFIG_DIR ? { dir: context.env.VIDBOT_CONFIG_DIR } : {});
  const out = (line: string) => context.stdout.write(`${line}\n`);
  switch (action) {
    case 'path':
      out(saved.path);
      return;
    case 'set': {
      const key = requireSetting(String(args[0]));
      const given = String(args[1]).trim();
      // A saved folder is read from every folder vidbot runs in: kept as the one meant now.
      const value = FOLDERS.has(key) && given !== '' && !isAbsolute(given) ? resolve(context.cwd, given) : given;
      saved.set(key, value);
      out(`${settings[key].env} = ${maskSetting(key, value)}  (saved in ${saved.path})`);
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
      // Another setting's bad value does not keep this one from being read.
      const { config, invalid } = loadConfig({ env: context.env, cwd: context.cwd, stored: saved.all(), collectInvalid: true });
      const bad = invalid[key];
      if (bad !== undefined) throw bad;
      const value = config[key];
      // Unset: an empty line for a script ($(vidbot config get ...)), words for a person at a terminal.
      if (value === undefined) out(terminalColumns(context.stdout) === undefined ? '' : `(${settings[key].env} is not set)`);
      else out(flags.showSecret ? String(value) : maskSetting(key, value));
      return;
    }
    case 'list': {
      const flags = (args[0] ?? {}) as { json?: boolean };
      // Every value, the bad ones too: where VIDBOT_CONFIG_INVALID sends the user to look.
      const { config, sources, invalid } = loadConfig({ env: context.env, cwd: context.cwd, stored: saved.all(), collectInvalid: true });
      const rows = (Object.keys(settings) as SettingKey[]).map((key) => ({
        key: settings[key].env,
        value: maskSetting(key, config[key]),
        source: sources[key] ?? 'unset',
        description: settings[key].description,
        ...(invalid[key] ? { invalid: invalid[key].message, badValue: invalid[key].details as BadValue } : {}),
      }));
      if (flags.json) {
        out(JSON.stringify(rows.map(({ badValue: _bad, ...row }) => row)));
      } else {
        for (const line of listLines(rows, terminalColumns(context.stdout))) out(line);
      }
      const bad = Object.keys(invalid).length;
      if (bad > 0) context.stderr.write(`✖ ${bad} invalid ${bad === 1 ? 'value' : 'values'} (marked), which every other command refuses.\n`);
      return;
    }
  }
};
