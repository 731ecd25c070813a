/**
 * Lengths and cuts of what users typed, as they see it: a family emoji or a flag is one character,
 * and a cut never leaves half of one (a lone regional letter, a man with a dangling joiner).
 */
import { describe, expect, it } from 'vitest';
import { shorten } from '../../src/lib/bot/replies.ts';
import { slugify } from '../../src/lib/files.ts';
import { validatePrompt } from '../../src/lib/pipeline/prompt.ts';
import { excerpt } from '../../src/lib/tasks/messages.ts';
import { cutText, displayWidth, graphemes, hideSecret, oneLine, terminalSafe, visibleLength } from '../../src/lib/text.ts';

const FAMILY = '👨‍👩‍👧‍👦';
const FLAGS = '🇫🇷🇩🇪🇯🇵🇺🇸🇬🇧🇮🇹🇪🇸🇧🇷🇨🇦🇨🇱';

describe('text as people see it', () => {
  it('puts a message on one line (a log line stays one line whatever an error says)', () => {
    expect(oneLine('ffmpeg failed: exit code 255\n')).toBe('ffmpeg failed: exit code 255');
    expect(oneLine('  two\r\n  lines\tand tabs ')).toBe('two lines and tabs');
  });

  it('counts a family, a flag and an accented letter once each', () => {
    expect(visibleLength(FAMILY)).toBe(1);
    expect(visibleLength(FLAGS)).toBe(10);
    expect(visibleLength('e\u0301te\u0301')).toBe(3);
    expect(graphemes(`a${FAMILY}b`)).toEqual(['a', FAMILY, 'b']);
  });

  it('cuts between whole characters, never inside an emoji or a flag', () => {
    const caption = `Our family reunion at the lake ${FAMILY.repeat(6)}`;
    const cut = excerpt(caption, 34);
    expect(cut.endsWith('…')).toBe(true);
    expect(visibleLength(cut)).toBeLessThanOrEqual(34);
    // Every family in the cut is whole: as many men as girls.
    expect(cut.split('👨').length).toBe(cut.split('👧').length);

    const trips = shorten(`Trips ${FLAGS}`, 12);
    expect(visibleLength(trips)).toBe(12);
    // Each flag is a pair of regional letters: an odd count would leave a lone one.
    expect([...trips.matchAll(/\p{Regional_Indicator}/gu)].length % 2).toBe(0);
    expect(shorten('short enough')).toBe('short enough');
  });

  it("counts a terminal's columns: two for an emoji or a CJK character, none for a joiner's parts", () => {
    expect(['abc', '🔥🔥 fire', '日本語', 'é', '👨‍👩‍👧', '🇯🇵', '❤️', '✔', '…', 'ﾊ', '한국'].map(displayWidth)).toEqual([3, 9, 6, 1, 2, 2, 2, 1, 1, 1, 4]);
    const cut = cutText('🔥🔥 fire dance 日本語のテキスト with emoji', 20, { count: 'columns' });
    expect(cut).toBe('🔥🔥 fire dance 日…');
    expect(displayWidth(cut)).toBeLessThanOrEqual(20);
  });

  it('ends text a user reads between words where the last space leaves most of it, never on a comma', () => {
    const prompt = 'a fox running through a neon city at night with rain';
    expect(cutText(prompt, 40)).toBe('a fox running through a neon city at ni…');
    expect(cutText(prompt, 40, { atWord: true })).toBe('a fox running through a neon city at…');
    // A long word alone is still cut inside it: a space that early would leave too little.
    expect(cutText('a supercalifragilisticexpialidocious fox', 20, { atWord: true })).toBe('a supercalifragilis…');
    expect(cutText('a fox, a cat, a dog, a bird and a horse', 14, { atWord: true })).toBe('a fox, a cat…');
    expect(cutText('a fox at dawn', 40, { atWord: true })).toBe('a fox at dawn');
  });

  it('can count by code points for a service that caps a field by them, still cutting between whole characters', () => {
    const title = cutText(`Model ${FLAGS}`, 20, { count: 'codePoints', collapse: false });
    expect([...title].length).toBeLessThanOrEqual(20);
    expect([...title.matchAll(/\p{Regional_Indicator}/gu)].length % 2).toBe(0);
  });
});

