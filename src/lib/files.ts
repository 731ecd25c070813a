import { createHash, randomBytes } from 'node:crypto';
import { constants, mkdirSync, statSync } from 'node:fs';
import { access, copyFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { vidbotError } from './errors.ts';

/** A file's first `count` bytes (fewer for a shorter file), for sniffing its type; throws as open() does. */
export const readHead = async (file: string, count: number): Promise<Buffer> => {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(count);
    const { bytesRead } = await handle.read(head, 0, count, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** The folders of `dir` that do not exist yet, the outermost first; throws what stat throws but ENOENT. */
const missingFolders = (dir: string, exists: (folder: string) => boolean): string[] => {
  const missing: string[] = [];
  for (let folder = resolve(dir); !exists(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  return missing;
};

const existsNow = (folder: string): boolean => {
  try {
    statSync(folder);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
};

/**
 * `mkdir -p`, one folder at a time. Node's recursive mkdir never returns where mkdir answers ENOENT
 * under a folder that exists (anywhere in /proc): `VIDBOT_DATA_DIR=/proc/x` hung status and doctor.
 */
export const makeDirs = async (dir: string): Promise<void> => {
  for (const folder of missingFolders(dir, existsNow)) {
    await mkdir(folder).catch((error: unknown) => {
      if (code(error) !== 'EEXIST') throw error;
    });
  }
};

/** makeDirs, for code that cannot wait (opening the database). */
export const makeDirsSync = (dir: string): void => {
  for (const folder of missingFolders(dir, existsNow)) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if (code(error) !== 'EEXIST') throw error;
    }
  }
};

/** Fails early, before any work, when `file` could not be written: missing folder, no permission, a directory. */
export const assertWritableOutput = async (file: string): Promise<string> => {
  const target = resolve(file);
  const folder = dirname(target);
  const unwritable = (reason: string) =>
    vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Cannot write ${target}: ${reason}.`);
  const folderStat = await stat(folder).catch(() => null);
  if (folderStat !== null && !folderStat.isDirectory()) throw unwritable(`${folder} is a file, not a folder`);
  if (!folderStat?.isDirectory()) throw unwritable(`the folder ${folder} does not exist`);
  if (await stat(target).then((s) => s.isDirectory(), () => false)) throw unwritable('it is a directory');
  await access(folder, constants.W_OK).catch(() => {
    throw unwritable(`no permission to write in ${folder}`);
  });
  // Permission bits do not tell everything (a read-only mount, a system folder root may not write
  // in): a file made and removed there does, before minutes of rendering rather than after.
  const probe = partialPathFor(target);
  await writeFile(probe, '', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EROFS') throw unwritable(`${folder} is on a read-only file system`);
    if (error.code === 'EACCES' || error.code === 'EPERM') throw unwritable(`no permission to write in ${folder}`);
    if (error.code === 'ENOSPC' || error.code === 'EDQUOT') throw unwritable(`no space left in ${folder}`);
    // A folder no file can be made in (a system one such as /proc): its own code says why.
    throw unwritable(`no file can be made in ${folder} (${error.code ?? error.message})`);
  });
  await rm(probe, { force: true });
  return target;
};

/**
 * Fails when `file` is named for another kind of file than the MP4 vidbot writes (`-o notes.txt`):
 * players, WhatsApp and file managers go by the name.
 */
export const assertMp4Name = (file: string): void => {
  if (file.trim() === '') throw vidbotError('VIDBOT_INPUT_INVALID', 'The output file has no name.', { hint: 'Name it, e.g. a-fox.mp4.' });
  if (/\.(mp4|m4v)$/i.test(file)) return;
  const name = basename(file);
  const suggested = `${name.replace(/\.[^.]*$/, '') || 'video'}.mp4`;
  // A name without an extension may have been meant as a folder that does not exist yet.
  const folder = /\.[^.]*$/.test(name) ? '' : ` (or ${name}/ for a folder to put it in, once it exists)`;
  throw vidbotError('VIDBOT_INPUT_INVALID', `Cannot write an MP4 video as ${name}: its name should end in .mp4.`, {
    hint: `Name the output ${suggested}${folder}.`,
  });
};

/**
 * The file `-o` names: a folder (one that exists, or a name ending in a slash) gets the video under
 * its default name, as `cp` does; any other name must end in .mp4.
 */
export const outputPathFor = async (cwd: string, output: string | undefined, defaultPath: string): Promise<string> => {
  if (output === undefined) return resolve(cwd, defaultPath);
  if (output.trim() !== '') {
    const target = resolve(cwd, output);
    const folder = /[/\\]$/.test(output) || (await stat(target).then((found) => found.isDirectory(), () => false));
    if (folder) return join(target, basename(defaultPath));
  }
  assertMp4Name(output);
  return resolve(cwd, output);
};

/** A hidden name beside `target`, so the final rename stays on one file system. */
export const partialPathFor = (target: string): string =>
  join(dirname(target), `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`);

/** Copies so that `target` is either absent or complete: never half-written. */
export const copyFileAtomically = async (source: string, target: string): Promise<void> => {
  const partial = partialPathFor(target);
  try {
    await copyFile(source, partial);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Cannot write ${target}: ${(error as Error).message}`, { cause: error });
  }
};

/** A file name from a prompt: "A fox, running!" -> "a-fox-running". */
export const slugify = (text: string, maxLength = 48): string => {
  const full = text
    .normalize('NFKD')
    // The accents NFKD split off go (crème -> creme), rather than becoming dashes (cre-me).
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  // Cut between words where it can ("...-sailing-do" reads as a typo).
  const cut = full.slice(0, maxLength);
  const whole = full.length > maxLength && full[maxLength] !== '-' && cut.includes('-') ? cut.replace(/-[^-]*$/, '') : cut;
  return (
    whole.replace(/-+$/, '') ||
    // Nothing to spell (a prompt of emoji): a name of its own all the same, so two such prompts do not share one.
    `video-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`
  );
};
