/** Writing over a file the user has: asked on a terminal, refused elsewhere without --force. */
import { stat } from 'node:fs/promises';
import { vidbotError } from '../lib/errors.ts';
import type { CliContext } from './context.ts';

/** A command that writes a file, stopped by Ctrl-C (or SIGTERM) before it wrote it. */
export const interrupted = () => vidbotError('VIDBOT_CANCELED', 'Interrupted; nothing was written.', { hint: 'Run the command again to start over.' });

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

/** On a terminal, asks before replacing a file; elsewhere (scripts, CI) it never does without --force. */
const confirmReplace = async (context: CliContext, file: string): Promise<boolean> => {
  const { stdin } = context;
  if (!stdin?.isTTY || !context.stderr.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const lines = createInterface({ input: stdin, output: context.stderr });
  // At a terminal readline takes Ctrl-C as a key, not as the signal: it ends the command all the same.
  const ctrlC = new AbortController();
  lines.once('SIGINT', () => ctrlC.abort());
  try {
    const answer = await lines.question(`${file} exists. Replace it? [y/N] `, { signal: AbortSignal.any([context.signal, ctrlC.signal]) });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    if (ctrlC.signal.aborted || context.signal.aborted) {
      context.stderr.write('\n');
      throw interrupted();
    }
    return false;
  } finally {
    lines.close();
  }
};

/** Throws VIDBOT_OUTPUT_UNWRITABLE when `output` exists and may not be replaced; `what` is the command's verb ("generated"). */
export const refuseToReplace = async (context: CliContext, output: string, force: boolean | undefined, what: string): Promise<void> => {
  if (force || !(await exists(output))) return;
  const asked = Boolean(context.stdin?.isTTY && context.stderr.isTTY);
  if (await confirmReplace(context, output)) return;
  // The user said no: their answer is the reason, and --force is no advice to someone who just declined.
  if (asked) throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Kept ${output} as it was; nothing was ${what}.`, { hint: 'Use -o to write it under another name.' });
  throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `${output} already exists; nothing was ${what}.`, {
    hint: 'Pass --force to replace it, or -o to choose another name.',
  });
};
