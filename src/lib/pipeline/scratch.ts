import { lstat, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Folders from before names carried an owner are removed only once surely abandoned. */
const UNOWNED_MAX_AGE_MS = 24 * 60 * 60 * 1000;
// mkdtemp appends six characters from [A-Za-z0-9].
const UNOWNED = /^run-[A-Za-z0-9]{6}$/;
const OWNED_REST = /^(\d+)-[A-Za-z0-9]{6}$/;

export interface ScratchCleanup {
  /** Names of the folders removed. */
  readonly removed: readonly string[];
  /** Bytes of the files in them. */
  readonly bytes: number;
}

const hostTag = (): string => hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'host';

/**
 * The mkdtemp prefix of a run folder, `run-<hostname>-<pid>-`, so a later start can tell whose
 * it is: a killed process never reaches its `finally`.
 */
export const scratchPrefix = (): string => `run-${hostTag()}-${process.pid}-`;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but someone else's. Anything odd: keep the folder.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
};

const sizeOf = async (dir: string): Promise<number> => {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) bytes += await lstat(join(entry.parentPath, entry.name)).then((s) => s.size, () => 0);
  }
  return bytes;
};

/**
 * Removes run folders in `workDir` left by dead processes of this host, and unowned (old-style)
 * ones older than a day. Folders of other hostnames (another container on the same volume, whose
 * pids mean nothing here) and of live pids are kept.
 */
export const cleanDeadScratch = async (workDir: string): Promise<ScratchCleanup> => {
  const now = Date.now();
  const ownPrefix = `run-${hostTag()}-`;
  const entries = await readdir(workDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const removed: string[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = join(workDir, entry.name);
    const pid = entry.name.startsWith(ownPrefix) ? OWNED_REST.exec(entry.name.slice(ownPrefix.length))?.[1] : undefined;
    const dead =
      pid !== undefined
        ? !isAlive(Number(pid))
        : UNOWNED.test(entry.name) && now - (await lstat(path).then((s) => s.mtimeMs, () => now)) > UNOWNED_MAX_AGE_MS;
    if (!dead) continue;
    const size = await sizeOf(path);
    // A folder that cannot be removed now is tried again at the next start.
    if (await rm(path, { recursive: true, force: true }).then(() => true, () => false)) {
      removed.push(entry.name);
      bytes += size;
    }
  }
  return { removed, bytes };
};
