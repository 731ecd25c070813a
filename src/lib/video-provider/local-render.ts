import type { LocalLook } from './local-look.ts';
import type { TextLayout } from './local-text.ts';

/** A font drawtext loads by file, or by family name through fontconfig. */
export type FontRef = { readonly file: string } | { readonly family: string };

/** Everything one ffmpeg invocation needs; paths of text files are relative to ffmpeg's cwd. */
export interface RenderPlan {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly durationSec: number;
  readonly look: LocalLook;
  readonly layout: TextLayout;
  /** One file per laid-out line, in order. */
  readonly lineFiles: readonly string[];
  readonly labelFile: string;
  readonly fonts: { readonly text: FontRef; readonly label: FontRef };
  readonly image?: string;
  readonly output: string;
}

/**
 * Escapes an option value for a -filter_complex graph: once for the filter's own option parser
 * (\ ' :) and once more for the graph parser (\ ' [ ] , ;), as ffmpeg-filters describes.
 */
export const escapeFilterValue = (value: string): string =>
  value.replace(/[\\':]/g, '\\$&').replace(/[\\'[\],;]/g, '\\$&');

const num = (value: number): string => String(Number(value.toFixed(4)));

/** `a+b*t` written so a negative rate reads `a-b*t`, which the expression parser needs no help with. */
const linear = (start: number, rate: number, variable: string): string =>
  `${num(start)}${rate < 0 ? '-' : '+'}${num(Math.abs(rate))}*${variable}`;

const fontOption = (font: FontRef): string =>
  'file' in font ? `fontfile=${escapeFilterValue(font.file)}` : `font=${escapeFilterValue(font.family)}`;

// Scaled frames must not depend on the CPU's SIMD paths, or renders would differ between machines.
const SWS = 'bicubic+accurate_rnd+bitexact';

/** The moving background, drawn at a quarter of the frame size and scaled up: it is smooth anyway. */
const patternChain = (plan: RenderPlan): string => {
  const { look, width, height, fps, durationSec } = plan;
  const w = Math.round(width / 4);
  const h = Math.round(height / 4);
  const hue = `hue=H=${linear(look.hueStart, look.hueRate, 't')}`;
  // Converting to yuv420p before upscaling keeps every full-size filter on the cheap planar format.
  const up = `format=yuv420p,scale=${width}:${height}:flags=${SWS},setsar=1`;
  const [c0, c1, c2, c3] = look.palette;
  const gradients = (type: string): string =>
    `gradients=s=${w}x${h}:r=${fps}:c0=${c0}:c1=${c1}:c2=${c2}:c3=${c3}:n=4:seed=${look.seed}:speed=${look.speed}:type=${type}`;
  switch (look.pattern) {
    case 'gradient-linear':
    case 'gradient-radial':
    case 'gradient-circular':
    case 'gradient-spiral':
      // The palette already carries the colours; the hue drift only needs to be gentle.
      return `${gradients(look.pattern.slice('gradient-'.length))},hue=H=${linear(0, look.hueRate / 2, 't')},${up}[bg]`;
    case 'life':
      return [
        `${gradients('radial')},format=gbrp[grad]`,
        `life=s=${Math.round(w / 2)}x${Math.round(h / 2)}:r=${fps}:seed=${look.seed}:ratio=0.16:mold=12:` +
          `life_color=0xffffff:death_color=0x000000:mold_color=0x707070,` +
          `scale=${w}:${h}:flags=neighbor,gblur=sigma=1,format=gbrp[cells]`,
        `[grad][cells]blend=all_mode=softlight,${hue},${up}[bg]`,
      ].join(';');
    case 'mandelbrot': {
      const frames = Math.round(durationSec * fps);
      return (
        `mandelbrot=s=${w}x${h}:r=${fps}:start_x=${look.focus.x}:start_y=${look.focus.y}:` +
        `start_scale=3:end_scale=0.02:end_pts=${frames}:inner=black,` +
        // Blurring the fractal's aliasing keeps it calm behind the text and cheap to encode.
        `gblur=sigma=1.2,${hue},${up}[bg]`
      );
    }
  }
};

