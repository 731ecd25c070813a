import type { PreviewCapabilities } from './local-filters.ts';
import type { LocalLook } from './local-look.ts';
import { escapeFilterValue, motionChains } from './local-motion.ts';
import type { TextLayout } from './local-text.ts';

export { escapeFilterValue };

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
  /** What this ffmpeg can draw beyond the basics (see local-filters.ts). */
  readonly capabilities: PreviewCapabilities;
}

const num = (value: number): string => String(Number(value.toFixed(4)));

const fontOption = (font: FontRef): string =>
  'file' in font ? `fontfile=${escapeFilterValue(font.file)}` : `font=${escapeFilterValue(font.family)}`;

// Scaled frames must not depend on the CPU's SIMD paths, or renders would differ between machines.
const SWS = 'bicubic+accurate_rnd+bitexact';

/** 0xRRGGBB as BT.601 limited-range Y, U, V: what the encoder's yuv420p means. */
const yuv = (colour: string): [number, number, number] => {
  const value = Number.parseInt(colour.slice(2), 16);
  const r = ((value >> 16) & 255) / 255;
  const g = ((value >> 8) & 255) / 255;
  const b = (value & 255) / 255;
  return [16 + 65.481 * r + 128.553 * g + 24.966 * b, 128 - 37.797 * r - 74.203 * g + 112 * b, 128 + 112 * r - 93.786 * g - 18.214 * b];
};

/**
 * Colours the grey field with the palette: pseudocolor maps each luma level (16..235) to Y, U and
 * V, piecewise linearly between the palette's colours, spread evenly from dark to light.
 */
export const paletteFilter = (palette: readonly string[]): string => {
  const stops = palette.map(yuv);
  const segments = stops.length - 1;
  const channel = (index: 0 | 1 | 2): string => {
    const values = stops.map((stop) => stop[index]);
    let expr = num(values[0] ?? 128);
    for (let i = 0; i < segments; i += 1) {
      const step = (values[i + 1] ?? 0) - (values[i] ?? 0);
      if (Math.abs(step) >= 0.01) expr += `${step < 0 ? '-' : '+'}${num(Math.abs(step))}*clip((val-16)*${num(segments / 219)}-${i},0,1)`;
    }
    return escapeFilterValue(expr);
  };
  return `pseudocolor=c0=${channel(0)}:c1=${channel(1)}:c2=${channel(2)}`;
};

/** The moving background of a text-only clip, in the prompt's colours. */
const backgroundChain = (plan: RenderPlan): string => {
  const { look, width, height, fps, capabilities } = plan;
  if (!capabilities.motion) {
    // A plainer ffmpeg: the palette as still bands, from the light sky down to the dark ground.
    const [dark = '0x000000', , mid = '0x404040', , light = '0xc0c0c0'] = look.palette;
    const band = Math.round(height / 3);
    return (
      `color=c=${mid}:s=${width}x${height}:r=${fps},format=yuv420p,` +
      `drawbox=x=0:y=0:w=iw:h=${band}:color=${light}@0.35:t=fill,` +
      `drawbox=x=0:y=${height - band}:w=iw:h=${band}:color=${dark}@0.5:t=fill,setsar=1[bg]`
    );
  }
  const canvas = { width, height, fps, params: look.params };
  return [...motionChains(look.motion, canvas, 'field'), `[field]format=yuv420p,${paletteFilter(look.palette)},setsar=1[bg]`].join(';');
};

/**
 * The photo, whole, over a blurred and darkened fill of itself (rather than cropped to the frame),
 * with a slow Ken Burns zoom and pan. perspective resamples at fractions of a pixel, so the move
 * is smooth; zoompan would step by whole pixels and judder.
 */
