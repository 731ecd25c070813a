/** The one wording of choices as text, and the one reading of what a user types back. */
import { describe, expect, it } from 'vitest';
import { choicesText, isBareNumber, pickChoice } from '../../src/lib/channel/choices.ts';
import type { Choice } from '../../src/lib/domain.ts';

const AGAIN: Choice = { id: 'again', title: '🔁 Another take' };
const PORTRAIT: Choice = { id: 'portrait', title: '↕️ Portrait' };
const RETRY: Choice = { id: 'retry', title: '🔄 Try again' };

describe('choicesText', () => {
  it('numbers the choices on a line of their own after the body', () => {
    expect(choicesText('🎬 Want another version?', [AGAIN, PORTRAIT])).toBe(
      '🎬 Want another version?\n\nReply 1 for 🔁 Another take, 2 for ↕️ Portrait.',
    );
    expect(choicesText('❌ Sorry.', [RETRY])).toBe('❌ Sorry.\n\nReply 1 for 🔄 Try again.');
  });

  it('leaves a body without choices as it is', () => {
    expect(choicesText('hello', [])).toBe('hello');
  });
});

describe('pickChoice', () => {
  const offered = [AGAIN, PORTRAIT];

  it.each([
    ['1', AGAIN],
    [' 2 ', PORTRAIT],
    ['2.', PORTRAIT],
    ['Portrait', PORTRAIT],
    ['↕️ Portrait', PORTRAIT],
    ['another TAKE!', AGAIN],
    ['again', AGAIN],
    ['１', AGAIN],
  ] as const)('reads %j as a choice', (answer, expected) => {
    expect(pickChoice(answer, offered)).toEqual(expected);
  });

  it.each(['3', '0', 'landscape', 'a portrait of a cat', '', '🔁'])('reads %j as none of them', (answer) => {
    expect(pickChoice(answer, offered)).toBeUndefined();
  });
});

describe('isBareNumber', () => {
  it('tells a bare number from a description', () => {
    for (const answer of ['1', ' 2 ', '3.', '12)']) expect(isBareNumber(answer), answer).toBe(true);
    for (const answer of ['1 fox', 'a fox', '2024 fireworks', '']) expect(isBareNumber(answer), answer).toBe(false);
  });
});
