import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { main } from '../../src/cli/main.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const binPath = join(repoRoot, 'bin', 'vidbot.js');

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const collect = (onText?: (text: string) => void): { stream: PassThrough; text: () => string } => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  const text = () => Buffer.concat(chunks).toString('utf8');
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    onText?.(text());
  });
  return { stream, text };
};

/** A sandbox for one test: its own data dir, config dir and working directory. */
export const makeSandbox = async () => {
  const root = await mkdtemp(join(tmpdir(), 'vidbot-cli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: root,
    VIDBOT_DATA_DIR: join(root, 'data'),
    VIDBOT_CONFIG_DIR: join(root, 'config'),
  };
  return { root, env, cleanup: () => rm(root, { recursive: true, force: true }) };
};

/** Runs the CLI in this process with fake streams: fast, and failures show a stack in vitest. */
export const runCli = async (
  args: readonly string[],
  options: {
    env: Record<string, string>;
    cwd: string;
    signal?: AbortSignal;
    onStdout?: (textSoFar: string) => void;
    /** Stdout as a terminal this wide (a PassThrough with isTTY and columns), instead of a pipe. */
    columns?: number;
  },
): Promise<CliResult> => {
  const out = collect(options.onStdout);
  if (options.columns !== undefined) Object.assign(out.stream, { isTTY: true, columns: options.columns });
  const err = collect();
  const exitCode = await main(args, {
    env: options.env,
    cwd: options.cwd,
    stdout: out.stream,
    stderr: err.stream,
    signal: options.signal ?? new AbortController().signal,
  });
  return { exitCode, stdout: out.text(), stderr: err.text() };
};

/** Runs the built CLI as a user would, through bin/vidbot.js (needs `npm run build`). */
export const spawnCli = async (
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string; timeout?: number },
): Promise<CliResult> => {
  const result = await execa(process.execPath, [binPath, ...args], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    timeout: options.timeout ?? 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
};
