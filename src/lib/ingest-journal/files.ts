/**
 * A journal's files: `<database>-ingest-<pid>-<started>-<n>`, appended to with one write per turn of the
 * event loop and replaced by the next once past a size, each removed (the last one emptied) once
 * every unit in it is in the tables. Beside them `<database>-ingest-<pid>-<started>-lock`, a SQLite file its process holds an
 * exclusive lock on while it lives: the operating system drops the lock when the process ends,
 * however it ends, so another process (another container on the same volume too) tells a live
 * journal from one a crash left without trusting process ids.
 */
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** A new file past this size: a crash's replay reads a few of them, not one of any size. */
export const JOURNAL_FILE_BYTES = 8 * 1024 * 1024;

const LOCK = 'lock';

interface Segment {
  readonly path: string;
  /** The last unit written to it (0: none yet). */
  lastSeq: number;
}

export interface JournalFiles {
  /** Appends the text (whole lines); on failure the file is as it was, and the error thrown. */
  append(text: string, lastSeq: number): void;
  /** Removes the files whose every unit is written to the tables. */
  release(writtenSeq: number): void;
  /** Closes and removes every file (all units written). */
  removeAll(): void;
  /** Empties the file being written (every unit in it is in the tables). */
  emptied(): void;
  /** Closes the files and lets go of the lock, leaving them for the next process to replay. */
  letGo(): void;
}

const prefixOf = (database: string): string => `${basename(database)}-ingest-`;

/** Holds the journal's lock until released; throws when another connection holds it. */
const holdLock = (path: string): DatabaseSync => {
  const lock = new DatabaseSync(path, { timeout: 0 });
  try {
    // One write in exclusive locking mode: the lock stays until the connection closes; with the
    // rollback journal in memory, no second file beside it.
    lock.exec('PRAGMA journal_mode = MEMORY; PRAGMA locking_mode = EXCLUSIVE; PRAGMA user_version = 1');
  } catch (error) {
    lock.close();
    throw error;
  }
  return lock;
};

export const openJournalFiles = (database: string, journal: string, fileBytes = JOURNAL_FILE_BYTES): JournalFiles => {
  const stem = join(dirname(database), `${prefixOf(database)}${journal}-`);
  const segments: Segment[] = [];
  let fd: number | undefined;
  let size = 0;
  /** Files opened so far: each new one gets the next number, never one an older file may still have. */
  let opened = 0;
  let lock: DatabaseSync | undefined;

  const current = (): number => {
    // Taken before the first line is written: no file of this journal exists unlocked while it lives.
    lock ??= holdLock(`${stem}${LOCK}`);
    if (fd === undefined) {
      opened += 1;
      const path = `${stem}${opened}`;
      fd = openSync(path, 'a');
      size = 0;
      segments.push({ path, lastSeq: 0 });
    }
    return fd;
  };

  return {
    append(text, lastSeq) {
      const target = current();
      const bytes = Buffer.from(text);
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(target, bytes, written);
      } catch (error) {
        // A partial line would spoil the next one: cut the file back to its last whole line.
        try {
          ftruncateSync(target, size);
        } catch {
          // The replay leaves out a torn line; what follows it is lost only if this fails too.
        }
        throw error;
      }
      size += bytes.length;
      const segment = segments.at(-1);
      if (segment !== undefined) segment.lastSeq = lastSeq;
      if (size >= fileBytes) {
        closeSync(target);
        fd = undefined;
      }
    },
    release(writtenSeq) {
      while (segments.length > 1 || (segments.length === 1 && fd === undefined)) {
        const oldest = segments[0];
        if (oldest === undefined || oldest.lastSeq > writtenSeq) return;
        rmSync(oldest.path, { force: true });
        segments.shift();
      }
    },
    removeAll() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      for (const segment of segments.splice(0)) rmSync(segment.path, { force: true });
      lock?.close();
      lock = undefined;
      rmSync(`${stem}${LOCK}`, { force: true });
    },
    emptied() {
      // Every line is in the tables: the messages' words need not wait on disk a second time.
      if (fd === undefined || size === 0) return;
      ftruncateSync(fd, 0);
      size = 0;
    },
    letGo() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      lock?.close();
      lock = undefined;
    },
  };
};

/** A journal a process that is gone left beside the database; its lock is held until `remove`. */
export interface FoundJournal {
  readonly journal: string;
  readonly paths: readonly string[];
  /** Its files' text, in order. */
  read(): string;
  /** Removes its files (once its units are in the tables). */
  remove(): void;
  /** Lets it be (its units could not be written): the next process to open the database tries again. */
  leave(): void;
}

/** A file another process replaying the same journal may have removed a moment ago reads as empty. */
const readIfThere = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
};

/** Journals left by processes that are gone: a live process's journal is locked, and its own to write. */
export const abandonedJournals = (database: string): FoundJournal[] => {
  const prefix = prefixOf(database);
  const dir = dirname(database);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const byJournal = new Map<string, Array<{ path: string; n: number }>>();
  for (const name of names) {
    const match = /^([0-9a-z]+-[0-9a-z]+)-(\d+)$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
    if (match === null) continue;
    const journal = match[1] ?? '';
    const files = byJournal.get(journal) ?? [];
    files.push({ path: join(dir, name), n: Number(match[2]) });
    byJournal.set(journal, files);
  }
  const found: FoundJournal[] = [];
  for (const [journal, files] of byJournal) {
    const lockPath = join(dir, `${prefix}${journal}-${LOCK}`);
    let lock: DatabaseSync;
    try {
      lock = holdLock(lockPath);
    } catch {
      continue; // Its process is alive (or another process is writing it right now).
    }
    const paths = files.sort((a, b) => a.n - b.n).map((file) => file.path);
    found.push({
      journal,
      paths,
      // Each file ends with a whole line unless its process died mid-write; joined on a line break
      // so a torn end stays one unreadable line rather than spoiling the next file's first.
      read: () => paths.map(readIfThere).join('\n'),
      remove() {
        for (const path of paths) rmSync(path, { force: true });
        lock.close();
        rmSync(lockPath, { force: true });
      },
      leave: () => lock.close(),
    });
  }
  return found;
};
