import { execa } from 'execa';

/** What to spawn: the binary itself, or setpriv exec'ing it. */
export interface GuardedCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** True when the child is killed if its parent dies. */
  readonly guarded: boolean;
}

let probe: Promise<boolean> | undefined;

/**
 * Whether util-linux setpriv can give children a parent-death signal here. Probed once per
 * process; false off Linux, without setpriv, or with one lacking --pdeathsig (busybox).
 */
export const canGuardChildren = (): Promise<boolean> => {
  probe ??=
    process.platform !== 'linux'
      ? Promise.resolve(false)
      : execa('setpriv', ['--help'], { reject: false, stdin: 'ignore', all: true, timeout: 5_000 }).then(
          (result) => result.exitCode === 0 && String(result.all).includes('--pdeathsig'),
          () => false,
        );
  return probe;
};

/**
 * Wraps `bin args` so the child gets SIGKILL when the thread that spawned it dies; a kill -9 of
 * vidbot would otherwise leave ffmpeg rendering. setpriv execs bin, so pid, exit code, stdio and
 * signals are the child's own. Spawn from the main thread: a worker thread's exit would fire it.
 */
export const guardedCommand = async (bin: string, args: readonly string[]): Promise<GuardedCommand> =>
  (await canGuardChildren())
    ? { file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', bin, ...args], guarded: true }
    : { file: bin, args, guarded: false };

/**
 * Spawn options for a pipeline's ffmpeg and ffprobe: a session of their own. Ctrl-C at a terminal
 * signals the whole foreground process group; ffmpeg would stop mid-render (exit 255) and fail the
 * job an attempt, where vidbot's shutdown gives running jobs their grace and then hands them back.
 * vidbot ends its children itself: the job's AbortSignal, the parent-death signal above, and, since
 * execa leaves detached children alone when its process exits, `endsWithProcess`.
 */
export const OWN_SESSION = { detached: true } as const;

interface Killable {
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * The children started in a session of their own that are still running. Process-wide by nature,
 * as the exit it answers is: a second Ctrl-C (process.exit) must not leave a render behind.
 */
const running = new Set<Killable>();

/** Kills `child` when this process exits, if it still runs then; returns it. */
export const endsWithProcess = <T extends Killable & PromiseLike<unknown>>(child: T): T => {
  if (running.size === 0) process.once('exit', killRunning);
  running.add(child);
  const forget = () => {
    running.delete(child);
    if (running.size === 0) process.off('exit', killRunning);
  };
  child.then(forget, forget);
  return child;
};

function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Why the binary could not be started, if that is why the run failed: spawn's own error code,
 * or setpriv's report of a failed exec (exit 127 for a missing file, 126 otherwise).
 */
export const launchFailure = (error: unknown): 'ENOENT' | 'EACCES' | undefined => {
  const e = error as { code?: unknown; exitCode?: unknown; stderr?: unknown };
  if (e.code === 'ENOENT' || e.code === 'EACCES') return e.code;
  // The message after "setpriv:" is translated; the program name is not.
  const fromSetpriv = typeof e.stderr === 'string' && /^setpriv: /m.test(e.stderr);
  if (!fromSetpriv) return undefined;
  return e.exitCode === 127 ? 'ENOENT' : e.exitCode === 126 ? 'EACCES' : undefined;
};
