import { createHash } from 'node:crypto';

/** Background families the local renderer can draw; one is picked per prompt. */
export const LOCAL_PATTERNS = [
  'gradient-linear',
  'gradient-radial',
  'gradient-circular',
  'gradient-spiral',
  'life',
  'mandelbrot',
] as const;

export type LocalPattern = (typeof LOCAL_PATTERNS)[number];

/** Every visual and audio parameter of a local render; a pure function of the prompt. */
export interface LocalLook {
  readonly digest: string;
  readonly pattern: LocalPattern;
  /** Four palette colours as 0xRRGGBB. */
  readonly palette: readonly [string, string, string, string];
  readonly seed: number;
  /** gradients' rotation speed. */
  readonly speed: number;
  /** Initial hue offset and hue drift, in radians and radians per second. */
  readonly hueStart: number;
  readonly hueRate: number;
  /** Mandelbrot zoom target. */
  readonly focus: { readonly x: number; readonly y: number };
  /** Chord frequencies in Hz (left channel; the right one is detuned slightly for width). */
  readonly chord: readonly [number, number, number];
  /** Ken Burns move for image-to-video. */
  readonly kenBurns: {
    readonly zoomIn: boolean;
    readonly zoom: number;
    readonly from: { readonly x: number; readonly y: number };
    readonly to: { readonly x: number; readonly y: number };
  };
}

// Points near the Mandelbrot boundary that stay detailed while zooming in.
const MANDELBROT_FOCI = [
  { x: -0.743643887037151, y: 0.13182590420533 },
  { x: -0.7453, y: 0.1127 },
  { x: -1.25066, y: 0.02012 },
  { x: -0.1011, y: 0.9563 },
  { x: 0.2549870375144766, y: -0.0005679790528465 },
  { x: -1.768778833, y: -0.001738996 },
] as const;

// A minor pentatonic roots keep every chord consonant.
const ROOTS = [196.0, 220.0, 261.63, 293.66, 329.63] as const;
// Semitone offsets for sus2, minor and major triads.
const CHORDS = [
  [0, 2, 7],
  [0, 3, 7],
  [0, 4, 7],
] as const;

const pick = <T>(items: readonly T[], index: number): T => items[index % items.length] as T;

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

const hex2 = (value: number): string => Math.round(value * 255).toString(16).padStart(2, '0');

/** HSL (0..360, 0..1, 0..1) to 0xRRGGBB. */
const hsl = (h: number, s: number, l: number): string => {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number): number => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return `0x${hex2(channel(0))}${hex2(channel(8))}${hex2(channel(4))}`;
};

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Derives the look of a render from the prompt alone, so the same prompt always looks the same. */
export const deriveLook = (prompt: string): LocalLook => {
  const digest = sha256(prompt);
  const bytes = Buffer.from(digest, 'hex');
  const b = (i: number): number => bytes[i] ?? 0;
  const unit = (i: number): number => b(i) / 255;

  const baseHue = (b(1) * 360) / 256;
  // Analogous-plus-accent scheme: three neighbours and one complement, so gradients never clash.
  const offsets = [0, 35, 70, 180];
  const palette = offsets.map((offset, i) =>
    hsl((baseHue + offset) % 360, 0.55 + unit(2 + i) * 0.3, 0.32 + unit(6 + i) * 0.26),
  ) as unknown as readonly [string, string, string, string];

  const root = pick(ROOTS, b(12));
  const chord = pick(CHORDS, b(13)).map((semi) => round(root * 2 ** (semi / 12), 2)) as unknown as readonly [
    number,
    number,
    number,
  ];

  return {
    digest,
    pattern: pick(LOCAL_PATTERNS, b(0)),
    palette,
    seed: bytes.readUInt32BE(14),
    speed: round(0.006 + unit(18) * 0.014, 4),
    hueStart: round(unit(19) * 2 * Math.PI, 3),
    hueRate: round((0.12 + unit(20) * 0.3) * (b(21) % 2 === 0 ? 1 : -1), 3),
    focus: pick(MANDELBROT_FOCI, b(22)),
    chord,
    kenBurns: {
      zoomIn: b(23) % 2 === 0,
      zoom: round(0.12 + unit(24) * 0.13, 3),
      from: { x: round(unit(25), 3), y: round(unit(26), 3) },
      to: { x: round(unit(27), 3), y: round(unit(28), 3) },
    },
  };
};
