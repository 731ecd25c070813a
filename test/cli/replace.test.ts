/** Asking before a command writes over a file, at a terminal (streams that say they are one). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.ts';
import { refuseToReplace } from '../../src/cli/replace.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A file that exists, and a terminal whose keys `type` sends once the question is asked. */
const atTerminal = async (type: string, signal = new AbortController().signal, onAsked?: () => void) => {
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-replace-'));
  dirs.push(dir);
  const file = join(dir, 'video.mp4');
  await writeFile(file, 'mine');
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  let asked = '';
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  stderr.on('data', (chunk: Buffer) => {
    asked += chunk.toString();
    if (!asked.includes('Replace it? [y/N] ')) return;
    onAsked?.();
    onAsked = undefined;
    if (type !== '') {
      stdin.write(type);
      type = '';
    }
  });
  const context: CliContext = { env: {}, cwd: dir, stdout: new PassThrough(), stderr, stdin, signal };
  return { file, context, asked: () => asked };
};

describe('replacing a file the user has', () => {
  it('replaces it on y, and refuses on anything else', async () => {
    const yes = await atTerminal('y\r');
    await expect(refuseToReplace(yes.context, yes.file, false, 'generated')).resolves.toBeUndefined();
    expect(yes.asked()).toContain(`${yes.file} exists. Replace it? [y/N] `);
    const no = await atTerminal('\r');
    // The answer is the reason: said as such, with no --force advice to someone who just declined.
    await expect(refuseToReplace(no.context, no.file, false, 'generated')).rejects.toMatchObject({
      code: 'VIDBOT_OUTPUT_UNWRITABLE',
      exitCode: 73,
      message: `Kept ${no.file} as it was; nothing was generated.`,
      hint: 'Use -o to write it under another name.',
    });
  });

  it('takes Ctrl-C at the question as an interruption (exit 130), not as a no', async () => {
    const key = await atTerminal('\x03');
    await expect(refuseToReplace(key.context, key.file, false, 'generated')).rejects.toMatchObject({
      code: 'VIDBOT_CANCELED',
      exitCode: 130,
      message: 'Interrupted; nothing was written.',
    });
    // The signal (SIGTERM, or Ctrl-C where the terminal sends it as one) the same way.
    const controller = new AbortController();
    const signalled = await atTerminal('', controller.signal, () => controller.abort());
    await expect(refuseToReplace(signalled.context, signalled.file, false, 'generated')).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
    expect(signalled.asked()).toContain('Replace it? [y/N] ');
  });
});
