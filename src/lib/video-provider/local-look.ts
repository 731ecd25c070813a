import { createHash } from 'node:crypto';
import { matchThemes, type Theme } from './local-lexicon.ts';
import type { Motion, MotionParams } from './local-motion.ts';

/** Motions for prompts that name no theme: abstract ones, since nothing says what the scene is. */
export const HASHED_MOTIONS = ['plasma', 'bokeh'] as const satisfies readonly Motion[];

/** Every visual and audio parameter of a local render; a pure function of the prompt (and the take). */
export interface LocalLook {
  readonly digest: string;
  /** The themes the words named ("forest", "forest at night"), or "hashed" when none did. */
  readonly theme: string;
  readonly motion: Motion;
  /** Colours from the background's darkest to its brightest, as 0xRRGGBB. */
  readonly palette: readonly string[];
  readonly params: MotionParams;
  /** Chord frequencies in Hz (left channel; the right one is detuned slightly for width). */
  readonly chord: readonly [number, number, number];
  /** The slow zoom and pan over a photo (image-to-video). */
  readonly kenBurns: {
    readonly zoomIn: boolean;
    readonly zoom: number;
    readonly from: { readonly x: number; readonly y: number };
    readonly to: { readonly x: number; readonly y: number };
  };
}

// A minor pentatonic roots keep every chord consonant.
const ROOTS = [196.0, 220.0, 261.63, 293.66, 329.63] as const;
// Semitone offsets for major, suspended and minor triads.
const CHORDS: Readonly<Record<Theme['mood'], readonly [number, number, number]>> = {
  bright: [0, 4, 7],
  calm: [0, 2, 7],
  dark: [0, 3, 7],
};
const MOODS = Object.keys(CHORDS) as Theme['mood'][];

const pick = <T>(items: readonly T[], index: number): T => items[index % items.length] as T;

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

const hex2 = (value: number): string =>
  Math.round(Math.min(1, Math.max(0, value)) * 255)
    .toString(16)
    .padStart(2, '0');

/** HSL (0..360, 0..1, 0..1) to 0xRRGGBB. */
const hsl = (h: number, s: number, l: number): string => {
  const a = s * Math.min(l, 1 - l);
  const channel = (k0: number): number => {
    const k = (k0 + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return `0x${hex2(channel(0))}${hex2(channel(8))}${hex2(channel(4))}`;
};

/** 0xRRGGBB to HSL (0..360, 0..1, 0..1). */
const toHsl = (colour: string): [number, number, number] => {
  const value = Number.parseInt(colour.slice(2), 16);
  const [r, g, b] = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((c) => c / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return [0, 0, l];
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h * 60, s, l];
};

/** Turns every colour's hue by `degrees`: the same theme, a little different per prompt. */
const turnHue = (palette: readonly string[], degrees: number): string[] =>
  palette.map((colour) => {
    const [h, s, l] = toHsl(colour);
    return hsl((h + degrees + 360) % 360, s, l);
  });

/** A dark-to-light run of neighbouring hues around `hue`, for prompts no theme matches. */
const hashedPalette = (hue: number, saturation: number): string[] =>
  [
    [0, 0.08],
    [18, 0.24],
    [40, 0.45],
    [65, 0.68],
    [85, 0.9],
  ].map(([offset = 0, lightness = 0]) => hsl((hue + offset) % 360, saturation, lightness));

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/**
 * Derives the look of a render from the prompt alone, so the same prompt always looks the same:
 * the themes its words name give the motion and colours (see local-lexicon.ts); the hash only
 * varies them a little, and picks everything when no word matches. Another take (2, 3...) hashes
 * differently, so "another take" of a prompt moves and sounds different in the same scene.
 */
export const deriveLook = (prompt: string, take = 1): LocalLook => {
  // Another take keeps the prompt's themes and draws new phases, speed, hues and chord from the hash.
  const digest = sha256(take > 1 ? `${prompt}\u0000take ${take}` : prompt);
  const bytes = Buffer.from(digest, 'hex');
  const b = (i: number): number => bytes[i] ?? 0;
  const unit = (i: number): number => b(i) / 255;

  const { scene, light } = matchThemes(prompt);
  const lead = scene ?? light;
  const colours = light && !(scene?.keepsOwnColoursIn ?? []).includes(light.name) ? light : lead;
  const motion = lead?.motion ?? pick(HASHED_MOTIONS, b(0));
  const palette =
    colours === undefined
      ? hashedPalette((b(1) * 360) / 256, 0.45 + unit(2) * 0.3)
      : turnHue(colours.palette, (unit(1) - 0.5) * 16);
  const theme = scene && light ? `${scene.name} ${light.name}` : (lead?.name ?? 'hashed');

  const root = pick(ROOTS, b(12));
  const mood = lead?.mood ?? pick(MOODS, b(13));
  const chord = CHORDS[mood].map((semi) => round(root * 2 ** (semi / 12), 2)) as unknown as readonly [number, number, number];

  return {
    digest,
    theme,
    motion,
    palette,
    params: {
      phases: [unit(14), unit(15), unit(16), unit(17)].map((u) => round(u * 2 * Math.PI, 3)) as unknown as MotionParams['phases'],
      speed: round(0.85 + unit(18) * 0.3, 3),
      direction: b(19) % 2 === 0 ? 1 : -1,
      ...(scene?.lightning && { lightning: true }),
    },
    chord,
    kenBurns: {
      zoomIn: b(23) % 2 === 0,
      zoom: round(0.05 + unit(24) * 0.04, 3),
      from: { x: round(unit(25), 3), y: round(unit(26), 3) },
      to: { x: round(unit(27), 3), y: round(unit(28), 3) },
    },
  };
};
