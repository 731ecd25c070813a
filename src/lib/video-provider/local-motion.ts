/**
 * The moving backgrounds of the local preview, drawn in grey (a "field" the palette colours later)
 * with the kit in local-graph.ts: one drawing per motion, each picked by a lexicon theme.
 */
import { type Canvas, Graph, type Motion, n, type Texture, wave } from './local-graph.ts';

export { type Canvas, escapeFilterValue, MOTIONS, type Motion, type MotionParams } from './local-graph.ts';
/** Scroll speed in whole pixels per frame, scaled by the prompt's speed, never zero. */
const px = (canvas: Canvas, base: number): number => Math.max(1, Math.round(base * canvas.params.speed));

type Draw = (g: Graph) => string;

/** Soft shapes drifting through each other: two smooth textures scrolling different ways, averaged. */
const plasma: Draw = (g) => {
  const { params } = g.canvas;
  const [a, b, c, d] = params.phases;
  const P = g.short;
  const period = { periodX: P, periodY: P };
  const one = g.still(({ x, y }) => `0.5+0.25*sin(${wave(x, 1, 1)}+${wave(y, 1, 1)}+${n(a)})+0.25*sin(${wave(x, 1, 2)}-${wave(y, 1, 1)}+${n(b)})`, { scale: 8, ...period });
  const two = g.still(({ x, y }) => `0.5+0.3*sin(${wave(y, 1, 2)}+0.8*sin(${wave(x, 1, 1)}+${n(c)}))+0.2*sin(${wave(x, 1, 1)}+${n(d)})`, { scale: 8, ...period });
  const dir = params.direction;
  return g.blend(
    g.scroll(one, { dx: dir * px(g.canvas, 1), dy: px(g.canvas, 1) }),
    g.scroll(two, { dx: -dir * px(g.canvas, 1), dy: -px(g.canvas, 2) }),
    'average',
  );
};

/** A sea under a pale sky: swells rolling in from the horizon, their crests broken by drifting ripples. */
const waves: Draw = (g) => {
  const { width: W, params } = g.canvas;
  const [a, b, c] = params.phases;
  const horizon = 0.3;
  const base = g.still(
    ({ v }) => `if(lt(${v},${horizon}),0.55+0.22*${v}/${horizon},0.4-0.3*(${v}-${horizon}))+0.12*exp(-abs(${v}-${horizon})*40)`,
    { scale: 8 },
  );
  // Swells come closer as depth shrinks; they bunch up towards the horizon, where they fade out.
  const swells = g.column((_y, v, t) => {
    const below = `max(${v}-${horizon},0.001)`;
    return `pow((sin((0.5/${below})*11+${t}*1.8+${n(a)})+1)/2,10)*clip(${below}*9,0,1)*0.6`;
  });
  const pu = W / g.short;
  // Along each crest the foam comes and goes; the pattern drifts sideways.
  const ripples = g.still(
    ({ x, y }) => `0.45+0.55*pow(0.5+0.5*sin(${wave(x, pu, 4)}+1.5*sin(${wave(x, pu, 1)}+${y}*7+${n(b)})+${y}*4+${n(c)}),1.5)`,
    { scale: 4, periodX: W },
  );
  const crests = g.blend(swells, g.scroll(ripples, { dx: params.direction * px(g.canvas, 1) }), 'multiply');
  // Glints: short bright dashes on the water, fewer towards the horizon.
  const sea = g.still(({ v }) => `clip((${v}-${horizon})*2,0,1)*0.6`, { scale: 8 });
  const glints = g.blend(g.scroll(g.dots({ size: 2, stretchX: 4, density: 0.005, salt: c, levels: false }), { dx: -params.direction * px(g.canvas, 2) }), g.fixed(sea), 'multiply');
  return g.blend(g.blend(g.fixed(base), crests, 'addition'), glints, 'screen');
};

