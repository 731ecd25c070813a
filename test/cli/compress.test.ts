import { basename, extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { howMade } from '../../src/cli/commands/compress.ts';
import type { MediaInfo } from '../../src/lib/domain.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import {
  listDir,
  makeAudioOnly,
  makeCompliantClip,
  makeEmptyFile,
  makeHighBitrateClip,
  makeTextFile,
  makeTruncatedMp4,
} from '../helpers/media.ts';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
const inputs: Record<string, string> = {};
let inputDir: string;
let outDir: string;

beforeAll(async () => {
  sandbox = await makeSandbox();
  inputDir = join(sandbox.root, 'in');
  outDir = join(sandbox.root, 'out');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(inputDir);
  await mkdir(outDir);
  inputs.compliant = await makeCompliantClip('ffmpeg', inputDir);
  inputs.big = await makeHighBitrateClip('ffmpeg', inputDir, 6);
  inputs.audioOnly = await makeAudioOnly('ffmpeg', inputDir);
  inputs.text = await makeTextFile(inputDir);
  inputs.empty = await makeEmptyFile(inputDir);
  inputs.truncated = await makeTruncatedMp4('ffmpeg', inputDir, false);
});
afterAll(() => sandbox.cleanup());

const cli = (args: string[]) => runCli(args, { env: sandbox.env, cwd: sandbox.root });

describe('vidbot compress', () => {
  it('remuxes a compliant clip and reports it as JSON', async () => {
    const out = join(outDir, 'ok.mp4');
    const result = await cli(['compress', inputs.compliant ?? '', '-o', out, '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, mode: 'remux', file: out, video: { codec: 'h264' } });
    // A folder as the output (as cp takes one): the video goes in it under its default name.
    const intoFolder = await cli(['compress', inputs.compliant ?? '', '-o', 'out', '--json']);
    expect(intoFolder.exitCode).toBe(0);
    const named = `${basename(inputs.compliant ?? '', extname(inputs.compliant ?? ''))}.whatsapp.mp4`;
    expect(JSON.parse(intoFolder.stdout)).toMatchObject({ ok: true, file: join(outDir, named) });
  });

  it('re-encodes a large clip under --max-bytes, using most of the budget', async () => {
    const out = join(outDir, 'small.mp4');
    const result = await cli(['compress', inputs.big ?? '', '-o', out, '--max-bytes', '1500000']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(out);
    expect(result.stdout).toMatch(/re-encoded in \d pass/);
    const json = JSON.parse((await cli(['compress', inputs.big ?? '', '-o', out, '--max-bytes', '1500000', '--json', '--force'])).stdout);
    expect(json.sizeBytes).toBeLessThanOrEqual(1_500_000);
    expect(json.budgetUsed).toBeGreaterThanOrEqual(0.9);
  });

  it.each([
    ['a missing file', () => join(inputDir, 'nope.mp4'), 66, 'VIDBOT_FILE_NOT_FOUND'],
    ['a text file', () => inputs.text ?? '', 65, 'VIDBOT_MEDIA_INVALID'],
    ['a zero-length file', () => inputs.empty ?? '', 65, 'VIDBOT_MEDIA_INVALID'],
    ['a truncated file', () => inputs.truncated ?? '', 65, 'VIDBOT_MEDIA_INVALID'],
    ['an audio-only file', () => inputs.audioOnly ?? '', 65, 'VIDBOT_MEDIA_INVALID'],
  ])('rejects %s with a clear error and leaves no output', async (_name, input, exitCode, code) => {
    const result = await cli(['compress', input(), '-o', join(outDir, 'bad.mp4')]);
    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toContain(code);
    expect(result.stderr.split('\n')[0]?.length).toBeLessThan(300);
    expect((await listDir(outDir)).filter((f) => f.startsWith('bad') || f.startsWith('.bad'))).toEqual([]);
  });

  it('writes <name>.whatsapp.mp4 beside the input, and replaces it only with --force; a missing input is said first', async () => {
    const input = inputs.compliant ?? '';
    const expected = join(inputDir, `${basename(input, extname(input))}.whatsapp.mp4`);
    const first = await cli(['compress', input, '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, file: expected });
    const again = await cli(['compress', input]);
    expect(again.exitCode).toBe(73);
    expect(again.stderr).toMatch(/^✖ .* already exists; nothing was compressed\..*\n {2}hint: Pass --force to replace it/);
    expect((await cli(['compress', input, '--force'])).exitCode).toBe(0);
    // Before any progress line: nothing started.
    expect((await cli(['compress', join(inputDir, 'nope.mp4')])).stderr).toMatch(/^✖ No video at /);
  });

  it('says an interruption (Ctrl-C, SIGTERM) as one: exit 130, nothing written', async () => {
    const out = join(outDir, 'interrupted.mp4');
    const result = await runCli(['compress', inputs.big ?? '', '-o', out, '--max-bytes', '1500000'], { env: sandbox.env, cwd: sandbox.root, signal: AbortSignal.abort() });
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('✖ Interrupted; nothing was written. [VIDBOT_CANCELED]');
    expect(result.stderr).toContain('hint: Run the command again to start over.');
    expect(await listDir(outDir)).not.toContain('interrupted.mp4');
  });

  it('refuses a --max-bytes too small for any sane encode, quickly and without output', async () => {
    const started = Date.now();
    const result = await cli(['compress', inputs.big ?? '', '-o', join(outDir, 'tiny.mp4'), '--max-bytes', '20000']);
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain('VIDBOT_SIZE_LIMIT_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await listDir(outDir)).filter((f) => f.includes('tiny'))).toEqual([]);
  });

  it('rejects a non-numeric --max-bytes and an unwritable output', async () => {
    const bad = await cli(['compress', inputs.compliant ?? '', '--max-bytes', 'lots']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--max-bytes must be a whole number');
    const unwritable = await cli(['compress', inputs.compliant ?? '', '-o', join(sandbox.root, 'no', 'dir.mp4')]);
    expect(unwritable.exitCode).toBe(73);
  });
});

describe('what compress says it did', () => {
  const media = (audio?: string) => ({ file: 'x.mp4', sizeBytes: 1, durationSec: 1, formatName: 'mp4', ...(audio ? { audio: { codec: audio } } : {}) }) as MediaInfo;
  const result = (input: MediaInfo, output: MediaInfo, mode: 'remux' | 'reencode' = 'remux', passes = 0) => ({ file: 'x.mp4', mode, passes, input, output, maxBytes: 1 });

  it('calls a copied video with its sound encoded what it is, not "already compliant"', () => {
    expect(howMade(result(media('aac'), media('aac')))).toBe('remuxed (already compliant)');
    expect(howMade(result(media('pcm_s16le'), media('aac')))).toBe('video copied, sound encoded as AAC (was pcm_s16le)');
    expect(howMade(result(media(), media('aac')))).toBe('video copied, a silent AAC track added');
    expect(howMade(result(media('aac'), media('aac'), 'reencode', 2))).toBe('re-encoded in 2 passes');
  });
});
