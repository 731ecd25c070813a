/**
 * The drawing kit of the local preview's backgrounds: the canvas, expression helpers, and the
 * graph builder that turns textures into scrolling, blended filter chains.
 *
 * geq is the only filter that draws arbitrary pictures, and it costs the same per pixel per frame
 * however simple the picture, so it is used sparingly: still textures are drawn once, small, and
 * scaled up; motion comes from scrolling them (crop at whole pixels per frame, so it never
 * judders) and blending layers; what must change shape over time is drawn per frame as a single
 * row or column and stretched. Textures repeat exactly over the distance they scroll, so nothing
 * jumps when they wrap, and everything is made of sines, so there are no seams or pinch points.
 * No st()/ld() in geq: older builds share those variables between slice threads.
 */

/** How the background moves; each lexicon theme picks one. */
export const MOTIONS = ['plasma', 'waves', 'flames', 'rays', 'snow', 'ridges', 'sun', 'stars', 'rain', 'bokeh', 'grid'] as const;
export type Motion = (typeof MOTIONS)[number];

/** The per-prompt variation within one motion. */
export interface MotionParams {
  /** Four phases in radians. */
  readonly phases: readonly [number, number, number, number];
  /** 0.85..1.15: how fast this prompt's motion runs. */
  readonly speed: number;
  /** 1 or -1: which way sideways drift goes. */
  readonly direction: 1 | -1;
  /** Flashes of lightning (rain). */
  readonly lightning?: boolean;
}

/** What a background is drawn for. */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly params: MotionParams;
}

const TAU = 2 * Math.PI;

/** A number for an expression: short, and negative ones bracketed. */
export const n = (value: number): string => {
  const text = String(Number(value.toFixed(5)));
  return value < 0 ? `(${text})` : text;
};

/**
 * Escapes an option value for a -filter_complex graph: once for the filter's own option parser
 * (\\ ' :) and once more for the graph parser (\\ ' [ ] , ;), as ffmpeg-filters describes.
 */
export const escapeFilterValue = (value: string): string =>
  value.replace(/[\\':]/g, '\\$&').replace(/[\\'[\],;]/g, '\\$&');

const esc = escapeFilterValue;

/** geq's coordinates in units of the frame's short side, for a texture drawn at 1/scale size. */
interface Axes {
  /** Horizontal and vertical position, growing right and down. */
  readonly x: string;
  readonly y: string;
  /** Vertical position as a fraction of the frame's height: 0 at the top, 1 at the bottom. */
  readonly v: string;
  /** The frame's width and height in these units. */
  readonly xmax: number;
  readonly ymax: number;
}

/** A pseudo-random 0..1 per pixel of a small texture: the usual shader hash of its coordinates. */
const hash = (col: string, row: string, salt: number): string =>
  `mod(sin(${col}*${n(12.9898 + salt)}+${row}*${n(78.233 + salt * 3.7)})*43758.5453,1)`;

/** A sine that repeats exactly `cycles` times over `period` (both in the same units). */
export const wave = (coordinate: string, period: number, cycles: number): string => `${coordinate}*${n((TAU * cycles) / period)}`;

interface StillOptions {
  /** Drawn at 1/scale of the size, then scaled up: smooth pictures need little resolution. */
  readonly scale: number;
  /** How far the texture repeats along each axis it scrolls, in frame pixels; it is that much larger. */
  readonly periodX?: number;
  readonly periodY?: number;
}

/** A picture to scroll: its label, and how far it repeats along each axis. */
export interface Texture {
  readonly label: string;
  readonly periodX?: number;
  readonly periodY?: number;
  /** Extra pixels before and after the repeating part, never shown: scaling is not periodic at edges. */
  readonly marginX: number;
  readonly marginY: number;
}

/** Builds the filter chains of one background; labels are unique within it. */
export class Graph {
  readonly chains: string[] = [];
  private count = 0;
  readonly canvas: Canvas;
  /** The frame's short side, the unit of the drawing coordinates. */
  readonly short: number;

  constructor(canvas: Canvas) {
    this.canvas = canvas;
    this.short = Math.min(canvas.width, canvas.height);
  }

  private label(): string {
    return `bg${this.count++}`;
  }

  private add(inputs: readonly string[], filters: readonly string[]): string {
    const out = this.label();
    this.chains.push(`${inputs.map((i) => `[${i}]`).join('')}${filters.join(',')}[${out}]`);
    return out;
  }

  /** One frame from a tiny source, drawn by geq: textures are drawn once and repeated. */
  private drawOnce(width: number, height: number, expr: string): string[] {
    return [`color=black:s=${width}x${height}:r=${this.canvas.fps}`, 'trim=end_frame=1', 'format=gray', `geq=lum=${esc(`clip(${expr},0,255)`)}`];
  }