const imageChain = (plan: RenderPlan): string => {
  const { width, height, durationSec, fps, look, capabilities } = plan;
  const small = `${Math.round(width / 8)}:${Math.round(height / 8)}`;
  const chains = [
    `[0:v]trim=end_frame=1,format=rgb24,split[fill][photo]`,
    `[fill]scale=${small}:force_original_aspect_ratio=increase:flags=${SWS},crop=${small},` +
      (capabilities.photoBlur ? 'gblur=sigma=2.5,' : '') +
      `scale=${width}:${height}:flags=bicubic,drawbox=x=0:y=0:w=iw:h=ih:color=black@0.4:t=fill[back]`,
    `[photo]scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=${SWS}[front]`,
  ];
  const composite = '[back][front]overlay=x=(W-w)/2:y=(H-h)/2,format=yuv420p,setsar=1';
  if (!capabilities.photoMotion) {
    // Shown on every frame: overlay repeats its last picture over a canvas as long as the clip.
    chains.push(`${composite}[still]`, `color=black:s=${width}x${height}:r=${fps},format=yuv420p[canvas]`, '[canvas][still]overlay,setsar=1[bg]');
    return chains.join(';');
  }
  const last = Math.max(1, Math.round(durationSec * fps) - 1);
  const { zoom, zoomIn, from, to } = look.kenBurns;
  const progress = `min(on/${last},1)`;
  const z = `(1+${num(zoom)}*${zoomIn ? progress : `(1-${progress})`})`;
  const along = (a: number, b: number): string => `(${num(a)}+${num(b - a)}*${progress})`;
  // The source rectangle: 1/z of the picture, placed along the pan; its corners fill the frame.
  const x0 = `(W-W/${z})*${along(from.x, to.x)}`;
  const y0 = `(H-H/${z})*${along(from.y, to.y)}`;
  const x1 = `${x0}+W/${z}`;
  const y1 = `${y0}+H/${z}`;
  const corners = [x0, y0, x1, y0, x0, y1, x1, y1].map((expr, i) => `${i % 2 === 0 ? 'x' : 'y'}${i >> 1}=${escapeFilterValue(expr)}`);
  chains.push(`${composite},loop=loop=-1:size=1,perspective=${corners.join(':')}:interpolation=linear:eval=frame,setsar=1[bg]`);
  return chains.join(';');
};

/** The prompt over a translucent band, and the honest label at the top. */
const textChain = (plan: RenderPlan): string => {
  const { layout, height, width } = plan;
  const blockHeight = layout.lines.length * layout.lineHeight;
  // Over a photo the text sits low so the picture stays visible; over backgrounds it is centred.
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
  // Not at the bottom: a player's controls (WhatsApp's, a browser's) cover that edge of a paused video.
  filters.push(
    `drawtext=${fontOption(plan.fonts.label)}:textfile=${escapeFilterValue(plan.labelFile)}:expansion=none:` +
      `fontsize=${labelSize}:fontcolor=white@0.92:box=1:boxcolor=black@0.55:boxborderw=${Math.round(labelSize / 2)}:` +
      `x=(w-text_w)/2:y=${Math.round(height * 0.045)}`,
  );
  filters.push('format=yuv420p');
  return `[bg]${filters.join(',')}[v]`;
};

/** A soft stereo chord with a slow swell, faded in and out; silence on an ffmpeg without aevalsrc. */
const audioChain = (plan: RenderPlan): string => {
  if (!plan.capabilities.sound) return 'anullsrc=r=48000:cl=stereo[a]';
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
    plan.image ? imageChain(plan) : backgroundChain(plan),
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
    // would differ; the backgrounds are simple enough that CRF alone stays at a few MB.
    '-crf', '21', '-g', gop, '-keyint_min', gop,
    // A fixed thread count makes x264's output independent of the machine's core count; threads
    // working on slices of each frame rather than on several frames at once keep it independent of
    // their timing too (Debian's x264 gave two concurrent renders of one prompt different bytes).
    '-threads:v', '2', '-x264-params', 'sliced-threads=1',
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
    '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4', plan.output,
  ];
};
