import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

// Packs the package as npm would publish it and installs the tarball into an empty project,
// so a missing `files` entry, a broken `exports` map or a bad bin shim fails here, not for users.
let dir: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-pack-'));
  const { stdout } = await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error('npm pack printed no result');
  tarball = join(dir, info.filename);
  packedFiles = info.files.map((f) => f.path);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', tarball], { cwd: dir });
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the published package', () => {
  it('ships the bin shim, built code with types and the README, and no tests or sources', () => {
    expect(packedFiles).toContain('bin/vidbot.js');
    expect(packedFiles).toContain('dist/lib/index.js');
    expect(packedFiles).toContain('dist/lib/index.d.ts');
    expect(packedFiles).toContain('dist/cli/main.js');
    expect(packedFiles).toContain('README.md');
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('.ci/'))).toEqual([]);
  });

  it('runs `npx vidbot --help` where it is installed', async () => {
    const result = await execa('npx', ['--no-install', 'vidbot', '--help'], { cwd: dir });
    expect(result.stdout).toContain('generate');
    expect(result.stdout).toContain('compress');
  });

  it('lets a script import the public functions', async () => {
    const script = `
      import * as vidbot from 'vidbot';
      import * as server from 'vidbot/server';
      const names = ['createVidbot', 'createPipeline', 'compressForWhatsApp', 'createSqliteStore', 'createSqliteQueue',
        'createLocalProvider', 'createLocalMediaHost', 'createLocalChannel', 'createTwilioChannel', 'loadConfig',
        'validatePrompt', 'createTaskLifecycle', 'createBot', 'computeTwilioSignature', 'isValidTwilioSignature'];
      const missing = names.filter((name) => typeof vidbot[name] !== 'function');
      if (typeof server.createServer !== 'function') missing.push('vidbot/server: createServer');
      if (missing.length) { console.error('missing: ' + missing.join(', ')); process.exit(1); }
      const error = new vidbot.VidbotError('VIDBOT_PROMPT_EMPTY', 'x');
      console.log(JSON.stringify({ ok: true, code: error.code, exitCode: error.exitCode }));
    `;
    await writeFile(join(dir, 'use.mjs'), script);
    const { stdout } = await execa('node', ['use.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ ok: true, code: 'VIDBOT_PROMPT_EMPTY', exitCode: 2 });
  });
});
