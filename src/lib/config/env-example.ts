/**
 * `.env.example`, generated from the settings table (names, defaults, one-line meanings) so it
 * cannot drift from what vidbot reads. Every value is left empty: a copy never carries a
 * credential-shaped example, and an empty variable means "use the default".
 */
import type { SettingSpec } from './setting-spec.ts';
import { defaults, settings } from './settings.ts';

/** Variables read at the edge, outside the settings table (the CLI reads them before any config). */
export const edgeVariables: readonly { readonly env: string; readonly description: string; readonly byDefault: string }[] = [
  { env: 'VIDBOT_CONFIG_DIR', description: 'Where `vidbot config set` saves settings', byDefault: 'the OS config folder' },
  { env: 'VIDBOT_LOG_LEVEL', description: 'Server log level (debug, info, warn, error)', byDefault: 'info' },
];

const defaultOf = (key: string): string | undefined => {
  const value = (defaults as Record<string, unknown>)[key];
  return value === undefined ? undefined : String(value);
};

export const envExample = (): string => {
  const lines = [
    '# vidbot configuration: copy to .env and fill in what you use. Empty means the default.',
    '# Generated from the settings table by `npm run env-example`; do not edit by hand.',
    '',
  ];
  for (const [key, spec] of Object.entries(settings) as [string, SettingSpec][]) {
    const byDefault = defaultOf(key);
    const values = spec.values ? ` (${spec.values.join(', ')})` : '';
    lines.push(`# ${spec.description}${values}${byDefault === undefined ? '' : `; default ${byDefault}`}${spec.secret ? '; secret' : ''}`);
    lines.push(`${spec.env}=`);
  }
  for (const variable of edgeVariables) {
    lines.push(`# ${variable.description}; default ${variable.byDefault}`);
    lines.push(`${variable.env}=`);
  }
  return `${lines.join('\n')}\n`;
};