/** The still image, animated with a slow Ken Burns zoom and pan. */
const imageChain = (plan: RenderPlan): string => {
  const { width, height, fps, durationSec, look } = plan;
  const frames = Math.max(1, Math.round(durationSec * fps));
  const last = Math.max(1, frames - 1);
  const { zoom, zoomIn, from, to } = look.kenBurns;
  const progress = `on/${last}`;
  const z = zoomIn ? `1+${num(zoom)}*${progress}` : `${num(1 + zoom)}-${num(zoom)}*${progress}`;
  const along = (a: number, b: number): string => `(${num(a)}+${num(b - a)}*${progress})`;
  // Upscaling 2x first makes zoompan's whole-pixel crop steps half as visible.
  const w2 = width * 2;
  const h2 = height * 2;
  return (
    `[0:v]trim=end_frame=1,scale=${w2}:${h2}:force_original_aspect_ratio=increase:flags=${SWS},` +
    `crop=${w2}:${h2},setsar=1,` +
    `zoompan=z=${escapeFilterValue(z)}:x=${escapeFilterValue(`(iw-iw/zoom)*${along(from.x, to.x)}`)}:` +
    `y=${escapeFilterValue(`(ih-ih/zoom)*${along(from.y, to.y)}`)}:d=${frames}:s=${width}x${height}:fps=${fps}[bg]`
  );
};

/** The prompt over a translucent band, and the honest label at the bottom. */
const textChain = (plan: RenderPlan): string => {
  const { layout, height, width } = plan;
  const blockHeight = layout.lines.length * layout.lineHeight;
  // Over a photo the text sits low so the picture stays visible; over patterns it is centred.
  const centre = plan.image ? height * 0.74 : height * 0.46;
  const top = Math.round(centre - blockHeight / 2);
  const pad = Math.round(layout.fontSize * 0.6);
  const filters: string[] = [];
  if (layout.lines.length > 0) {
    filters.push(`drawbox=x=0:y=${top - pad}:w=iw:h=${blockHeight + 2 * pad}:color=black@0.38:t=fill`);
  }
  plan.lineFiles.forEach((file, i) => {
    const alpha = `min(1,max(0,(t-${num(i * 0.12)})/0.6))`;
    filters.push(
      `drawtext=${fontOption(plan.fonts.text)}:textfile=${escapeFilterValue(file)}:expansion=none:` +
        `fontsize=${layout.fontSize}:fontcolor=white:shadowcolor=black@0.6:shadowx=2:shadowy=2:` +
        `x=(w-text_w)/2:y=${top + i * layout.lineHeight + Math.round((layout.lineHeight - layout.fontSize) / 2)}:` +
        `alpha=${escapeFilterValue(alpha)}`,
    );
  });
  const labelSize = Math.round(Math.min(width, height) / 30);
  filters.push(
    `drawtext=${fontOption(plan.fonts.label)}:textfile=${escapeFilterValue(plan.labelFile)}:expansion=none:` +
      `fontsize=${labelSize}:fontcolor=white@0.92:box=1:boxcolor=black@0.55:boxborderw=${Math.round(labelSize / 2)}:` +
      `x=(w-text_w)/2:y=h-text_h-${Math.round(height * 0.045)}`,
  );
  filters.push('format=yuv420p');
  return `[bg]${filters.join(',')}[v]`;
};

/** A soft stereo chord with a slow swell, faded in and out. */
const audioChain = (plan: RenderPlan): string => {
  const [f1, f2, f3] = plan.look.chord;
  const d = plan.durationSec;
  const voice = (detune: number): string =>
    `0.1*(sin(2*PI*${num(f1 + detune)}*t)+0.8*sin(2*PI*${num(f2 + detune)}*t)+0.6*sin(2*PI*${num(f3 + detune)}*t)` +
    `+0.35*sin(PI*${num(f1)}*t))*(0.85+0.15*sin(2*PI*0.25*t))`;
  const fadeOut = Math.min(1.5, d / 3);
  return (
    `aevalsrc=exprs=${escapeFilterValue(`${voice(0)}|${voice(0.6)}`)}:s=48000:d=${num(d)},` +
    `afade=t=in:d=${num(Math.min(0.8, d / 4))},afade=t=out:st=${num(d - fadeOut)}:d=${num(fadeOut)}[a]`
  );
};

/** The full ffmpeg argument list; reports progress as key=value lines on stdout. */
export const buildRenderArgs = (plan: RenderPlan): string[] => {
  const graph = [
    `sws_flags=${SWS}`,
    plan.image ? imageChain(plan) : patternChain(plan),
    textChain(plan),
    audioChain(plan),
  ].join(';');
  const gop = String(plan.fps * 2);
  return [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1',
    ...(plan.image ? ['-i', plan.image] : []),
    '-filter_complex', graph,
    '-map', '[v]', '-map', '[a]', '-t', num(plan.durationSec),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-level:v', '3.1', '-pix_fmt', 'yuv420p',
    // No VBV (-maxrate): with frame threads x264's VBV depends on thread timing, so two renders
    // would differ; the patterns are simple enough that CRF alone stays at a few MB.
    '-crf', '21', '-g', gop, '-keyint_min', gop,
    // A fixed thread count makes x264's output independent of the machine's core count.
    '-threads:v', '2',
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
    '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4', plan.output,
  ];
};
