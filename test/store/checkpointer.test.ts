/**
 * The WAL checkpoint thread lets its process end cleanly: stopping it is awaited with nothing else
 * left to keep the process alive (the last thing `vidbot serve` does on Ctrl-C), and must still
 * settle. Run in a process of its own on the built dist/, as users run it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs, in a process of its own: a WAL database, a checkpointer on `threadFile` started, `beforeStop`
 * awaited, then stop() awaited with nothing else alive. Prints "stopped" when stop() settled.
 */
const stopInProcess = async (threadFile: (dir: string) => string, beforeStop: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-checkpointer-'));
  dirs.push(dir);
  const module = pathToFileURL(join(repoRoot, 'dist', 'lib', 'sqlite', 'checkpointer.js')).href;
  const script = `
    import { DatabaseSync } from 'node:sqlite';
    import { createCheckpointer } from ${JSON.stringify(module)};
    const db = new DatabaseSync(${JSON.stringify(join(dir, 'wal.db'))});
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const checkpointer = createCheckpointer(db, ${JSON.stringify(threadFile(dir))}, { everyMs: 10 });
    checkpointer.start();
    ${beforeStop}
    await checkpointer.stop();
    db.close();
    console.log('stopped');
  `;
  return execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
};

describe('the checkpoint thread', () => {
  it('stops, and its process then exits 0, when nothing else keeps the process alive', async () => {
    const result = await stopInProcess((dir) => join(dir, 'wal.db'), 'await new Promise((resolve) => setTimeout(resolve, 50));');
    expect(result.stderr).not.toContain('unsettled top-level await');
    expect(result.stdout).toBe('stopped');
    expect(result.exitCode).toBe(0);
  });

  it('stops at once when the thread had already ended (it could not open the file)', async () => {
    // The thread fails on its first line; its failure hands checkpoints back to the writer (the
    // autocheckpoint returns to 1000), which is the sign it has ended before stop() is called.
    const result = await stopInProcess(
      (dir) => join(dir, 'missing', 'nested', 'wal.db'),
      `while (db.prepare('PRAGMA wal_autocheckpoint').get().wal_autocheckpoint !== 1000) await new Promise((resolve) => setTimeout(resolve, 5));
       await new Promise((resolve) => setTimeout(resolve, 50));`,
    );
    expect(result.stderr).not.toContain('unsettled top-level await');
    expect(result.stdout).toBe('stopped');
    expect(result.exitCode).toBe(0);
  });
});