/** Tongues of fire rising from the bottom, and embers drifting up. */
const flames: Draw = (g) => {
  const { height: H, params } = g.canvas;
  const [a, b, c] = params.phases;
  const pu = H / g.short;
  // Tall, narrow wisps: slow along y, fast across x.
  const lick = (across: number, cycles: number, phase: number): Texture =>
    g.still(
      ({ x, y }) =>
        `0.5+0.32*sin(${x}*${n(across)}+2.4*sin(${wave(y, pu, cycles)}+${x}*1.3+${n(phase)}))` +
        `+0.18*sin(${x}*${n(across * 2.3)}+1.6*sin(${wave(y, pu, cycles + 1)}+${n(phase + 2)}))`,
      { scale: 4, periodY: H },
    );
  const turbulence = g.blend(
    g.scroll(lick(7, 1, a), { dy: -px(g.canvas, 8) }),
    g.scroll(lick(10, 2, b), { dy: -px(g.canvas, 12) }),
    'average',
  );
  const heat = g.still(({ x, v, xmax }) => `1.15*${v}-0.2-0.55*pow((${x}-${n(xmax / 2)})/${n(xmax / 2)},2)`, { scale: 8 });
  // The sum, recentred: fire where heat and turbulence together are high.
  const fire = g.lut(g.blend(g.fixed(heat), turbulence, 'average'), '(val-84)*2.4');
  const embers = g.dots({ size: 4, density: 0.003, salt: c });
  return g.blend(fire, g.scroll(embers, { dx: params.direction, dy: -px(g.canvas, 3) }), 'lighten');
};

/** Shafts of light slanting through a canopy and drifting, over dappled shade and dark trunks. */
const rays: Draw = (g) => {
  const { width: W, params } = g.canvas;
  const [a, b, c, d] = params.phases;
  const dir = params.direction;
  const pu = W / g.short;
  const base = g.still(({ v }) => `0.16+0.3*pow(1-${v},2)`, { scale: 8 });
  const shafts = g.still(
    ({ x, y, v }) => `0.7*pow((sin(${wave(x, pu, 2)}-${y}*${n(dir * 2.2)}+1.2*sin(${wave(x, pu, 1)}+${n(a)}))+1)/2,4)*(1-0.7*${v})`,
    { scale: 4, periodX: W },
  );
  const dapple = g.still(
    ({ x, y }) => `0.6+0.4*sin(${wave(x, pu, 5)}+${n(b)})*sin(${y}*5.3+1.3*sin(${wave(x, pu, 2)}+${n(c)}))`,
    { scale: 8, periodX: W },
  );
  const light = g.blend(g.scroll(shafts, { dx: dir * px(g.canvas, 1) }), g.scroll(dapple, { dx: -dir * px(g.canvas, 1) }), 'multiply');
  // Trunks: near ones dark and wide, far ones fainter and thin.
  const trunks = g.still(({ x, y }) => {
    const trunk = (k: number, phase: number, edge: number, depth: number): string =>
      `${n(depth)}*clip((sin(${x}*${n(k)}+${n(phase)}+0.08*sin(${y}*2.3))-${n(edge)})*12,0,1)`;
    return `1-${trunk(9.1, d, 0.78, 0.8)}-${trunk(19.3, d + 1, 0.9, 0.45)}`;
  }, { scale: 4 });
  return g.blend(g.blend(g.fixed(base), light, 'screen'), g.fixed(trunks), 'multiply');
};

/** Snowflakes in two layers, falling and drifting sideways in front of a pale sky. */
const snow: Draw = (g) => {
  const { params } = g.canvas;
  const [a, b] = params.phases;
  const dir = params.direction;
  const sky = g.still(({ x, v }) => `0.28+0.32*(1-${v})+0.05*sin(${x}*2.4+${v}*3+${n(a)})`, { scale: 8 });
  const far = g.dots({ size: 4, density: 0.01, salt: a });
  const near = g.dots({ size: 8, density: 0.012, salt: b });
  const flakes = g.blend(g.scroll(far, { dx: dir, dy: px(g.canvas, 2) }), g.scroll(near, { dx: dir * 2, dy: px(g.canvas, 4) }), 'lighten');
  return g.blend(g.fixed(sky), flakes, 'screen');
};

/** Ridges (dunes, hills) in layers drifting sideways at different speeds, under a bright sky. */
const ridges: Draw = (g) => {
  const { width: W, params } = g.canvas;
  const [a, b, c, d] = params.phases;
  const dir = params.direction;
  const pu = W / g.short;
  const sky = g.still(({ v, x }) => `0.97-0.35*${v}+0.03*sin(${x}*2+${n(d)})`, { scale: 8 });
  // Nearer layers are darker; each is lit on one flank. Outside its silhouette a layer is white,
  // so taking the darkest of all layers draws the nearest one in front.
  const layers = [
    { base: 0.46, amp: 0.05, cycles: 2, tone: 0.66, phase: a, speed: 1 },
    { base: 0.6, amp: 0.06, cycles: 1, tone: 0.47, phase: b, speed: 2 },
    { base: 0.76, amp: 0.07, cycles: 1, tone: 0.28, phase: c, speed: 3 },
  ];
  return layers.reduce((behind, layer) => {
    const texture = g.still(({ x, v }) => {
      const arg = `${wave(x, pu, layer.cycles)}+${n(layer.phase)}`;
      const crest = `${n(layer.base)}+${n(layer.amp)}*sin(${arg})+${n(layer.amp / 3)}*sin(3*(${arg}))`;
      const lit = `${n(layer.tone)}+0.06*cos(${arg})-0.3*(${v}-(${crest}))`;
      return `if(gt(${v},${crest}),${lit},1)`;
    }, { scale: 2, periodX: W });
    return g.blend(behind, g.scroll(texture, { dx: dir * layer.speed }), 'darken');
  }, g.fixed(sky));
};

