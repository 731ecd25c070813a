import { toVidbotError } from '../lib/errors.ts';

type Stream = NodeJS.WritableStream;

/**
 * The one place errors reach the user: one line with the reason, one with a hint (the error's own,
 * else the catalogue's hint for the CLI), and the stack only with --verbose or when it is a bug.
 * Returns the exit code.
 */
export const handleError = (caught: unknown, options: { stderr: Stream; verbose: boolean; json: boolean; stdout: Stream; command?: string }): number => {
  const error = toVidbotError(caught);
  // The catalogue's hints say `vidbot <command> --help`: name the one that ran.
  const hint = error.hintFor('cli').replaceAll('vidbot <command>', `vidbot ${options.command ?? '<command>'}`);
  // A command that already printed its JSON result (doctor's report) keeps stdout one document.
  if (options.json && error.details.reported !== true) {
    options.stdout.write(`${JSON.stringify({ ok: false, error: { ...error.toJSON(), hint } })}\n`);
  }
  options.stderr.write(`✖ ${error.message} [${error.code}]\n`);
  if (hint) options.stderr.write(`  hint: ${hint}\n`);
  if (options.verbose || error.kind === 'bug') {
    const cause = error.cause instanceof Error ? error.cause : error;
    options.stderr.write(`${cause.stack ?? String(cause)}\n`);
    const stderrTail = error.details.stderr;
    if (typeof stderrTail === 'string') options.stderr.write(`ffmpeg said:\n${stderrTail}\n`);
  } else if (error.kind === 'external' || error.details.stderr !== undefined) {
    options.stderr.write('  (run with --verbose for details)\n');
  }
  return error.exitCode;
};
