import { describe, expect, it } from 'vitest';
import { cacheKey, normalizePrompt, promptKeysCache, stableJson } from '../../src/lib/store/index.ts';

describe('normalizePrompt', () => {
  it.each([
    ['A Fox, running!!', 'a fox running'],
    ['  a   fox\t\nrunning  ', 'a fox running'],
    ['A FOX RUNNING.', 'a fox running'],
    ["don't stop", 'dont stop'],
    ['don’t stop', 'dont stop'],
    ['fox/cat--dog', 'fox cat dog'],
    ['a fox 🦊 running', 'a fox 🦊 running'],
    ['a fox🦊running!', 'a fox 🦊 running'],
    ['I ❤️ my cat', 'i ❤ my cat'],
    ['🐶🌧️', '🐶 🌧'],
    ['👍🏽 ok', '👍🏽 ok'],
    ['🇫🇷 Paris', '🇫🇷 paris'],
    ['👩‍👩‍👧 family', '👩 👩 👧 family'],
    ['ＦＯＸ　１２３', 'fox 123'],
    ['co\u00ADoperate', 'cooperate'],
    ['Ünïcödé Café', 'ünïcödé café'],
    ['ΑΛΕΠΟΥ τρέχει', 'αλεπου τρέχει'],
    ['Лиса бежит!', 'лиса бежит'],
    ['狐狸在跑。', '狐狸在跑'],
    ['नमस्ते दुनिया!', 'नमस्ते दुनिया'],
    ['ثعلب يركض؟', 'ثعلب يركض'],
    ['5 foxes, 2 cats', '5 foxes 2 cats'],
    ['!!!', ''],
    ['\u200B\u200B', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePrompt(input)).toBe(expected);
  });

  it('treats composed and decomposed accents alike but keeps accents', () => {
    expect(normalizePrompt('Cafe\u0301')).toBe(normalizePrompt('Café'));
    expect(normalizePrompt('café')).not.toBe(normalizePrompt('cafe'));
  });

  it('keys no cached video on a prompt of punctuation alone ("..." and "!!!" would share one)', () => {
    expect(['...', '!!!', '\u200B', '😂', 'a'].map(promptKeysCache)).toEqual([false, false, false, true, true]);
  });

  it('keeps combining marks that scripts need', () => {
    // Devanagari vowel signs are combining marks; dropping them would change the word.
    expect(normalizePrompt('किताब')).not.toBe(normalizePrompt('कतब'));
  });
});

describe('stableJson', () => {
  it('sorts keys at every depth and leaves out undefined values', () => {
    expect(stableJson({ b: 1, a: { d: [1, 'x'], c: true }, u: undefined })).toBe('{"a":{"c":true,"d":[1,"x"]},"b":1}');
  });
});

describe('cacheKey', () => {
  const base = {
    prompt: 'A Fox, running!!',
    provider: 'replicate',
    model: 'minimax/video-01',
    options: { orientation: 'portrait', durationSec: 6, polish: true },
  };

  it('is stable, readable and shared by prompts that normalize alike', () => {
    const key = cacheKey(base);
    expect(key).toMatch(/^replicate:minimax\/video-01:[0-9a-f]{32}$/);
    expect(cacheKey({ ...base, prompt: 'a fox running' })).toBe(key);
    expect(cacheKey({ ...base, options: { polish: true, durationSec: 6, orientation: 'portrait' } })).toBe(key);
    expect(cacheKey({ ...base, options: { ...base.options, firstFrameImage: undefined } })).toBe(key);
  });

  it.each([
    ['prompt', { prompt: 'a fox walking' }],
    ['provider', { provider: 'fal' }],
    ['model', { model: 'minimax/video-02' }],
    ['no model', { model: undefined }],
    ['orientation', { options: { ...base.options, orientation: 'landscape' } }],
    ['duration', { options: { ...base.options, durationSec: 10 } }],
    ['polish', { options: { ...base.options, polish: false } }],
    ['first frame', { options: { ...base.options, firstFrameImage: 'sha256:abc' } }],
    ['inputs', { options: { ...base.options, inputs: { seed: 1 } } }],
    ['input value type', { options: { ...base.options, durationSec: '6' } }],
  ])('differs when the %s differs', (_, change) => {
    expect(cacheKey({ ...base, ...change })).not.toBe(cacheKey(base));
  });

  it('cannot be confused by separators inside provider or model names', () => {
    const one = cacheKey({ prompt: 'x', provider: 'a:b', model: 'c' });
    const two = cacheKey({ prompt: 'x', provider: 'a', model: 'b:c' });
    expect(one.slice(0, 6)).toBe(two.slice(0, 6));
    expect(one).not.toBe(two);
  });
});
