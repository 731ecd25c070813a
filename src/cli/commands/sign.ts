import { join } from 'node:path';
import { vidbotError } from '../../lib/errors.ts';
import { LOCAL_AUTH_TOKEN_FILE, loadLocalAuthToken } from '../../lib/channel/twilio/local-token.ts';
import { computeTwilioSignature } from '../../lib/channel/twilio/signature.ts';
import { type CliContext, loadCliConfig } from '../context.ts';
import { shellQuote } from '../format.ts';

export interface SignFlags {
  url: string;
  data?: string[];
  token?: string;
  curl?: boolean;
  json?: boolean;
}

export type TokenSource = 'flag' | 'config' | 'local';

/** Form fields in the order given; a key given more than once keeps every value, like MediaUrl. */
type Fields = [key: string, value: string][];

const DATA_HINT = 'Write each form field as -d Key=Value (e.g. -d Body=hi); repeat -d for more fields or a repeated key.';

export const parseFields = (data: readonly string[]): Fields =>
  data.map((item) => {
    const at = item.indexOf('=');
    if (at === -1) throw vidbotError('VIDBOT_INPUT_INVALID', `-d "${item}" is not Key=Value.`, { hint: DATA_HINT });
    if (at === 0) throw vidbotError('VIDBOT_INPUT_INVALID', `-d "${item}" has an empty key.`, { hint: DATA_HINT });
    return [item.slice(0, at), item.slice(at + 1)];
  });

/** The shape the SDK signs: a string per key, an array for a repeated key. */
export const toParams = (fields: Fields): Record<string, string | string[]> => {
  // No prototype, so a key such as __proto__ is just a key.
  const params = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of fields) {
    const existing = Object.hasOwn(params, key) ? params[key] : undefined;
    params[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return params;
};

const checkUrl = (url: string): void => {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--url must be an http(s) URL, got "${url}".`, {
      hint: 'Pass the full URL Twilio posts to, query string included, e.g. https://bot.example.com/whatsapp/webhook.',
    });
  }
};


/**
 * curl sends `name=content` with the content URL-encoded and the name as is, so the name is
 * encoded here. --globoff and --path-as-is keep curl from rewriting URLs with [] {} or dot
 * segments, which would post to a URL other than the signed one.
 */
export const curlCommand = (url: string, signature: string, fields: Fields): string => {
  const words = ['curl', '-sS'];
  if (/[[\]{}]/.test(url)) words.push('--globoff');
  if (/\/\.\.?(?:[/?#]|$)/.test(url)) words.push('--path-as-is');
  words.push('-X', 'POST', shellQuote(url), '-H', shellQuote(`X-Twilio-Signature: ${signature}`));
  for (const [key, value] of fields) words.push('--data-urlencode', shellQuote(`${encodeURIComponent(key)}=${value}`));
  // An empty form still goes out as one, as Twilio posts it.
  if (fields.length === 0) words.push('--data', "''");
  return words.join(' ');
};

const resolveToken = async (
  context: CliContext,
  flags: SignFlags,
): Promise<{ token: string; source: TokenSource; note: string; from?: string }> => {
  if (flags.token !== undefined) {
    if (flags.token.trim() === '') {
      throw vidbotError('VIDBOT_INPUT_INVALID', '--token is empty.', { hint: 'Pass the auth token, or leave --token out.' });
    }
    return { token: flags.token, source: 'flag', note: 'the token from --token' };
  }
  const { config, sources } = await loadCliConfig(context);
  if (config.twilioAuthToken) {
    const from = sources.twilioAuthToken ?? 'config';
    return { token: config.twilioAuthToken, source: 'config', note: `TWILIO_AUTH_TOKEN (from ${from})`, from };
  }
  // The same file `vidbot serve` reads (and creates) when TWILIO_AUTH_TOKEN is unset.
  const token = await loadLocalAuthToken({ dataDir: config.dataDir });
  return { token, source: 'local', note: `the local token of vidbot serve (${join(config.dataDir, LOCAL_AUTH_TOKEN_FILE)})` };
};

export const signCommand = async (context: CliContext, flags: SignFlags): Promise<void> => {
  // Check what was typed before reading settings or creating the token file.
  checkUrl(flags.url);
  const fields = parseFields(flags.data ?? []);
  const params = toParams(fields);
  const { token, source, note, from } = await resolveToken(context, flags);
  const signature = computeTwilioSignature({ authToken: token, url: flags.url, params });
  context.stderr.write(`signed with ${note}\n`);
  if (flags.json) {
    const curl = flags.curl ? { curl: curlCommand(flags.url, signature, fields) } : {};
    // tokenFrom: where TWILIO_AUTH_TOKEN was set (.env, environment, ...), as stderr says.
    context.stdout.write(`${JSON.stringify({ url: flags.url, signature, params, tokenSource: source, ...(from === undefined ? {} : { tokenFrom: from }), ...curl })}\n`);
    return;
  }
  context.stdout.write(`${flags.curl ? curlCommand(flags.url, signature, fields) : signature}\n`);
};
