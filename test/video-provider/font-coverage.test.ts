/**
 * The local preview leaves out what its font cannot draw (drawtext draws a box for it): the font's
 * cmap read from the file (fonts built here byte by byte, so the test needs no installed font), and
 * the prompt's text as the provider hands it to ffmpeg.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFfmpegFeatures } from '../../src/lib/ffmpeg/features.ts';
import { readFontCoverage } from '../../src/lib/video-provider/font-coverage.ts';
import { drawableText } from '../../src/lib/video-provider/local-text.ts';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import { FFMPEG, request } from './local-clips.ts';

const u16 = (...values: number[]): Buffer => Buffer.from(values.flatMap((value) => [(value >> 8) & 0xff, value & 0xff]));
const u32 = (...values: number[]): Buffer => Buffer.concat(values.map((value) => { const bytes = Buffer.alloc(4); bytes.writeUInt32BE(value >>> 0); return bytes; }));

/** A format 4 subtable: ASCII by delta; U+0100..0102 with U+0101 on glyph 0; U+4E00..4E01 through the glyph array, U+4E01 on glyph 0. */
const format4 = (): Buffer => {
  const ends = [0x7e, 0x102, 0x4e01, 0xffff];
  const starts = [0x20, 0x100, 0x4e00, 0xffff];
  const deltas = [(1 - 0x20) & 0xffff, (0x10000 - 0x101) & 0xffff, 0, 1];
  // The third segment's offset leads from its own slot to the glyph array's first entry.
  const rangeOffsets = [0, 0, 2 * (ends.length - 2), 0];
  const body = Buffer.concat([u16(...ends), u16(0), u16(...starts), u16(...deltas), u16(...rangeOffsets), u16(5, 0)]);
  return Buffer.concat([u16(4, 14 + body.length, 0, ends.length * 2, 0, 0, 0), body]);
};

/** A format 12 subtable: ASCII, and one emoji (U+1F98A). */
const format12 = (): Buffer => {
  const groups = [[0x20, 0x7e, 1], [0x1f98a, 0x1f98a, 200]] as const;
  return Buffer.concat([u16(12, 0), u32(16 + groups.length * 12, 0, groups.length), ...groups.map((group) => u32(...group))]);
};

const cmapOf = (subtables: ReadonlyArray<readonly [platform: number, encoding: number, table: Buffer]>): Buffer => {
  let at = 4 + subtables.length * 8;
  const records = subtables.map(([platform, encoding, table]) => {
    const record = Buffer.concat([u16(platform, encoding), u32(at)]);
    at += table.length;
    return record;
  });
  return Buffer.concat([u16(0, subtables.length), ...records, ...subtables.map(([, , table]) => table)]);
};

/** A font file holding only its cmap (all a coverage needs); `collection` wraps it as a .ttc. */
const fontFile = (cmap: Buffer, collection = false): Buffer => {
  const start = collection ? 16 : 0;
  const table = Buffer.concat([u32(0x00010000), u16(1, 0, 0, 0), Buffer.from('cmap', 'latin1'), u32(0, start + 28, cmap.length)]);
  return Buffer.concat([...(collection ? [Buffer.from('ttcf', 'latin1'), u32(0x00010000, 1, 16)] : []), table, cmap]);
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-font-coverage-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const write = async (name: string, bytes: Buffer): Promise<string> => {
  const file = join(root, name);
  await writeFile(file, bytes);
  return file;
};
const codes = (text: string): number[] => Array.from(text, (char) => char.codePointAt(0) ?? 0);

describe('a font file read for what it can draw', () => {
  it("reads a BMP cmap (format 4): characters by delta and through the glyph array, those on glyph 0 missing", async () => {
    const covers = await readFontCoverage(await write('bmp.ttf', fontFile(cmapOf([[3, 1, format4()]]))));
    expect(covers).toBeDefined();
    expect(codes(' AZaz~').map((code) => covers?.(code))).toEqual([true, true, true, true, true, true]);
    expect([0x1f, 0x7f, 0x100, 0x101, 0x102, 0x4e00, 0x4e01, 0x1f98a].map((code) => covers?.(code))).toEqual([false, false, true, false, true, true, false, false]);
  });

  it('prefers the full-Unicode cmap (format 12) when a font has both, and reads the first font of a collection', async () => {
    const both = cmapOf([[3, 1, format4()], [3, 10, format12()]]);
    for (const file of [await write('full.ttf', fontFile(both)), await write('full.ttc', fontFile(both, true))]) {
      const covers = await readFontCoverage(file);
      expect([0x41, 0x1f98a, 0x4e00].map((code) => covers?.(code))).toEqual([true, true, false]);
    }
  });

  it('answers nothing, rather than failing the render, for a file that is not a font it can read', async () => {
    expect(await readFontCoverage(await write('text.ttf', Buffer.from('not a font at all')))).toBeUndefined();
    expect(await readFontCoverage(await write('empty.ttf', Buffer.alloc(0)))).toBeUndefined();
    expect(await readFontCoverage(join(root, 'missing.ttf'))).toBeUndefined();
    // A cmap with no Unicode subtable (Macintosh Roman only).
    expect(await readFontCoverage(await write('mac.ttf', fontFile(cmapOf([[1, 0, format4()]]))))).toBeUndefined();
  });
});

describe('the prompt as the preview draws it', () => {
  const ascii = (code: number): boolean => code >= 0x20 && code <= 0x7e;
  const withHeart = (code: number): boolean => ascii(code) || code === 0x2764;

  it('leaves out, whole, each grapheme the font lacks (emoji, CJK), and the marks no font draws alone', () => {
    expect(drawableText('🦊 a fox 🌃 in a neon city 🎉 狐狸 at night', ascii)).toBe('a fox in a neon city at night');
    expect(drawableText('a👨‍👩‍👧b 👍🏽 c', ascii)).toBe('a b c');
    // A heart with its emoji selector is drawn as the plain heart; a keycap as its digit.
    expect(drawableText('I ❤️ 1️⃣ kites', withHeart)).toBe('I ❤ 1 kites');
    expect(drawableText('🦊🦊', ascii)).toBe('');
    // An accent typed apart from its letter is drawn with it, by a font that has the composed letter.
    expect(drawableText('cafe\u0301 at dawn', (code) => ascii(code) || code === 0xe9)).toBe('café at dawn');
  });

  it('hands ffmpeg the text without the characters its font cannot draw', async () => {
    const features = await detectFfmpegFeatures(FFMPEG);
    const font = await write('ascii.ttf', fontFile(cmapOf([[3, 1, format4()]])));
    // An ffmpeg that shows what it was asked to draw, then stops.
    const drawn = join(root, 'drawn.txt');
    const fake = join(root, 'drawing-ffmpeg.sh');
    await writeFile(fake, `#!/bin/sh\nfor line in line-*.txt; do cat "$line"; echo; done > ${drawn}\nexit 1\n`);
    await chmod(fake, 0o755);
    const provider = createLocalProvider({ ffmpeg: fake, fontFile: font, ...(features ? { features } : {}) });
    await expect(provider.generate(request('🦊 a fox in the snow 狐 ❄️'), { workDir: await mkdtemp(join(root, 'work-')) })).rejects.toThrow();
    expect((await readFile(drawn, 'utf8')).trim().split('\n').join(' ')).toBe('a fox in the snow');
  });
});
