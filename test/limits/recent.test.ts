import { describe, expect, it } from 'vitest';
import { createRecentMap } from '../../src/lib/limits/recent.ts';

describe('createRecentMap', () => {
  it('keeps at least the latest `max` keys and forgets the stalest past twice as many', () => {
    const recent = createRecentMap<number>(3);
    for (let i = 1; i <= 7; i++) recent.set(`k${i}`, i);
    // k4..k7 are within the latest 3-6 writes; k1 fell out with its generation.
    expect([5, 6, 7].map((i) => recent.get(`k${i}`))).toEqual([5, 6, 7]);
    expect(recent.get('k1')).toBeUndefined();
  });

  it('carries a key read again into the next generation', () => {
    const recent = createRecentMap<string>(2);
    recent.set('a', 'A');
    recent.set('b', 'B'); // a and b move to the older generation
    expect(recent.get('a')).toBe('A'); // read: a comes back to the newer one
    recent.set('c', 'C'); // a and c move to the older generation; b is dropped
    expect(recent.get('a')).toBe('A');
    expect(recent.get('b')).toBeUndefined();
  });

  it('overwrites and deletes in either generation', () => {
    const recent = createRecentMap<number>(2);
    recent.set('a', 1);
    recent.set('b', 2);
    recent.set('a', 3);
    expect(recent.get('a')).toBe(3);
    recent.delete('b');
    recent.delete('a');
    expect(recent.get('a')).toBeUndefined();
    expect(recent.get('b')).toBeUndefined();
  });
});
