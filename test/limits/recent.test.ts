import { describe, expect, it } from 'vitest';
import { createRecentMap } from '../../src/lib/limits/recent.ts';

describe('createRecentMap', () => {
  it('keeps at least the latest `max` keys and forgets the stalest past twice as many', () => {
    const written = () => {
      const recent = createRecentMap<number>(3);
      for (let i = 1; i <= 7; i++) recent.set(`k${i}`, i);
      return recent;
    };
    // The latest three writes are kept (each read here carries its key into the newer generation)...
    const latest = written();
    expect(['k7', 'k6', 'k5'].map((key) => latest.get(key))).toEqual([7, 6, 5]);
    // ...and k4 too, in the older generation, while k1..k3 fell out with theirs.
    const older = written();
    expect(older.get('k4')).toBe(4);
    expect(['k1', 'k2', 'k3'].map((key) => older.get(key))).toEqual([undefined, undefined, undefined]);
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
