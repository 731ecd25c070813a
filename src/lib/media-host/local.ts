import { randomBytes } from 'node:crypto';
import { copyFile, link, rename, rm, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { throwIfAborted, vidbotError } from '../errors.ts';
import type { MediaHost, PublishedMedia, PublishOptions } from './port.ts';
import { makeDirs } from '../files.ts';

export interface LocalMediaHostOptions {
  /** Folder the published files live in; created on first publish. */
  readonly dir: string;
  /** Public origin of vidbot's server, e.g. https://bot.example.com; files are served under /media/. */
  readonly publicBaseUrl?: string;
  /** The folder is one every process mounts (VIDBOT_MEDIA_DIR), so a file one machine published another can serve. */
  readonly shared?: boolean;
}

/** 16 random bytes in base64url, optionally followed by the extension publish gives the file. */
const ID_PATTERN = /^([A-Za-z0-9_-]{22})(\.mp4)?$/;

/** The bare id when `id` is well formed, else undefined; nothing else ever reaches the file system. */
const parseId = (id: string): string | undefined => ID_PATTERN.exec(id)?.[1];

const newId = (): string => randomBytes(16).toString('base64url');

/** Serves published videos from a local folder under unguessable names. */
export const createLocalMediaHost = (options: LocalMediaHostOptions): MediaHost => {
  const dir = resolvePath(options.dir);
  const base = options.publicBaseUrl?.replace(/\/+$/, '');
  const fileFor = (bareId: string): string => join(dir, `${bareId}.mp4`);

  const urlFor = (id: string): string | undefined => {
    const bareId = parseId(id);
    return base !== undefined && base !== '' && bareId !== undefined ? `${base}/media/${bareId}.mp4` : undefined;
  };

  return {
    name: 'local',
    shared: options.shared ?? false,
    urlFor,

    async publish(file: string, publishOptions?: PublishOptions): Promise<PublishedMedia> {
      throwIfAborted(publishOptions?.signal);
      const source = resolvePath(file);
      const info = await stat(source).catch((error: unknown) => {
        throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Cannot publish ${source}: file not found.`, { cause: error });
      });
      if (!info.isFile()) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Cannot publish ${source}: not a file.`);

      const id = newId();
      const target = fileFor(id);
      // A dot-prefixed temp name that no id can match, renamed into place so readers never see half a file.
      const temp = join(dir, `.${id}.${process.pid}.tmp`);
      try {
        await makeDirs(dir);
        try {
          // A hard link costs nothing when the work folder and media folder share a file system.
          await link(source, temp);
        } catch {
          await copyFile(source, temp);
        }
        throwIfAborted(publishOptions?.signal);
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        if (publishOptions?.signal?.aborted) throw error;
        throw vidbotError('VIDBOT_STORE_FAILED', `Cannot write the published video into ${dir}.`, { cause: error });
      }
      publishOptions?.onProgress?.({ percent: 100, message: 'published' });
      const url = urlFor(id);
      return { id, path: target, host: 'local', ...(url === undefined ? {} : { url }) };
    },

    async resolve(id: string): Promise<string | null> {
      if (typeof id !== 'string') return null;
      const bareId = parseId(id);
      if (bareId === undefined) return null;
      const path = fileFor(bareId);
      const info = await stat(path).catch(() => undefined);
      return info?.isFile() ? path : null;
    },
  };
};
