import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/lib/ids.ts';

describe('timeOrderedId', () => {
  it('is a version 7 UUID whose order follows the clock', () => {
    const early = timeOrderedId(1_700_000_000_000);
    const late = timeOrderedId(1_700_000_000_001);
    expect(early).toMatch(/^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(early < late).toBe(true);
    const many = new Set(Array.from({ length: 1000 }, () => timeOrderedId()));
    expect(many.size).toBe(1000);
  });
});
