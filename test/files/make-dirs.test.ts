/** Making vidbot's folders (`mkdir -p` that answers, where Node's recursive mkdir never returns: /proc), and where `-o` writes. */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirs, makeDirsSync, outputPathFor } from '../../src/lib/files.ts';
import { loadLocalAuthToken } from '../../src/lib/channel/twilio/local-token.ts';
import { openDatabase } from '../../src/lib/sqlite/open.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-dirs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('makeDirs', () => {
  it('makes every missing folder, and is content with one that exists', async () => {
    const deep = join(root, 'a', 'b', 'c');
    await makeDirs(deep);
    expect((await stat(deep)).isDirectory()).toBe(true);
    await makeDirs(deep);
    makeDirsSync(join(deep, 'd'));
    expect((await stat(join(deep, 'd'))).isDirectory()).toBe(true);
  });

  it('fails at once under /proc, where no folder can be made (the recursive mkdir of Node spins there forever)', async () => {
    await expect(makeDirs('/proc/vidbot-data/media')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => makeDirsSync('/proc/vidbot-data')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    // What `vidbot status` opens first: a clear error, where it hung.
    expect(() => openDatabase('/proc/vidbot-data/vidbot.db')).toThrow(expect.objectContaining({ code: 'VIDBOT_STORE_FAILED' }));
    // What `vidbot serve` makes first without Twilio's token: the folder is named, not the token's own remedy.
    const token = await loadLocalAuthToken({ dataDir: '/proc/vidbot-data' }).catch((error: unknown) => error);
    expect(token).toMatchObject({ code: 'VIDBOT_STORE_FAILED', hint: 'Set VIDBOT_DATA_DIR to a folder you can write to.' });
    expect((token as Error).message).toMatch(/^Cannot create the data folder \/proc\/vidbot-data: /);
  });

  it('says a file stands where a folder should be', async () => {
    await writeFile(join(root, 'file'), '');
    await expect(makeDirs(join(root, 'file', 'media'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('outputPathFor', () => {
  it('puts the video in a folder named as the output, under its default name, as cp does', async () => {
    await makeDirs(join(root, 'videos'));
    expect(await outputPathFor(root, 'videos', 'a-fox.mp4')).toBe(join(root, 'videos', 'a-fox.mp4'));
    expect(await outputPathFor(root, 'later/', '/elsewhere/clip.whatsapp.mp4')).toBe(join(root, 'later', 'clip.whatsapp.mp4'));
    expect(await outputPathFor(root, undefined, 'a-fox.mp4')).toBe(join(root, 'a-fox.mp4'));
    expect(await outputPathFor(root, 'fox.mp4', 'a-fox.mp4')).toBe(join(root, 'fox.mp4'));
    // Not a folder: the name is the file's, and it must be an MP4's.
    await expect(outputPathFor(root, 'notes.txt', 'a-fox.mp4')).rejects.toMatchObject({ code: 'VIDBOT_INPUT_INVALID' });
    await expect(outputPathFor(root, ' ', 'a-fox.mp4')).rejects.toThrow('The output file has no name.');
  });
});
