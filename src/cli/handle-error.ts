import { errorCatalogue, toVidbotError } from '../lib/errors.ts';

type Stream = NodeJS.WritableStream;

/**
 * The one place errors reach the user: one line with the reason, one with a hint, and the stack
 * only with --verbose or when it is a bug. Returns the exit code.
 */
export const handleError = (caught: unknown, options: { stderr: Stream; verbose: boolean; json: boolean; stdout: Stream }): number => {
  const error = toVidbotError(caught);
  // A command that already printed its JSON result (doctor's report) keeps stdout one document.
  if (options.json && error.details.reported !== true) {
    options.stdout.write(`${JSON.stringify({ ok: false, error: error.toJSON() })}\n`);
  }
  options.stderr.write(`✖ ${error.message} [${error.code}]\n`);
  if (error.hint) options.stderr.write(`  hint: ${error.hint}\n`);
  const isBug = !errorCatalogue[error.code].userFixable;
  if (options.verbose || (isBug && error.code === 'VIDBOT_INTERNAL')) {
    const cause = error.cause instanceof Error ? error.cause : error;
    options.stderr.write(`${cause.stack ?? String(cause)}\n`);
    const stderrTail = error.details.stderr;
    if (typeof stderrTail === 'string') options.stderr.write(`ffmpeg said:\n${stderrTail}\n`);
  } else if (isBug || error.details.stderr !== undefined) {
    options.stderr.write('  (run with --verbose for details)\n');
  }
  return error.exitCode;
};