/** A low sun in a sky streaked with cloud, its reflection glittering on the water. */
const sun: Draw = (g) => {
  const { width: W, params } = g.canvas;
  const [a, b, c] = params.phases;
  const horizon = 0.62;
  const pu = W / g.short;
  const scene = g.still(({ x, y, v, xmax, ymax }) => {
    const d = `hypot(${x}-${n(xmax / 2 + 0.04 * Math.sin(a))},${y}-${n(horizon * ymax - 0.12)})`;
    const sky = `max(0.1+0.62*pow(${v}/${horizon},1.6)+0.3*exp(-${d}*5),clip((0.11-${d})*80,0,1))`;
    const water = `0.28-0.3*(${v}-${horizon})+0.25*exp(-abs(${x}-${n(xmax / 2)})*4)*(1.2-${v})`;
    return `if(gt(${v},${horizon}),${water},${sky})`;
  }, { scale: 2 });
  // Thin strata of cloud, lit from below, drifting sideways.
  const clouds = g.still(({ x, v }) => {
    const stratum = (height: number, phase: number): string =>
      `exp(-pow((${v}-${n(height)}-0.015*sin(${wave(x, pu, 1)}+${n(phase)}))*45,2))*(0.5+0.5*sin(${wave(x, pu, 2)}+1.5*sin(${wave(x, pu, 1)}+${n(phase)})))`;
    return `0.35*(${stratum(0.22, b)}+${stratum(0.33, c)}+0.8*${stratum(0.45, b + c)})`;
  }, { scale: 4, periodX: W });
  const glitter = g.dots({ size: 2, stretchX: 5, density: 0.05, salt: a, levels: false });
  const path = g.still(({ x, v, xmax }) => `gt(${v},${horizon + 0.01})*exp(-abs(${x}-${n(xmax / 2)})*4/(0.15+(${v}-${horizon})*3))`, { scale: 8 });
  const dir = params.direction;
  const withClouds = g.blend(g.fixed(scene), g.scroll(clouds, { dx: dir * px(g.canvas, 1) }), 'screen');
  const sparkles = g.blend(g.scroll(glitter, { dx: -dir * px(g.canvas, 2), dy: 1 }), g.fixed(path), 'multiply');
  return g.blend(withClouds, sparkles, 'screen');
};

/** Stars twinkling and drifting slowly over a faint nebula. */
const stars: Draw = (g) => {
  const { params } = g.canvas;
  const [a, b, c] = params.phases;
  const dir = params.direction;
  const P = g.short;
  const nebula = g.still(
    ({ x, y }) => `0.12+0.12*(sin(${wave(x, 1, 1)}+${n(a)})*sin(${wave(y, 1, 1)}+${n(b)})+0.6*sin(${wave(x, 1, 2)}+${wave(y, 1, 1)}+${n(c)}))`,
    { scale: 8, periodX: P },
  );
  const far = g.dots({ size: 2, density: 0.004, salt: a });
  const near = g.dots({ size: 4, density: 0.004, salt: b });
  // Brightness waves sweeping over the far stars make them twinkle.
  const twinkle = g.still(({ x, y }) => `0.5+0.5*sin(${wave(x, 1, 7)}+${wave(y, 1, 5)})`, { scale: 4, periodX: P, periodY: P });
  const sparkling = g.blend(g.scroll(far, { dx: dir }), g.scroll(twinkle, { dx: dir * 5, dy: 4 }), 'multiply');
  const field = g.blend(sparkling, g.scroll(near, { dx: dir * 2, dy: 1 }), 'lighten');
  return g.blend(g.scroll(nebula, { dx: -dir }), field, 'screen');
};