describe('validatePrompt', () => {
  it('counts the characters the user sees: 200 families are 200, within a cap of 1000', () => {
    expect(validatePrompt(FAMILY.repeat(200), 1000)).toBe(FAMILY.repeat(200));
    expect(() => validatePrompt(FAMILY.repeat(201), 200)).toThrow(expect.objectContaining({ code: 'VIDBOT_PROMPT_TOO_LONG', details: { length: 201, maxChars: 200 } }));
  });

  it('refuses a prompt with no letter, digit or emoji (zero-width spaces, dots), and takes one of emoji alone', () => {
    for (const blank of ['\u200B\u200B', '\u2060\uFEFF', '...', '!!! ?', '— –']) {
      expect(() => validatePrompt(blank), JSON.stringify(blank)).toThrow(expect.objectContaining({ code: 'VIDBOT_PROMPT_EMPTY' }));
    }
    expect(['🐶🌧️', '🇫🇷', '42', 'a', '狐'].map((prompt) => validatePrompt(prompt))).toEqual(['🐶🌧️', '🇫🇷', '42', 'a', '狐']);
  });

  it('still refuses a character carrying mark upon mark, counting its code points then', () => {
    const zalgo = `a${'\u0301'.repeat(100)}`.repeat(20);
    expect(visibleLength(zalgo)).toBe(20);
    expect(() => validatePrompt(zalgo, 100)).toThrow(expect.objectContaining({ code: 'VIDBOT_PROMPT_TOO_LONG', details: { length: 2020, maxChars: 100 } }));
  });
});

describe('hideSecret', () => {
  it('hides a secret wherever it is, a short one only as a word of its own', () => {
    expect(hideSecret('token 0123456789abcdef in x0123456789abcdefy', '0123456789abcdef')).toBe('token *** in x***y');
    // A secret "S" would otherwise turn ECONNREFUSED into ECONNREFU***ED.
    expect(hideSecret('connect ECONNREFUSED (key K, secret S)', 'S')).toBe('connect ECONNREFUSED (key K, secret ***)');
    expect(hideSecret('postgres://u:p@h/d must start with postgres://', 'p')).toBe('postgres://u:***@h/d must start with postgres://');
    expect(hideSecret('a.b+c', 'b+c')).toBe('a.***');
    // An edge that is not a letter or digit is no word's edge: hidden wherever it stands.
    expect(hideSecret('a#pw and x{1}', '#pw')).toBe('a*** and x{1}');
    expect(hideSecret('x{1}', '{1}')).toBe('x***');
    expect(hideSecret('nothing to hide', '')).toBe('nothing to hide');
  });
});

describe('terminalSafe', () => {
  it("drops what could redraw an operator's terminal (escapes, bell, bidirectional overrides and isolates), keeping the words and line breaks", () => {
    expect(terminalSafe('a fox\u001b[2J\u0007 at night')).toBe('a fox[2J at night');
    expect(terminalSafe('safe \u202Egnp.exe\u202C and \u2066isolated\u2069')).toBe('safe gnp.exe and isolated');
    expect(terminalSafe('\u009b31mred')).toBe('31mred');
    expect(terminalSafe('שלום, a fox 🦊\nline two\ttab')).toBe('שלום, a fox 🦊\nline two\ttab');
  });
});

describe('slugify (the default file name of `vidbot generate`)', () => {
  it('spells the prompt, and gives prompts with nothing to spell names of their own', () => {
    expect(slugify('A fox, running through the snow!')).toBe('a-fox-running-through-the-snow');
    // Accents go, not turned into dashes; a long prompt is cut between words.
    expect(slugify('Crème brûlée at the café')).toBe('creme-brulee-at-the-cafe');
    expect(slugify('an ocean sunset with a sailing dory drifting past the lighthouse')).toBe('an-ocean-sunset-with-a-sailing-dory-drifting');
    expect(slugify('x'.repeat(60))).toBe('x'.repeat(48));
    expect(slugify('🦊🌙')).toMatch(/^video-[0-9a-f]{8}$/);
    expect(slugify('🦊🌙')).toBe(slugify('🦊🌙'));
    expect(slugify('🌊🌊')).not.toBe(slugify('🦊🌙'));
  });
});
