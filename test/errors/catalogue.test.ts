/**
 * The error catalogue checks itself: every code's kind, exit code and HTTP status follow one set of
 * rules, its default hints fit who reads them, and the README's exit-code table lists exactly its codes.
 */
import { readFileSync } from 'node:fs';
import { classifyProviderFailure } from '../../src/lib/video-provider/failure.ts';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, type ErrorSpec, abortedError, errorCatalogue, isAbortError, throwIfAborted, vidbotError } from '../../src/lib/errors.ts';

const entries = Object.entries(errorCatalogue) as [ErrorCode, ErrorSpec][];

/**
 * 'user' codes an HTTP client cannot fix: the server's operator has to (its configuration, the
 * services' credentials, installs, the port, the output folder, a channel's refusal, doctor's
 * report). They answer 5xx; every other 'user' code answers 4xx. A new one belongs here only
 * after that thought.
 */
const OPERATOR_SETUP: readonly ErrorCode[] = [
  'VIDBOT_CONFIG_INVALID',
  'VIDBOT_OUTPUT_UNWRITABLE',
  'VIDBOT_FFMPEG_NOT_FOUND',
  'VIDBOT_PROVIDER_AUTH',
  'VIDBOT_MESSENGER_AUTH',
  'VIDBOT_DELIVERY_REFUSED',
  'VIDBOT_PORT_IN_USE',
  'VIDBOT_DOCTOR_FAILED',
];

describe('the error catalogue', () => {
  /*
   * The rules:
   * 1. Exit codes are 1 (a check failed), 2 (usage), the sysexits range 64-78, or 130 (canceled, as by
   *    Ctrl-C); HTTP statuses are 4xx or 5xx.
   * 2. 'bug' if and only if exit 70 (EX_SOFTWARE); a bug answers HTTP 500 and is never retryable (the
   *    same call fails the same way until the code is fixed).
   * 3. 'external' answers 5xx (the client did nothing wrong) and exits 69 (EX_UNAVAILABLE), 74
   *    (EX_IOERR) or 75 (EX_TEMPFAIL).
   * 4. 'user' answers 4xx, except OPERATOR_SETUP above, which answers 5xx; so a 4xx is always 'user'.
   * 5. Exit 2 (usage) is always a 4xx: the caller sent something wrong.
   * 6. Only 'external' codes and 429 (wait, then send again) are retryable by default.
   */
  it.each(entries)('%s follows the rules for its kind', (code, spec) => {
    expect([1, 2, 130].includes(spec.exitCode) || (spec.exitCode >= 64 && spec.exitCode <= 78), 'exit code').toBe(true);
    expect(spec.httpStatus >= 400 && spec.httpStatus <= 599, 'HTTP status').toBe(true);
    expect(spec.kind === 'bug', 'bug <=> exit 70').toBe(spec.exitCode === 70);
    if (spec.kind === 'bug') {
      expect(spec.httpStatus).toBe(500);
      expect(spec.retryable).toBe(false);
    }
    if (spec.kind === 'external') {
      expect(spec.httpStatus).toBeGreaterThanOrEqual(500);
      expect([69, 74, 75]).toContain(spec.exitCode);
    }
    if (spec.kind === 'user') {
      expect(spec.httpStatus >= 500, 'user codes answer 4xx unless only the operator can fix them').toBe(OPERATOR_SETUP.includes(code));
    }
    if (spec.exitCode === 2) expect(spec.httpStatus).toBeLessThan(500);
    if (spec.retryable) expect(spec.kind === 'external' || spec.httpStatus === 429).toBe(true);
  });

  it('has one code of each kind at least, a 409 for state conflicts, and its own code for a port in use', () => {
    expect(new Set(entries.map(([, spec]) => spec.kind))).toEqual(new Set(['user', 'external', 'bug']));
    expect(errorCatalogue.VIDBOT_CONFLICT).toMatchObject({ kind: 'user', httpStatus: 409 });
    expect(errorCatalogue.VIDBOT_PORT_IN_USE).toMatchObject({ kind: 'user', exitCode: 69 });
    expect(errorCatalogue.VIDBOT_INVALID_ARGUMENT).toMatchObject({ kind: 'bug', exitCode: 70, httpStatus: 500 });
    expect(errorCatalogue.VIDBOT_INPUT_INVALID).toMatchObject({ kind: 'user', exitCode: 2, httpStatus: 400 });
  });

  it('lists every operator-setup code in the catalogue', () => {
    for (const code of OPERATOR_SETUP) expect(errorCatalogue[code].kind, code).toBe('user');
  });
});

