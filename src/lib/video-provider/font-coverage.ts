/**
 * Which characters a font file has glyphs for, read from its `cmap` table (TrueType, OpenType, and
 * the first font of a collection). drawtext draws a box for a character its one font lacks (an
 * emoji in DejaVu, Chinese without a CJK font): the preview leaves such characters out instead.
 * Only the header and the cmap are read, never the whole file (a CJK collection is ~20 MB).
 */
import { open } from 'node:fs/promises';

/** Whether the font has a glyph for a code point. */
export type Coverage = (codePoint: number) => boolean;

type Range = readonly [start: number, end: number];

const MAX_CMAP_BYTES = 16 * 1024 * 1024;

const tag = (bytes: Buffer, at: number): string => bytes.toString('latin1', at, at + 4);

/** Code point ranges of a format 12 subtable (32-bit groups: start, end, first glyph). */
const format12 = (cmap: Buffer, at: number): Range[] => {
  const groups = cmap.readUInt32BE(at + 12);
  const ranges: Range[] = [];
  for (let i = 0; i < groups; i += 1) {
    const group = at + 16 + i * 12;
    if (cmap.readUInt32BE(group + 8) === 0 && cmap.readUInt32BE(group) === cmap.readUInt32BE(group + 4)) continue;
    ranges.push([cmap.readUInt32BE(group), cmap.readUInt32BE(group + 4)]);
  }
  return ranges;
};

/** Code point ranges of a format 4 subtable (the BMP in segments; a code point mapped to glyph 0 is missing). */
const format4 = (cmap: Buffer, at: number): Range[] => {
  const segments = cmap.readUInt16BE(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  const ranges: Range[] = [];
  const add = (start: number, end: number): void => {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] + 1 === start) ranges[ranges.length - 1] = [last[0], end];
    else ranges.push([start, end]);
  };
  for (let i = 0; i < segments; i += 1) {
    const end = cmap.readUInt16BE(ends + i * 2);
    const start = cmap.readUInt16BE(starts + i * 2);
    const delta = cmap.readInt16BE(deltas + i * 2);
    const offsetAt = rangeOffsets + i * 2;
    const rangeOffset = cmap.readUInt16BE(offsetAt);
    if (start > end || start === 0xffff) continue;
    if (rangeOffset === 0) {
      // Every code point maps to (code + delta) mod 65536; only one of them can land on glyph 0.
      const zeroAt = (0x10000 - delta) & 0xffff;
      if (zeroAt < start || zeroAt > end) add(start, end);
      else {
        if (zeroAt > start) add(start, zeroAt - 1);
        if (zeroAt < end) add(zeroAt + 1, end);
      }
      continue;
    }
    for (let code = start; code <= end; code += 1) {
      const glyphAt = offsetAt + rangeOffset + (code - start) * 2;
      if (glyphAt + 2 > cmap.length) break;
      const glyph = cmap.readUInt16BE(glyphAt);
      if (glyph !== 0 && ((glyph + delta) & 0xffff) !== 0) add(code, code);
    }
  }
  return ranges;
};

/** The ranges of the best subtable: full Unicode (format 12) if there is one, else the BMP (format 4). */
const rangesOf = (cmap: Buffer): Range[] | undefined => {
  const count = cmap.readUInt16BE(2);
  let bmp: number | undefined;
  for (let i = 0; i < count; i += 1) {
    const record = 4 + i * 8;
    const platform = cmap.readUInt16BE(record);
    const encoding = cmap.readUInt16BE(record + 2);
    const at = cmap.readUInt32BE(record + 4);
    if (at + 4 > cmap.length) continue;
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    const format = cmap.readUInt16BE(at);
    if (format === 12) return format12(cmap, at);
    if (format === 4) bmp ??= at;
  }
  return bmp === undefined ? undefined : format4(cmap, bmp);
};

const lookup = (ranges: readonly Range[]): Coverage => {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  return (codePoint) => {
    let low = 0;
    let high = sorted.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const [start, end] = sorted[middle] ?? [0, -1];
      if (codePoint < start) high = middle - 1;
      else if (codePoint > end) low = middle + 1;
      else return true;
    }
    return false;
  };
};

/** The font's coverage; undefined when the file is not a font this can read (the text is then drawn as it is). */
export const readFontCoverage = async (file: string): Promise<Coverage | undefined> => {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  const read = async (at: number, length: number): Promise<Buffer> => {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, at);
    return bytes.subarray(0, bytesRead);
  };
  try {
    let font = 0;
    const head = await read(0, 16);
    if (head.length < 12) return undefined;
    if (tag(head, 0) === 'ttcf') font = head.readUInt32BE(12);
    const offsetTable = await read(font, 12);
    if (offsetTable.length < 12) return undefined;
    const tables = offsetTable.readUInt16BE(4);
    const records = await read(font + 12, tables * 16);
    for (let i = 0; i < tables && (i + 1) * 16 <= records.length; i += 1) {
      if (tag(records, i * 16) !== 'cmap') continue;
      // A cmap is kilobytes (a CJK font's, a few hundred): a larger length is a corrupt file's.
      const length = records.readUInt32BE(i * 16 + 12);
      if (length > MAX_CMAP_BYTES) return undefined;
      const cmap = await read(records.readUInt32BE(i * 16 + 8), length);
      const ranges = cmap.length >= 4 ? rangesOf(cmap) : undefined;
      return ranges === undefined ? undefined : lookup(ranges);
    }
    return undefined;
  } catch {
    // A truncated or odd file: drawn as before, boxes and all, rather than failing the render.
    return undefined;
  } finally {
    await handle.close();
  }
};
