/** The doctor's report as a terminal shows it: long lines wrap under their own column. */
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/cli/commands/doctor.ts';
import { wrapWords } from '../../src/cli/format.ts';
import type { DoctorCheck, DoctorReport } from '../../src/lib/doctor/index.ts';

const check = (title: string, status: DoctorCheck['status'], detail: string, fix?: string): DoctorCheck =>
  ({ id: title.toLowerCase(), title, status, detail, durationMs: 5, ...(fix ? { fix } : {}) }) as DoctorCheck;

const report: DoctorReport = {
  ok: false,
  checks: [
    check('Node.js', 'pass', 'v24.22.3 (needs >= 22.13)'),
    check('Public URL', 'fail', 'PUBLIC_BASE_URL is not set: Twilio cannot reach the bot (webhooks, delivery receipts, /media videos)', 'Run `vidbot serve` with a tunnel, or set PUBLIC_BASE_URL to the https address Twilio should post to.'),
  ],
  counts: { pass: 1, warn: 0, fail: 1, skip: 0 },
};

describe('the doctor report on a terminal', () => {
  it('wraps a long line under its detail column, and its fix under the fix, within the width', () => {
    const lines = formatReport(report, 80).trimEnd().split('\n');
    expect(lines.every((line) => Array.from(line).length <= 80)).toBe(true);
    expect(lines[1]).toMatch(/^✖ Public URL  PUBLIC_BASE_URL is not set/);
    const detailColumn = lines[1]?.indexOf('PUBLIC_BASE_URL') ?? -1;
    // Continuations start in the detail's column; the fix's own continuations under its words.
    expect(lines[2]?.search(/\S/)).toBe(detailColumn);
    const fix = lines.findIndex((line) => line.trimStart().startsWith('fix: '));
    expect(lines[fix]?.indexOf('fix: ')).toBe(detailColumn);
    expect(lines[fix + 1]?.search(/\S/)).toBe(detailColumn + 5);
    // Every word is still there, in order.
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('set PUBLIC_BASE_URL to the https address Twilio should post to.');
  });

  it('keeps one line a check when the output is not a terminal (scripts read it by line)', () => {
    const lines = formatReport(report).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(wrapWords('a b c', undefined, 2)).toEqual(['a b c']);
    // A word longer than the line (a path) stays whole.
    expect(wrapWords(`see ${'x'.repeat(30)} now`, 20, 2)).toEqual(['see', `  ${'x'.repeat(30)}`, '  now']);
  });
});