/** A `vidbot` command, a `--flag` or `<command>`: words only a CLI user can act on. */
const CLI_WORDING = /`vidbot|\bvidbot (?:generate|compress|serve|worker|status|send|sign|doctor|config|models|media)\b|(?:^|[\s(])--[a-z]|<command>/;
/** An endpoint or a header: words only an HTTP client can act on. */
const HTTP_WORDING = /\b(?:GET|POST|HEAD) \/|Authorization:|\{"/;

describe('the catalogue\'s default hints', () => {
  it.each(entries)('%s: the neutral hint fits any reader, and each surface gets words it can act on', (_code, spec) => {
    for (const hint of [spec.hint, spec.cliHint, spec.httpHint]) {
      if (hint === undefined) continue;
      expect(hint.trim()).not.toBe('');
      expect(hint).toMatch(/[.)]$/);
    }
    expect(spec.hint).not.toMatch(CLI_WORDING);
    if (spec.httpHint !== undefined) {
      expect(spec.httpHint).not.toMatch(CLI_WORDING);
      expect(spec.httpHint).not.toBe(spec.hint);
    }
    if (spec.cliHint !== undefined) {
      expect(spec.cliHint).not.toMatch(HTTP_WORDING);
      expect(spec.cliHint).not.toBe(spec.hint);
    }
  });

  it('tells an HTTP client no command to run, on every code', () => {
    for (const [code, spec] of entries) expect(spec.httpHint ?? spec.hint, code).not.toMatch(CLI_WORDING);
  });
});

/** The README's exit-code table: exit code -> the catalogue codes its row names, in order. */
const readmeExitTable = (): Map<number, string[]> => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const cli = readme.indexOf('\n## CLI\n');
  const lead = readme.indexOf('Errors print one line with a stable code', cli);
  expect(cli, 'the README has a "## CLI" section').toBeGreaterThan(-1);
  expect(lead, 'the CLI section introduces the exit-code table').toBeGreaterThan(cli);
  const lines = readme.slice(lead).split('\n').slice(1);
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  const [header, separator, ...rows] = lines.slice(first, end === -1 ? undefined : end);
  expect(header?.replace(/\s+/g, '')).toBe('|exit|codes|');
  expect(separator).toMatch(/^\|\s*-+\s*\|\s*-+\s*\|$/);
  const table = new Map<number, string[]>();
  for (const row of rows) {
    const match = /^\|\s*(\d+)\s*\|(.*)\|\s*$/.exec(row);
    expect(match, `a row "| <exit> | <codes> |": ${row}`).not.toBeNull();
    const exit = Number(match?.[1]);
    expect(table.has(exit), `one row per exit code: ${exit}`).toBe(false);
    table.set(exit, [...(match?.[2] ?? '').matchAll(/`(VIDBOT_[A-Z_]+)`/g)].map((m) => m[1] ?? ''));
  }
  return table;
};

describe('the README\'s exit-code table', () => {
  const table = readmeExitTable();
  const listed = [...table.values()].flat();

  it('lists every catalogue code once, under its exit code', () => {
    for (const [code, spec] of entries) {
      expect(listed.filter((c) => c === code), `${code} listed once`).toHaveLength(1);
      expect(table.get(spec.exitCode), `${code} under exit ${spec.exitCode}`).toContain(code);
    }
  });

  it('lists no code the catalogue does not have, and no exit code no code uses', () => {
    expect(listed.filter((code) => !(code in errorCatalogue))).toEqual([]);
    // Rows may add words that are not codes ("unknown command or option" in 2, Ctrl-C in 130), not rows of their own.
    expect([...table.keys()].sort((a, b) => a - b)).toEqual([...new Set(entries.map(([, spec]) => spec.exitCode))].sort((a, b) => a - b));
  });

  it('keeps the rows for what the catalogue does not cover', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/^\| 2 \| .*unknown command or option \|$/m);
    expect(readme).toMatch(/^\| 130 \| interrupted \(Ctrl-C\).*\|$/m);
  });
});

describe('work stopped by its signal', () => {
  it('is VIDBOT_CANCELED when aborted, VIDBOT_TIMEOUT when its time ran out, and an abort either way', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const timedOut = AbortSignal.timeout(1);
    await new Promise<void>((resolve) => timedOut.addEventListener('abort', () => resolve(), { once: true }));
    const canceled = abortedError(aborted.signal);
    const late = abortedError(timedOut);
    expect(canceled).toMatchObject({ code: 'VIDBOT_CANCELED', retryable: false });
    expect(late).toMatchObject({ code: 'VIDBOT_TIMEOUT', retryable: true, message: 'Timed out: the time its signal allowed ran out.' });
    expect([canceled, late].map(isAbortError)).toEqual([true, true]);
    // The caller stopped it: no word on the provider's health (failover's circuit counts outages).
    expect([canceled, late].map(classifyProviderFailure)).toEqual(['canceled', 'canceled']);
    // A timeout of vidbot's own (a service that did not answer) is a failure, not an abort.
    expect(isAbortError(vidbotError('VIDBOT_TIMEOUT', 'Replicate did not answer.'))).toBe(false);
    expect(() => throwIfAborted(timedOut)).toThrow(expect.objectContaining({ code: 'VIDBOT_TIMEOUT' }));
  });
});
