import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { waitFor } from '../helpers/vidbot.ts';
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
    // The license package.json names, with its text.
    expect(packedFiles).toContain('LICENSE');
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
      import * as bullmq from 'vidbot/bullmq';
      const names = ['createVidbot', 'createPipeline', 'compressForWhatsApp', 'createSqliteStore', 'createSqliteQueue',
        'createLocalProvider', 'createLocalMediaHost', 'createLocalChannel', 'createTwilioChannel', 'loadConfig',
        'validatePrompt', 'createTaskLifecycle', 'createBot', 'computeTwilioSignature', 'isValidTwilioSignature'];
      const missing = names.filter((name) => typeof vidbot[name] !== 'function');
      if (typeof server.createServer !== 'function') missing.push('vidbot/server: createServer');
      for (const name of ['createBullmqQueue', 'connectRedis']) if (typeof bullmq[name] !== 'function') missing.push('vidbot/bullmq: ' + name);
      if (missing.length) { console.error('missing: ' + missing.join(', ')); process.exit(1); }
      const error = new vidbot.VidbotError('VIDBOT_PROMPT_EMPTY', 'x');
      console.log(JSON.stringify({ ok: true, code: error.code, exitCode: error.exitCode }));
    `;
    await writeFile(join(dir, 'use.mjs'), script);
    const { stdout } = await execa('node', ['use.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ ok: true, code: 'VIDBOT_PROMPT_EMPTY', exitCode: 2 });
  });

  it("type-checks the README's library examples against the installed package (strict, its declarations too)", async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    const examples = join(dir, 'examples');
    await mkdir(examples, { recursive: true });
    // What an example leaves to its reader: your own API client.
    const prelude = 'declare function postToAcme(message: unknown): Promise<string>;\n';
    await Promise.all(snippets.map((code, index) => writeFile(join(examples, `example-${index + 1}.ts`), `${prelude}${code}`)));
    const tsconfig = {
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        // The package's types checked too, as a consumer without skipLibCheck sees them.
        skipLibCheck: false,
        types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')],
      },
      include: ['examples/*.ts'],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = await execa('node', [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, reject: false });
    expect(result.stdout).toBe('');
    expect(result.exitCode).toBe(0);
  }, 120_000);

  it("runs the README's startServer example: its own route answers, and SIGTERM closes it", async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').find((code) => code.includes('startServer('));
    expect(example).toBeDefined();
    await writeFile(join(dir, 'serve.mjs'), example ?? '');
    const child = execa('node', ['serve.mjs'], {
      cwd: dir,
      // Only what the example needs: a REDIS_URL or TWILIO_* of the machine running the tests would change it.
      env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', VIDBOT_HOST: '127.0.0.1', VIDBOT_DATA_DIR: join(dir, 'data') },
      extendEnv: false,
      reject: false,
    });
    let output = '';
    let exited = false;
    child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    void child.finally(() => void (exited = true));
    try {
      await waitFor(async () => /listening on port \d+/.test(output) || exited, 60_000);
      const port = /listening on port (\d+)/.exec(output)?.[1];
      expect(port).toBeDefined();
      const hello = await fetch(`http://127.0.0.1:${port}/hello`);
      expect(await hello.text()).toBe('hi');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const ended = await child;
    expect({ exitCode: ended.exitCode, stderr: ended.stderr }).toEqual({ exitCode: 0, stderr: '' });
  }, 120_000);
});
