/**
 * vidbot commands as separate processes through the built CLI (bin/vidbot.js runs dist/: `npm run
 * build` first), for tests of several processes working together.
 */
import { type ResultPromise, execa } from 'execa';
import { binPath } from './cli.ts';
import { waitFor } from './vidbot.ts';

export interface VidbotProcess {
  readonly child: ResultPromise;
  /** stdout and stderr as received so far, interleaved. */
  output(): string;
  /** Waits (bounded) until the output holds `text`; a process writes its banner line by line. */
  until(text: string): Promise<string>;
}

/**
 * Starts `vidbot <args>` and waits until its output says `ready`. Its kill is pushed on `cleanups`,
 * so a failing test leaves no process behind.
 */
export const spawnVidbot = async (
  args: string[],
  options: { env: Record<string, string>; cwd: string; ready: string; cleanups: Array<() => Promise<void>> },
): Promise<VidbotProcess> => {
  const child = execa(process.execPath, [binPath, ...args], { env: options.env, extendEnv: false, cwd: options.cwd, reject: false });
  let output = '';
  const collect = (chunk: Buffer) => void (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  void child.finally(() => void (exited = true));
  options.cleanups.push(async () => {
    if (!exited) child.kill('SIGKILL');
    await child;
  });
  await waitFor(async () => output.includes(options.ready) || exited, 20_000);
  if (exited) throw new Error(`vidbot ${args[0]} exited early:\n${output}`);
  const until = async (text: string) => {
    await waitFor(async () => output.includes(text) || exited, 20_000);
    return output;
  };
  return { child, output: () => output, until };
};
