import { execa, type ExecaError } from 'execa';
import { throwIfAborted, vidbotError, abortedError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import { OWN_SESSION, endsWithProcess, guardedCommand, launchFailure } from './child.ts';

export interface RunFfmpegOptions {
  readonly ffmpeg: string;
  readonly signal?: AbortSignal;
  /** Duration of the output being written, to turn ffmpeg's timestamps into a percentage. */
  readonly durationSec?: number;
  readonly onProgress?: ProgressListener;
}

export interface FfmpegRun {
  /** ffmpeg's warnings and errors (run at `-v warning`). */
  readonly stderr: string;
}

/** How many lines of stderr an error message carries. */
const STDERR_TAIL_LINES = 8;

/**
 * Turns ffmpeg's `-progress` key=value lines into increasing percentages. Returns a line handler.
 * Exported for tests; runFfmpeg wires it to stdout.
 */
export const createProgressParser = (
  durationSec: number | undefined,
  onProgress: ProgressListener | undefined,
): ((line: string) => void) => {
  let last = -1;
  const emit = (percent: number): void => {
    // Round to a tenth so listeners are not flooded, and never go backwards.
    const rounded = Math.min(100, Math.max(0, Math.floor(percent * 10) / 10));
    if (rounded <= last) return;
    last = rounded;
    onProgress?.({ percent: rounded });
  };
  return (line) => {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'progress' && value === 'end') {
      emit(100);
    } else if (key === 'out_time_us' && durationSec !== undefined && durationSec > 0) {
      const us = Number(value);
      // ffmpeg prints N/A or negative times before the first frame is out.
      if (Number.isFinite(us) && us >= 0) emit(Math.min(99.9, (us / 1e6 / durationSec) * 100));
    }
  };
};

const tail = (text: string, lines: number): string =>
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-lines)
    .join('\n');

/**
 * Runs ffmpeg with machine-readable progress on stdout. Abort kills ffmpeg and throws
 * VIDBOT_CANCELED; a non-zero exit throws VIDBOT_FFMPEG_FAILED with the end of stderr.
 */
export const runFfmpeg = async (args: readonly string[], options: RunFfmpegOptions): Promise<FfmpegRun> => {
  throwIfAborted(options.signal);
  const fullArgs = ['-hide_banner', '-nostdin', '-v', 'warning', '-progress', 'pipe:1', '-nostats', ...args];
  const onLine = createProgressParser(options.durationSec, options.onProgress);
  const command = await guardedCommand(options.ffmpeg, fullArgs);
  const subprocess = endsWithProcess(
    execa(command.file, command.args, {
      ...OWN_SESSION,
      cancelSignal: options.signal,
      // ffmpeg finishes its current frame on SIGTERM; SIGKILL only if it hangs.
      forceKillAfterDelay: 3_000,
      stdin: 'ignore',
      buffer: { stdout: false, stderr: true },
    }),
  );
  let pending = '';
  subprocess.stdout.setEncoding('utf8');
  subprocess.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });

  try {
    const result = await subprocess;
    if (pending !== '') onLine(pending);
    onLine('progress=end');
    return { stderr: String(result.stderr) };
  } catch (error) {
    const failure = error as ExecaError;
    if (failure.isCanceled || options.signal?.aborted) {
      throw abortedError(options.signal, options.signal?.reason ?? error);
    }
    const launch = launchFailure(failure);
    if (launch === 'ENOENT') {
      throw vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `ffmpeg not found at ${options.ffmpeg}.`, { cause: error });
    }
    if (launch === 'EACCES') {
      throw vidbotError('VIDBOT_FFMPEG_NOT_FOUND', `Cannot run ffmpeg at ${options.ffmpeg} (EACCES).`, { cause: error });
    }
    const stderrTail = tail(String(failure.stderr ?? ''), STDERR_TAIL_LINES);
    const exit = failure.exitCode !== undefined ? `exit code ${failure.exitCode}` : (failure.signal ?? 'no exit code');
    throw vidbotError('VIDBOT_FFMPEG_FAILED', `ffmpeg failed (${exit})${stderrTail ? `:\n${stderrTail}` : '.'}`, {
      cause: error,
      details: { args: fullArgs, exitCode: failure.exitCode, stderr: stderrTail, stderrTail },
    });
  }
};
