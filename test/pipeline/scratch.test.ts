import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanDeadScratch, scratchPrefix } from '../../src/lib/pipeline/scratch.ts';
import { repoRoot } from '../helpers/cli.ts';

let dir: string;
let deadPid: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidbot-scratch-'));
  // A pid that surely existed and is surely gone (reaped by execa before it resolves).
  const gone = execa(process.execPath, ['-e', '']);
  deadPid = gone.pid ?? 0;
  await gone;
  expect(() => process.kill(deadPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const freshWorkDir = async (): Promise<string> => mkdtemp(join(dir, 'work-'));
const prefixOf = (pid: number): string => scratchPrefix().replace(`-${process.pid}-`, `-${pid}-`);
const daysAgo = (days: number): Date => new Date(Date.now() - days * 24 * 60 * 60 * 1000);

const until = async <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('scratchPrefix', () => {
  it('names the host (sanitised) and this process', () => {
    const prefix = scratchPrefix();
    expect(prefix).toMatch(/^run-[A-Za-z0-9.-]+-\d+-$/);
    expect(prefix.endsWith(`-${process.pid}-`)).toBe(true);
    expect(prefix).toBe(`run-${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}-${process.pid}-`);
  });
});

describe('cleanDeadScratch', () => {
  it('removes folders of dead pids of this host and day-old unowned ones, and nothing else', async () => {
    const work = await freshWorkDir();
    const dead = await mkdtemp(join(work, prefixOf(deadPid)));
    await mkdir(join(dead, '.local-render-abc'));
    await writeFile(join(dead, 'video.mp4'), Buffer.alloc(1000));
    await writeFile(join(dead, '.local-render-abc', 'line-0.txt'), 'hello');
    const live = await mkdtemp(join(work, scratchPrefix()));
    const pidOne = await mkdtemp(join(work, prefixOf(1)));
    // Another container on the same volume: its pids mean nothing here.
    const otherHost = join(work, `run-other-host.example-${deadPid}-Ab12Cd`);
    await mkdir(otherHost);
    const oldUnowned = join(work, 'run-Xy34Zw');
    await mkdir(oldUnowned);
    await writeFile(join(oldUnowned, 'part.mp4'), Buffer.alloc(234));
    await utimes(oldUnowned, daysAgo(2), daysAgo(2));
    const freshUnowned = await mkdtemp(join(work, 'run-'));
    const unrelated = join(work, 'cache');
    await mkdir(unrelated);
    await utimes(unrelated, daysAgo(2), daysAgo(2));
    // A file, not a folder, with a dead run's name.
    await writeFile(join(work, `${prefixOf(deadPid)}Qq11Ww`), 'x');

    const result = await cleanDeadScratch(work);

    expect([...result.removed].sort()).toEqual([basename(dead), basename(oldUnowned)].sort());
    expect(result.bytes).toBe(1000 + 5 + 234);
    expect((await readdir(work)).sort()).toEqual(
      [basename(live), basename(pidOne), basename(otherHost), basename(freshUnowned), 'cache', `${prefixOf(deadPid)}Qq11Ww`].sort(),
    );
    expect(await cleanDeadScratch(work)).toEqual({ removed: [], bytes: 0 });
  });

  it('treats a missing work folder as empty', async () => {
    expect(await cleanDeadScratch(join(dir, 'never-made'))).toEqual({ removed: [], bytes: 0 });
  });

  it('cleans the run folder a SIGKILLed pipeline left behind', async () => {
    const work = await freshWorkDir();
    const marker = join(dir, 'generating');
    const src = (path: string) => JSON.stringify(pathToFileURL(join(repoRoot, 'src', 'lib', path)).href);
    // A pipeline whose provider stalls once it has its scratch folder, so the test can kill it mid-run.
    const code = `
      import { writeFileSync } from 'node:fs';
      import { createPipeline } from ${src('pipeline/create-pipeline.ts')};
      const provider = { name: 'stall', defaultModel: 'stall', capabilities: () => ({ imageToVideo: false, ai: false }),
        generate: async (_request, { workDir }) => {
          writeFileSync(${JSON.stringify(marker)}, workDir);
          await new Promise((resolve) => setTimeout(resolve, 120_000));
        } };
      const polisher = { polish: async (prompt) => ({ prompt, polished: false }) };
      await createPipeline({ polisher, provider, compressor: {}, mediaHost: {}, workDir: ${JSON.stringify(work)} })
        .run({ prompt: 'a fox', orientation: 'portrait', durationSec: 2, polish: false, useCache: false });
    `;
    const child = execa(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', code], {
      reject: false,
      stdin: 'ignore',
    });
    const scratch = await until(async () => (await readFile(marker, 'utf8').catch(() => '')) || undefined, 'the run started');
    expect(basename(scratch).startsWith(prefixOf(child.pid ?? 0))).toBe(true);

    child.kill('SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
    expect(await readdir(work)).toEqual([basename(scratch)]);

    expect((await cleanDeadScratch(work)).removed).toEqual([basename(scratch)]);
    expect(await readdir(work)).toEqual([]);
  });
});
