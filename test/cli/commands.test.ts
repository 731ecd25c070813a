import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../helpers/cli.ts';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(() => sandbox.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { ...sandbox.env, ...env }, cwd: sandbox.root });

describe('vidbot --help and --version', () => {
  it('lists the commands with examples', async () => {
    const result = await cli(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['generate', 'compress', 'config']) expect(result.stdout).toContain(command);
    expect(result.stdout).toContain('Examples:');
    // A group alone asks what it holds, as `vidbot` alone does: its help on stdout, a success (it was exit 2 on stderr).
    for (const group of ['config', 'media']) {
      const help = await cli([group]);
      expect({ group, exitCode: help.exitCode, stderr: help.stderr }).toEqual({ group, exitCode: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^Usage: vidbot ${group} \\[options\\] \\[command\\]`));
    }
  });

  it('prints the version', async () => {
    const result = await cli(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers an unknown command or option with usage and exit 2', async () => {
    expect((await cli(['frobnicate'])).exitCode).toBe(2);
    const bad = await cli(['generate', 'x', '--bogus']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("unknown option '--bogus'");
    const clash = await cli(['generate', 'x', '--portrait', '--landscape']);
    expect(clash.exitCode).toBe(2);
    // A suggestion on the error's line; a command typed short is the command it begins.
    expect((await cli(['gen', 'x'])).stderr).toMatch(/^✖ unknown command 'gen' \(did you mean generate\?\)\n  hint: /);
    expect((await cli(['stauts'])).stderr).toMatch(/^✖ unknown command 'stauts' \(did you mean status\?\)\n/);
    // A group's own commands: `config ge` is config's get, not vidbot's generate.
    expect((await cli(['config', 'ge', 'PORT'])).stderr).toMatch(/^✖ unknown command 'ge' \(did you mean get\?\)\n/);
    expect((await cli(['generate', 'x', '--landscap'])).stderr).toMatch(/^✖ unknown option '--landscap' \(did you mean --landscape\?\)\n/);
    // Help for a command there is none of: said so, where the whole help came with no word of why.
    const helpless = await cli(['help', 'stauts']);
    expect([helpless.exitCode, helpless.stdout]).toEqual([2, '']);
    expect(helpless.stderr).toMatch(/^✖ unknown command 'stauts' \(did you mean status\?\)\n/);
    expect((await cli(['help', 'status'])).stdout).toMatch(/^Usage: vidbot status /);
  });

  it('fits every help text in 80 columns (long examples continue on the next line)', async () => {
    // Every command the help lists, and theirs in turn: a new one cannot be left out.
    const commandsOf = (help: string): string[] =>
      [...(help.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1] ?? '').filter((name) => name !== 'help');
    const queue: string[][] = [[]];
    const seen: string[] = [];
    for (let command = queue.shift(); command !== undefined; command = queue.shift()) {
      const { stdout } = await cli([...command, '--help']);
      seen.push(command.join(' '));
      expect(stdout.split('\n').filter((line) => line.length > 80), command.join(' ') || 'vidbot').toEqual([]);
      queue.push(...commandsOf(stdout).map((name) => [...command, name]));
    }
    expect(seen).toEqual(expect.arrayContaining(['generate', 'retry', 'media prune', 'config list']));
  });

  it('refuses an output named for another kind of file, before any work', async () => {
    await writeFile(join(sandbox.root, 'clip.mov'), 'not read: the name is checked first\n');
    const before = await readdir(sandbox.root);
    const generated = await cli(['generate', 'a fox', '-o', 'notes.txt']);
    expect(generated.exitCode).toBe(2);
    expect(generated.stderr).toBe('✖ Cannot write an MP4 video as notes.txt: its name should end in .mp4. [VIDBOT_INPUT_INVALID]\n  hint: Name the output notes.mp4.\n');
    const compressed = await cli(['compress', 'clip.mov', '-o', 'clip']);
    expect(compressed.exitCode).toBe(2);
    expect(compressed.stderr).toContain('hint: Name the output clip.mp4 (or clip/ for a folder to put it in, once it exists).');
    expect(await readdir(sandbox.root)).toEqual(before);
  });

  it('prints a usage error as a JSON error document under --json (stdout stays one document)', async () => {
    const missing = await cli(['generate', '--json']);
    expect(missing.exitCode).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      ok: false,
      error: { code: 'VIDBOT_INPUT_INVALID', message: "missing required argument 'prompt'", hint: '`vidbot generate --help` lists its options.', retryable: false },
    });
    const typo = JSON.parse((await cli(['config', 'ge', 'PORT', '--json'])).stdout) as { error: { message: string; hint: string } };
    expect(typo.error).toMatchObject({ message: "unknown command 'ge' (did you mean get?)", hint: '`vidbot config --help` lists its commands.' });
    // Without --json, stdout stays empty.
    expect((await cli(['generate', '--bogus'])).stdout).toBe('');
  });

  it('names the command that ran in its hints, and lists commands for a command of commands', async () => {
    const limit = await cli(['status', '--limit', '0']);
    expect(limit.exitCode).toBe(2);
    expect(limit.stderr).toContain('`vidbot status --help` lists the options.');
    const nested = await cli(['config', 'sett']);
    expect(nested.exitCode).toBe(2);
    expect(nested.stderr).toContain('`vidbot config --help` lists its commands.');
    // Bare, or with --verbose alone: the help on stdout, as a success.
    for (const args of [[], ['--verbose']]) {
      const bare = await cli(args);
      expect(bare.exitCode, args.join(' ')).toBe(0);
      expect(bare.stdout, args.join(' ')).toContain('Usage: vidbot [options] [command]');
    }
  });

  it('names the flag, not its variable, for a bad option value, with exit 2', async () => {
    for (const [args, said] of [
      [['serve', '--port', 'abc', '--no-tui'], '--port must be a whole number from 0 to 65535, got "abc".'],
      [['serve', '--workers', '0', '--no-tui'], '--workers must be a whole number from 1 to 64, got "0".'],
      [['worker', '--concurrency', 'lots'], '--concurrency must be a whole number from 1 to 64, got "lots".'],
      [['compress', 'in.mp4', '--max-bytes', '-5'], '--max-bytes'],
    ] as const) {
      const result = await cli([...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(said);
      expect(result.stderr).not.toMatch(/\b(PORT|WORKER_COUNT|WHATSAPP_MAX_BYTES)\b/);
    }
  });

  it('shows where each option\'s default comes from in --help', async () => {
    // Commander wraps descriptions at the terminal's width; read them as one line.
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const generate = flat((await cli(['generate', '--help'])).stdout);
    expect(generate).toContain('--duration <seconds> video length in seconds, 1 to 60 (default: VIDBOT_VIDEO_SECONDS, else 6)');
    expect(generate).toContain('-f, --force replace the output file');
    expect(generate).not.toContain('(default: [])');
    const serve = flat((await cli(['serve', '--help'])).stdout);
    expect(serve).toContain('--port <port> port to listen on (default: PORT, else 3000)');
  });
});

describe('vidbot config', () => {
  it('sets, gets (masked), lists with sources, and unsets', async () => {
    expect((await cli(['config', 'set', 'WORKER_COUNT', '4'])).exitCode).toBe(0);
    expect((await cli(['config', 'set', 'twilio_auth_token', 'abcdef0123456789'])).stdout).toContain('••••6789');
    expect((await cli(['config', 'get', 'worker-count'])).stdout.trim()).toBe('4');
    expect((await cli(['config', 'get', 'TWILIO_AUTH_TOKEN'])).stdout.trim()).toBe('••••6789');
    expect((await cli(['config', 'get', 'TWILIO_AUTH_TOKEN', '--show-secret'])).stdout.trim()).toBe('abcdef0123456789');
    const list = JSON.parse((await cli(['config', 'list', '--json'], { WHATSAPP_MAX_BYTES: '9000000' })).stdout) as {
      key: string;
      value: string;
      source: string;
    }[];
    expect(list.find((row) => row.key === 'WORKER_COUNT')).toMatchObject({ value: '4', source: 'saved settings' });
    expect(list.find((row) => row.key === 'WHATSAPP_MAX_BYTES')).toMatchObject({ value: '9000000', source: 'environment' });
    expect(list.find((row) => row.key === 'TWILIO_AUTH_TOKEN')?.value).toBe('••••6789');
    const removed = await cli(['config', 'unset', 'WORKER_COUNT']);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toMatch(/^WORKER_COUNT removed from /);
    expect((await cli(['config', 'get', 'WORKER_COUNT'])).stdout.trim()).toBe('2');
    // An unset setting: an empty line for a script, words on a terminal.
    expect((await cli(['config', 'get', 'PUBLIC_BASE_URL'])).stdout).toBe('\n');
    expect((await runCli(['config', 'get', 'PUBLIC_BASE_URL'], { env: sandbox.env, cwd: sandbox.root, columns: 80 })).stdout).toBe('(PUBLIC_BASE_URL is not set)\n');
    // Not set: said so, rather than "removed".
    expect((await cli(['config', 'unset', 'WORKER_COUNT'])).stdout).toMatch(/^WORKER_COUNT was not set in .*; nothing changed\n$/);
  });

  it('lists every value with a bad one marked, and gets the others, where other commands refuse to start', async () => {
    const bad = { PORT: 'abc' };
    const list = await cli(['config', 'list'], bad);
    expect(list.exitCode).toBe(0);
    // The bad value itself and where it is, not the default it falls back to (every other command refuses it).
    expect(list.stdout).toMatch(/^PORT +✖ abc +environment +✖ PORT must be a whole number from 0 to 65535, got "abc" \(from environment\)\.$/m);
    expect(list.stderr).toBe('✖ 1 invalid value (marked), which every other command refuses.\n');
    // At 80 columns the words about each setting go under it, whole: a bad value's reason too.
    const narrow = (await runCli(['config', 'list'], { env: { ...sandbox.env, ...bad }, cwd: sandbox.root, columns: 80 })).stdout.split('\n');
    const portAt = narrow.findIndex((line) => line.startsWith('PORT '));
    expect(narrow[portAt]).toMatch(/^PORT +✖ abc +environment$/);
    expect(narrow[portAt + 1]).toBe('    ✖ PORT must be a whole number from 0 to 65535, got "abc" (from environment).');
    expect(narrow.filter((line) => Array.from(line).length > 80)).toEqual([]);
    // On a terminal a long value keeps the columns in line: cut in its middle, whole from config get.
    const folder = `/tmp/${'long-folder-name/'.repeat(4)}data`;
    const long = await runCli(['config', 'list'], { env: { ...sandbox.env, VIDBOT_DATA_DIR: folder }, cwd: sandbox.root, columns: 120 });
    expect(long.stdout).toMatch(/^VIDBOT_DATA_DIR +\/tmp\/long-fo…r-name\/data  environment   /m);
    // Wide enough for them beside the columns, the words wrap in a column of their own, none cut.
    const wide = long.stdout.split('\n');
    const provider = wide.findIndex((line) => line.startsWith('VIDBOT_PROVIDER '));
    expect(wide[provider + 1]).toMatch(/^ {40,}\S/);
    expect(wide.filter((line) => Array.from(line).length > 120 || line.endsWith('…'))).toEqual([]);
    // Piped (grep, a file), every value whole, the columns still in line.
    const piped = (await cli(['config', 'list'], { VIDBOT_DATA_DIR: folder })).stdout.split('\n');
    const dataDir = piped.find((line) => line.startsWith('VIDBOT_DATA_DIR'));
    expect(dataDir).toContain(`${folder}  environment   `);
    expect(piped.find((line) => line.startsWith('PORT'))?.indexOf('default')).toBe(dataDir?.indexOf('environment'));
    expect((await cli(['config', 'get', 'VIDBOT_DATA_DIR'], { VIDBOT_DATA_DIR: folder })).stdout.trim()).toBe(folder);
    const rows = JSON.parse((await cli(['config', 'list', '--json'], bad)).stdout) as { key: string; invalid?: string }[];
    expect(rows.find((row) => row.key === 'PORT')?.invalid).toContain('got "abc"');
    expect(rows.filter((row) => row.invalid !== undefined)).toHaveLength(1);
    expect((await cli(['config', 'get', 'WORKER_COUNT'], bad)).stdout.trim()).toBe('2');
    const port = await cli(['config', 'get', 'PORT'], bad);
    expect(port.exitCode).toBe(78);
    expect(port.stderr).toContain('[VIDBOT_CONFIG_INVALID]');
  });

  it('saves a relative folder as the absolute one meant where it was typed', async () => {
    const saved = await cli(['config', 'set', 'VIDBOT_DATA_DIR', 'relative/dir']);
    expect(saved.stdout).toContain(`VIDBOT_DATA_DIR = ${join(sandbox.root, 'relative/dir')}`);
    expect((await cli(['config', 'get', 'VIDBOT_DATA_DIR'], { VIDBOT_DATA_DIR: '' })).stdout.trim()).toBe(join(sandbox.root, 'relative/dir'));
  });

  it('refuses unknown settings and invalid values', async () => {
    const unknown = await cli(['config', 'set', 'NOPE', '1']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('Unknown setting "NOPE".');
    // A slip of a letter or two names the setting meant.
    expect((await cli(['config', 'set', 'WORKER_COUNTS', '4'])).stderr).toMatch(/^✖ Unknown setting "WORKER_COUNTS" \(did you mean WORKER_COUNT\?\)\. \[VIDBOT_INPUT_INVALID\]/);
    // A usage error: the value is refused and nothing is written (no "unset it" advice).
    const invalid = await cli(['config', 'set', 'WORKER_COUNT', 'many']);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain('WORKER_COUNT must be a whole number from 1 to 64, got "many". Nothing was saved.');
    expect(invalid.stderr).not.toContain('unset');
    expect((await cli(['config', 'get', 'WORKER_COUNT'])).stdout.trim()).toBe('2');
    // A bad URL gets an example of its kind; a secret one is never shown.
    const url = await cli(['config', 'set', 'REDIS_URL', 'redis//:hunter2@host']);
    expect(url.stderr).toContain('REDIS_URL must be an absolute URL such as redis://localhost:6379, got (hidden: it may hold a password).');
    expect(url.stderr).not.toContain('hunter2');
    // A connection string of another engine (or none) is refused too, where every command opening the store would fail on it.
    for (const [key, value, schemes] of [
      ['DATABASE_URL', 'mysql://u:hunter2@h/d', 'postgres:// or postgresql://'],
      ['MONGODB_URI', 'bogus', 'mongodb:// or mongodb+srv://'],
      ['CLOUDINARY_URL', 'KEY:hunter2@cloud', 'cloudinary://'],
    ] as const) {
      const refused = await cli(['config', 'set', key, value]);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain(`${key} must be a connection string starting with ${schemes}`);
      expect(refused.stderr).not.toContain('hunter2');
    }
    expect((await cli(['config', 'set', 'DATABASE_URL', 'postgresql://u:p@db.example.com/vidbot'])).exitCode).toBe(0);
    expect((await cli(['config', 'unset', 'DATABASE_URL'])).exitCode).toBe(0);
    // Another app's DATABASE_URL in this folder's .env or the environment does not stop commands that open no store.
    expect((await cli(['config', 'get', 'WORKER_COUNT'], { DATABASE_URL: 'file:./dev.db' })).stdout.trim()).toBe('2');
  });
});
