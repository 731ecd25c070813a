/**
 * Cache keys for generated videos. Two requests share a cached video when their prompts normalize
 * to the same text and everything else that shapes the output is equal:
 *
 *   cacheKey({ prompt: 'A Fox, running!!', provider: 'replicate', model: 'm', options: { orientation: 'portrait' } })
 *   === cacheKey({ prompt: 'a fox running', provider: 'replicate', model: 'm', options: { orientation: 'portrait' } })
 *
 * while another provider, model, orientation, duration or input gives another key.
 */
import { createHash } from 'node:crypto';

/**
 * Dropped without a trace, so the letters around them join: apostrophes ("don't" matches "dont"),
 * format characters (soft hyphens, zero-width joiners), enclosing marks (keycaps) and variation selectors.
 */
const DROPPED = /['\u2019\u02BC\u2018`\u00B4\p{Cf}\p{Me}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;
/**
 * Emoji (with a skin tone; a flag's two letters) are words of their own: "I ❤️ my cat" is not
 * "I 😡 my cat", and prompts of emoji alone must not all share one video.
 */
const EMOJI = /\p{Regional_Indicator}{2}|\p{Extended_Pictographic}\p{Emoji_Modifier}?/gu;
/**
 * Punctuation, other symbols and control characters separate words ("fox/cat" is "fox cat").
 * Letters, digits and the combining marks that scripts such as Devanagari need are kept.
 */
const SEPARATORS = /(?![\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}])[\p{P}\p{S}\p{Cc}]/gu;

/**
 * Lowercases (Unicode-aware), applies NFKC (full-width and compatibility forms fold to their plain
 * letters and digits), removes punctuation and symbols other than emoji, and collapses whitespace.
 * Letters of every script and accents are kept: "café" and "cafe" stay different prompts. A prompt
 * of punctuation alone normalizes to '', which keys no cached video (see promptKeysCache).
 */
export const normalizePrompt = (prompt: string): string =>
  prompt
    .normalize('NFKC')
    .toLowerCase()
    // Lowercasing can leave a decomposed sequence (e.g. "İ" -> "i̇"); normalize again to compare equal.
    .normalize('NFKC')
    .replace(DROPPED, '')
    .replace(EMOJI, ' $& ')
    .replace(SEPARATORS, ' ')
    .replace(/\s+/gu, ' ')
    .trim();

/** Whether a prompt has anything to key a cached video on: "..." and "!!!" would all share one. */
export const promptKeysCache = (prompt: string): boolean => normalizePrompt(prompt) !== '';

export type CacheKeyValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly CacheKeyValue[]
  | { readonly [key: string]: CacheKeyValue };

/**
 * JSON with object keys sorted at every depth, so key order never changes the key. Properties whose
 * value is undefined are left out, as JSON.stringify does, so { a: undefined } equals {}.
 */
export const stableJson = (value: CacheKeyValue): string => {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: CacheKeyValue) => stableJson(item)).join(',')}]`;
  const record = value as { readonly [key: string]: CacheKeyValue };
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`);
  return `{${entries.join(',')}}`;
};

export interface CacheKeyInput {
  readonly prompt: string;
  readonly provider: string;
  readonly model?: string;
  /** Everything else that shapes the video: orientation, durationSec, a hash of firstFrameImage, inputs... */
  readonly options?: { readonly [key: string]: CacheKeyValue };
}

/**
 * `${provider}:${model}:${32 hex chars}`. The prefix is for people reading the cache; the hash covers
 * the provider and model too, so a model name containing ':' cannot make two keys collide.
 */
export const cacheKey = ({ prompt, provider, model = '', options = {} }: CacheKeyInput): string => {
  const digest = createHash('sha256')
    .update(stableJson([provider, model, normalizePrompt(prompt), options]))
    .digest('hex')
    .slice(0, 32);
  return `${provider}:${model}:${digest}`;
};
