import { isAbsolute, resolve } from 'node:path';
import { loadConfig, maskSetting, openSavedSettings, requireSetting, settings } from '../../lib/config/index.ts';
import type { SettingKey } from '../../lib/config/index.ts';
import { middleTruncate } from '../dashboard/format.ts';
import type { CliContext } from '../context.ts';
import { terminalColumns, wrapWords } from '../format.ts';

type Action = 'set' | 'get' | 'list' | 'unset' | 'path';

/** The value column of `config list`: wide enough for every default, a URL's start and end. */
const VALUE_WIDTH = 24;

/** The narrowest room beside the columns a setting's description is given; less, and it goes under them. */
const ABOUT_MIN_WIDTH = 40;
const ABOUT_INDENT = '    ';

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
        ...(invalid[key] ? { invalid: invalid[key].message } : {}),
      }));
      if (flags.json) {
        out(JSON.stringify(rows));
      } else {
        const width = Math.max(...rows.map((row) => row.key.length));
        // On a terminal the columns stay in line within its width: a long value (a folder) is cut in
        // its middle (`config get` and --json give it whole), and the words about it wrap. Piped
        // (grep, a file), each setting is one line with its value whole.
        const columns = terminalColumns(context.stdout);
        const valueWidth = columns === undefined ? Math.max(...rows.map((row) => Array.from(row.value || '-').length)) : VALUE_WIDTH;
        const sourceWidth = Math.max(12, ...rows.map((row) => row.source.length));
        const head = width + 2 + valueWidth + 2 + sourceWidth + 2;
        // Too narrow for the words beside the columns (80 columns left them eight): they go under
        // each setting, whole, and so does what is wrong with a bad value.
        const beneath = columns !== undefined && columns - head < ABOUT_MIN_WIDTH;
        for (const row of rows) {
          const about = row.invalid === undefined ? row.description : `✖ ${row.invalid}`;
          const value = row.value || '-';
          const shown = columns === undefined ? value : middleTruncate(value, VALUE_WIDTH);
          const line = `${row.key.padEnd(width)}  ${shown.padEnd(valueWidth)}  ${row.source}`;
          if (beneath) {
            out(line);
            for (const each of wrapWords(about, columns - ABOUT_INDENT.length, 0)) out(`${ABOUT_INDENT}${each}`);
            continue;
          }
          // Beside them, in a column of its own, wrapped within the terminal's width.
          const [first = '', ...more] = wrapWords(about, columns === undefined ? undefined : columns - head, 0);
          out(`${line.padEnd(head - 2)}  ${first}`);
          for (const each of more) out(`${' '.repeat(head)}${each}`);
        }
      }
      const bad = Object.keys(invalid).length;
      if (bad > 0) context.stderr.write(`✖ ${bad} invalid ${bad === 1 ? 'value' : 'values'} (marked), which every other command refuses.\n`);
      return;
    }
  }
};