  /** A picture that does not change, drawn once at 1/scale size, scaled up and shown on every frame. */
  still(draw: (axes: Axes) => string, options: StillOptions): Texture {
    const { width, height } = this.canvas;
    const { scale, periodX, periodY } = options;
    const margin = 2 * scale;
    const w = width + (periodX ? periodX + 2 * margin : 0);
    const h = height + (periodY ? periodY + 2 * margin : 0);
    // Exact fractions: a rounded scale would make the textures repeat a little off their period.
    const axes: Axes = {
      x: `(X*${scale}/${this.short})`,
      y: `(Y*${scale}/${this.short})`,
      v: `(Y*${scale}/${height})`,
      xmax: width / this.short,
      ymax: height / this.short,
    };
    const label = this.add([], [
      ...this.drawOnce(w / scale, h / scale, `255*(${draw(axes)})`),
      ...(scale > 1 ? [`scale=${w}:${h}:flags=bicubic`] : []),
      'loop=loop=-1:size=1',
    ]);
    return { label, marginX: periodX ? margin : 0, marginY: periodY ? margin : 0, ...(periodX && { periodX }), ...(periodY && { periodY }) };
  }

  /**
   * Scattered dots (snowflakes, stars, lights) repeating every frame size: a few random pixels of a
   * small texture, each scaled up into a soft spot `size` pixels across, stretched `stretchX`
   * times across or `stretchY` times down. Both spot dimensions must divide 80 (so 720 and 1280).
   * `levels` gives the dots random brightness; otherwise they are all white. `spaced` keeps dots
   * apart (only every other pixel of every other row may hold one), so blurred dots never merge.
   */
  dots(options: {
    readonly size: number;
    readonly density: number;
    readonly salt: number;
    readonly stretchX?: number;
    readonly stretchY?: number;
    readonly levels?: boolean;
    readonly spaced?: boolean;
  }): Texture {
    const { width, height } = this.canvas;
    const { density, salt } = options;
    const sizeX = options.size * (options.stretchX ?? 1);
    const sizeY = options.size * (options.stretchY ?? 1);
    const pw = width / sizeX;
    const ph = height / sizeY;
    // Two low-resolution pixels of margin on each side.
    const col = `mod(X+${pw - 2},${pw})`;
    const row = `mod(Y+${ph - 2},${ph})`;
    const level = options.levels === false ? '' : `*(0.35+0.65*${hash(col, row, salt + 5)})`;
    const spaced = options.spaced ? `*not(mod(${col},2)+mod(${row},2))` : '';
    const label = this.add([], [
      ...this.drawOnce(2 * pw + 4, 2 * ph + 4, `255*lt(${hash(col, row, salt)},${n(density)})${spaced}${level}`),
      `scale=${(2 * pw + 4) * sizeX}:${(2 * ph + 4) * sizeY}:flags=bicubic`,
      `gblur=sigma=${n(sizeX * 0.3)}${sizeY !== sizeX ? `:sigmaV=${n(sizeY * 0.3)}` : ''}`,
      `lut=c0=${esc('clip(val*2.4,0,255)')}`,
      'loop=loop=-1:size=1',
    ]);
    return { label, periodX: width, periodY: height, marginX: 2 * sizeX, marginY: 2 * sizeY };
  }

  /** A texture that does not move (cropped to the frame, past its margin if it has one). */
  fixed(texture: Texture): string {
    return texture.periodX || texture.periodY ? this.scroll(texture, {}) : texture.label;
  }

  /**
   * The frame-sized window into a texture, moving whole pixels each frame: right and down for
   * positive steps. It wraps after one period, where the texture repeats exactly.
   */
  scroll(texture: Texture, step: { readonly dx?: number; readonly dy?: number }): string {
    const { width, height } = this.canvas;
    const at = (move: number | undefined, period: number | undefined, margin: number): string => {
      if (!period) return '0';
      if (!move) return String(margin);
      // Moving the picture right or down means moving the window left or up.
      return move > 0 ? `${margin + period}-mod(n*${move},${period})` : `${margin}+mod(n*${-move},${period})`;
    };
    const x = at(step.dx, texture.periodX, texture.marginX);
    const y = at(step.dy, texture.periodY, texture.marginY);
    return this.add([texture.label], [`crop=${width}:${height}:${esc(x)}:${esc(y)}`]);
  }

  /** A full-frame picture that changes every frame but only down the frame: drawn as one column. */
  column(draw: (y: string, v: string, t: string) => string): string {
    const { width, height, fps, params } = this.canvas;
    const expr = `clip(255*(${draw(`(Y/${this.short})`, '(Y/H)', `(T*${n(params.speed)})`)}),0,255)`;
    return this.add([], [`color=black:s=1x${height}:r=${fps}`, 'format=gray', `geq=lum=${esc(expr)}`, `scale=${width}:${height}:flags=neighbor`]);
  }

  blend(a: string, b: string, mode: 'screen' | 'multiply' | 'lighten' | 'darken' | 'average' | 'addition'): string {
    return this.add([a, b], [`blend=all_mode=${mode}`]);
  }

  /** Remaps a layer's grey levels (`val`, 0..255). */
  lut(input: string | Texture, expr: string): string {
    return this.add([typeof input === 'string' ? input : this.fixed(input)], [`lut=c0=${esc(`clip(${expr},0,255)`)}`]);
  }
}
