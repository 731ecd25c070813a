import { constants } from 'node:os';
import { main } from './main.ts';

/** The process edge: wires the real environment, streams and signals into `main`. */
export const run = async (): Promise<void> => {
  // `ps` and `top` say which vidbot (vidbot serve, vidbot worker), not node.
  process.title = ['vidbot', process.argv[2]].filter((word) => word !== undefined && !word.startsWith('-')).join(' ');
  const controller = new AbortController();
  let interrupts = 0;
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    first ??= signal;
    // A second Ctrl-C means "now": skip clean-up and leave, giving the terminal its cursor back (the
    // dashboard hides it) and saying what becomes of work still running.
    if (interrupts > 1) {
      if (process.stdout.isTTY) process.stdout.write('\u001b[?25h');
      const queued = ['serve', 'worker'].includes(process.argv[2] ?? '') ? ' Jobs still running go back to the queue when their lease runs out.' : '';
      process.stderr.write(`\nStopped at once (a second ${signal === 'SIGINT' ? 'Ctrl-C' : signal}).${queued}\n`);
      process.exit(exitCodeOf(signal));
    }
    controller.abort(new Error(`Interrupted by ${signal}`));
  };
  // The reader went away (`vidbot models | head`, or `2>&1 | head` for the progress on stderr): stop
  // as a signal would, without a stack trace, so a run ends its task rather than dying in it.
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (!controller.signal.aborted) controller.abort(new Error('The output was closed.'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal closed (a dropped SSH session): stop as on SIGTERM, so running work is ended, not left.
  process.on('SIGHUP', onSignal);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const code = await main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
    interrupt: () => onSignal('SIGINT'),
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  // A command the signal stopped (not one that then ended cleanly, as serve does) exits with its code.
  process.exitCode = code === 130 && first !== undefined ? exitCodeOf(first) : code;
};

/** The shell's code for a process a signal stopped: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
const exitCodeOf = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 2);