/** Streaks of rain falling fast past a dark sky; storms add lightning. */
const rain: Draw = (g) => {
  const { params } = g.canvas;
  const [a, b] = params.phases;
  const sky = g.still(({ x, y, v }) => `0.18+0.26*(1-${v})+0.07*sin(${x}*2.2+${n(a)})*sin(${y}*1.7+${n(b)})`, { scale: 8 });
  const far = g.dots({ size: 2, stretchY: 10, density: 0.02, salt: a });
  const near = g.dots({ size: 4, stretchY: 10, density: 0.02, salt: b });
  const streaks = g.blend(g.scroll(far, { dy: px(g.canvas, 22) }), g.scroll(near, { dy: px(g.canvas, 34) }), 'lighten');
  const field = g.blend(g.fixed(sky), streaks, 'screen');
  if (!params.lightning) return field;
  // Two quick flickers every few seconds, brightest at the top.
  const flash = g.column((_y, v, t) => `0.5*(between(mod(${t}+${n(a)},4.7),0.8,0.9)+0.7*between(mod(${t}+${n(a)},4.7),1.0,1.07))*(1.2-${v})`);
  return g.blend(field, flash, 'screen');
};

/** Out-of-focus lights floating up: city lights, candles, a party. */
const bokeh: Draw = (g) => {
  const { params } = g.canvas;
  const [a, b, c] = params.phases;
  const dir = params.direction;
  const base = g.still(({ x, y, v }) => `0.08+0.16*${v}+0.06*sin(${x}*2.1+${y}*1.3+${n(a)})`, { scale: 8 });
  // Big blurred dots cut at half height: flat discs with a soft rim, like a lens's. Three sizes,
  // each with its own brightness, drifting up at their own speed: the near ones faster.
  const lights = (size: number, density: number, salt: number, level: number, step: { dx?: number; dy: number }): string =>
    g.lut(g.scroll(g.dots({ size, density, salt, levels: false, spaced: true }), step), `min(255,max(0,(val-90)*5))*${n(level)}`);
  const far = lights(20, 0.12, a, 0.45, { dx: dir, dy: -px(g.canvas, 1) });
  const mid = lights(40, 0.12, b, 0.7, { dy: -px(g.canvas, 1) });
  const near = lights(80, 0.1, c, 0.95, { dx: -dir, dy: -px(g.canvas, 2) });
  return g.blend(g.fixed(base), g.blend(g.blend(far, mid, 'screen'), near, 'screen'), 'screen');
};

/** A glowing grid floor racing towards the viewer under a striped sun: the neon look. */
const grid: Draw = (g) => {
  const [a] = g.canvas.params.phases;
  const horizon = 0.5;
  const still = g.still(({ x, y, v, xmax, ymax }) => {
    const below = `(${v}-${horizon})`;
    const depth = `(0.3/(${below}+0.01))`;
    const lines = `pow(abs(cos(${n(Math.PI)}*(${x}-${n(xmax / 2)})*${depth}*1.4)),30)*clip(${below}*4,0,1)`;
    const floor = `0.08+0.9*${lines}+0.4*exp(-${below}*16)`;
    const d = `hypot(${x}-${n(xmax / 2)},${y}-${n((horizon - 0.11) * ymax)})`;
    const stripes = `gt(sin(${v}*120+${n(a)}),-0.5+3*(${v}-${n(horizon - 0.22)}))`;
    const sunDisc = `clip((0.3-${d})*40,0,1)*${stripes}`;
    const sky = `0.05+0.45*pow(${v}/${horizon},3)+0.2*exp(-${d}*3)`;
    return `if(gt(${v},${horizon}),${floor},max(${sky},0.75*${sunDisc}))`;
  }, { scale: 2 });
  // The rungs move, so they are drawn per frame, as one column.
  const rungs = g.column((_y, v, t) => {
    const below = `(${v}-${horizon})`;
    return `gt(${below},0)*pow(abs(cos(${n(Math.PI)}*(0.3/(${below}+0.01)+${t}*1.5))),30)*clip(${below}*4,0,1)*0.95`;
  });
  return g.blend(g.fixed(still), rungs, 'lighten');
};

const DRAW: Readonly<Record<Motion, Draw>> = { plasma, waves, flames, rays, snow, ridges, sun, stars, rain, bokeh, grid };

/**
 * The filter chains drawing a motion's grey field, ending in [output] (gray, frame-sized, one
 * frame per output frame, endless: the caller trims it).
 */
export const motionChains = (motion: Motion, canvas: Canvas, output: string): string[] => {
  const g = new Graph(canvas);
  const last = DRAW[motion](g);
  g.chains.push(`[${last}]format=gray[${output}]`);
  return g.chains;
};
