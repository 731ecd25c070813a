/**
 * One error, a hint for each reader: the CLI prints the catalogue's CLI hint, the server sends its
 * HTTP hint, a library caller reads the neutral one, and a hint given where the error was thrown
 * wins everywhere. Whether the CLI prints a stack is one check of the kind.
 */
import { describe, expect, it } from 'vitest';
import { handleError } from '../../src/cli/handle-error.ts';
import { VidbotError, errorCatalogue, toVidbotError, vidbotError } from '../../src/lib/errors.ts';
import { errorBody } from '../../src/server/errors.ts';

const sink = () => {
  let text = '';
  const stream = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
};

const cli = (error: unknown, options: { verbose?: boolean; json?: boolean } = {}) => {
  const out = sink();
  const err = sink();
  const exitCode = handleError(error, { stdout: out.stream, stderr: err.stream, verbose: options.verbose ?? false, json: options.json ?? false });
  return { exitCode, stdout: out.text(), stderr: err.text() };
};

describe('VidbotError.hintFor', () => {
  it('gives each surface its default, and a library caller the neutral one', () => {
    const error = vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt is empty.');
    expect(error.hint).toBe(errorCatalogue.VIDBOT_PROMPT_EMPTY.hint);
    expect(error.hintFor('cli')).toContain('vidbot generate');
    expect(error.hintFor('http')).toContain('"prompt"');
    expect(error.hint).not.toMatch(/vidbot generate|\{"prompt"/);
  });

  it('falls back to the neutral hint where a surface has none of its own', () => {
    const error = vidbotError('VIDBOT_TIMEOUT', 'Too slow.');
    expect(error.hintFor('cli')).toBe(errorCatalogue.VIDBOT_TIMEOUT.hint);
    expect(error.hintFor('http')).toBe(errorCatalogue.VIDBOT_TIMEOUT.hint);
  });

  it('keeps a hint given where the error was thrown, on every surface', () => {
    const error = vidbotError('VIDBOT_INPUT_INVALID', 'Bad.', { hint: 'Do this instead.' });
    expect([error.hint, error.hintFor('cli'), error.hintFor('http')]).toEqual(['Do this instead.', 'Do this instead.', 'Do this instead.']);
  });

  it('says what kind it is, from the catalogue', () => {
    expect(vidbotError('VIDBOT_CONFIG_INVALID', 'x').kind).toBe('user');
    expect(vidbotError('VIDBOT_PROVIDER_FAILED', 'x').kind).toBe('external');
    expect(vidbotError('VIDBOT_INVALID_ARGUMENT', 'x').kind).toBe('bug');
    expect(toVidbotError(new TypeError('x is undefined')).kind).toBe('bug');
    expect('userFixable' in vidbotError('VIDBOT_INTERNAL', 'x')).toBe(false);
  });
});

describe('the server\'s error body', () => {
  it('carries the HTTP hint, or the one the error was thrown with', () => {
    expect(errorBody(vidbotError('VIDBOT_TASK_NOT_FOUND', 'No task x.'))).toEqual({
      error: { code: 'VIDBOT_TASK_NOT_FOUND', message: 'No task x.', hint: errorCatalogue.VIDBOT_TASK_NOT_FOUND.httpHint },
    });
    expect(errorBody(vidbotError('VIDBOT_INPUT_INVALID', 'Bad.', { hint: 'Mine.' })).error.hint).toBe('Mine.');
    expect(errorBody(vidbotError('VIDBOT_INTERNAL', 'Oops.')).error.hint).toContain("server's log");
  });
});

describe('the CLI\'s handleError', () => {
  it('prints a user error with the CLI hint and nothing more', () => {
    const result = cli(vidbotError('VIDBOT_PROMPT_EMPTY', 'The prompt is empty.'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`✖ The prompt is empty. [VIDBOT_PROMPT_EMPTY]\n  hint: ${errorCatalogue.VIDBOT_PROMPT_EMPTY.cliHint}\n`);
  });

  it('points an external failure at --verbose, and prints its cause with it', () => {
    const cause = new Error('socket hang up');
    const quiet = cli(vidbotError('VIDBOT_PROVIDER_FAILED', 'Replicate failed.', { cause }));
    expect(quiet.exitCode).toBe(69);
    expect(quiet.stderr).toContain('(run with --verbose for details)');
    expect(quiet.stderr).not.toContain('socket hang up');
    expect(cli(vidbotError('VIDBOT_PROVIDER_FAILED', 'Replicate failed.', { cause }), { verbose: true }).stderr).toContain('Error: socket hang up');
  });

  it('prints the stack of a bug, whatever its code, and asks for a report', () => {
    for (const error of [new TypeError('cannot read x of undefined'), vidbotError('VIDBOT_INVALID_ARGUMENT', 'concurrency must be a positive integer, got 0.')]) {
      const result = cli(error);
      expect(result.exitCode).toBe(70);
      expect(result.stderr).toMatch(/hint: This is a bug in vidbot; please report it/);
      expect(result.stderr).toMatch(/\n {4}at /);
    }
  });

  it('puts the CLI hint in --json output', () => {
    const result = cli(vidbotError('VIDBOT_TASK_NOT_FOUND', 'No task x.'), { json: true });
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: { code: 'VIDBOT_TASK_NOT_FOUND', message: 'No task x.', hint: errorCatalogue.VIDBOT_TASK_NOT_FOUND.cliHint, retryable: false },
    });
  });

  it('treats a VidbotError built by hand the same', () => {
    expect(cli(new VidbotError('VIDBOT_CONFLICT', 'Task t is done; only failed or canceled tasks can be retried.')).exitCode).toBe(65);
  });
});
