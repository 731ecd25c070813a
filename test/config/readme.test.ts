/** The README's configuration table names every setting, so a new one cannot go undocumented. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settings } from '../../src/lib/config/settings.ts';

describe("the README's configuration table", () => {
  it('has a row naming each setting\'s variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('\n## Configuration\n');
    expect(start, 'the README has a "## Configuration" section').toBeGreaterThan(-1);
    const end = readme.indexOf('\n## ', start + 1);
    const rows = readme
      .slice(start, end === -1 ? undefined : end)
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const missing = Object.values(settings)
      .map((spec) => spec.env)
      .filter((env) => !rows.some((row) => row.split('|')[1]?.includes(`\`${env}\``)));
    expect(missing).toEqual([]);
  });
});
