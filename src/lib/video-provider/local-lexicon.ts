import type { Motion } from './local-motion.ts';

/**
 * The words the local preview understands: each theme gives a motion and a palette. Scenes say
 * what moves (ocean, fire, a city); lights say what colour it is (night, sunset, neon), so "a
 * forest at night" is the forest's motion in the night's colours. Palettes run from what the
 * field's darkest value shows to its brightest, as 0xRRGGBB.
 */
export interface Theme {
  readonly name: string;
  readonly role: 'scene' | 'light';
  /** Lower-case words, each also matched with a trailing "s". */
  readonly words: readonly string[];
  readonly motion: Motion;
  readonly palette: readonly string[];
  /** The music's colour: major, suspended or minor. */
  readonly mood: 'bright' | 'calm' | 'dark';
  /** Lights whose colours this scene keeps its own against (a fire stays orange at night). */
  readonly keepsOwnColoursIn?: readonly string[];
  /** Lightning in the rain. */
  readonly lightning?: boolean;
}

export const THEMES: readonly Theme[] = [
  {
    name: 'ocean',
    role: 'scene',
    words: ['ocean', 'sea', 'wave', 'beach', 'surf', 'surfing', 'surfer', 'water', 'lake', 'river', 'underwater', 'coast', 'shore', 'tide', 'sail', 'sailing', 'boat', 'ship', 'island', 'fish', 'whale', 'dolphin'],
    motion: 'waves',
    palette: ['0x03102a', '0x0a4672', '0x168fa8', '0x72d8dc', '0xf0ffff'],
    mood: 'calm',
  },
  {
    name: 'fire',
    role: 'scene',
    words: ['fire', 'flame', 'flaming', 'burn', 'burning', 'blaze', 'lava', 'volcano', 'campfire', 'bonfire', 'candle', 'inferno', 'ember', 'dragon', 'fiery'],
    motion: 'flames',
    palette: ['0x080101', '0x4f0902', '0xbd2f08', '0xff9419', '0xfff3b8'],
    mood: 'dark',
    keepsOwnColoursIn: ['night', 'sunset'],
  },
  {
    name: 'forest',
    role: 'scene',
    words: ['forest', 'tree', 'wood', 'woods', 'jungle', 'leaf', 'leaves', 'grass', 'moss', 'nature', 'park', 'meadow', 'garden'],
    motion: 'rays',
    palette: ['0x03120a', '0x0e3a1e', '0x2c7634', '0x8cc257', '0xf4f8c4'],
    mood: 'calm',
  },
  {
    name: 'autumn',
    role: 'scene',
    words: ['autumn', 'maple', 'harvest', 'pumpkin', 'halloween'],
    motion: 'rays',
    palette: ['0x140703', '0x4a1a08', '0x9c4212', '0xe39a32', '0xfff0c4'],
    mood: 'calm',
  },
  {
    name: 'snow',
    role: 'scene',
    words: ['snow', 'snowy', 'snowing', 'snowflake', 'ice', 'icy', 'frozen', 'frost', 'frosty', 'winter', 'blizzard', 'glacier', 'arctic', 'polar', 'penguin', 'christmas', 'ski', 'skiing', 'cold'],
    motion: 'snow',
    palette: ['0x16243d', '0x436494', '0x9fbfe4', '0xe6f2ff', '0xffffff'],
    mood: 'calm',
  },
  {
    name: 'desert',
    role: 'scene',
    words: ['desert', 'sand', 'sandy', 'dune', 'sahara', 'camel', 'cactus', 'canyon', 'oasis', 'savanna', 'safari'],
    motion: 'ridges',
    palette: ['0x361405', '0x873b11', '0xcf8238', '0xf3c57e', '0xfff4d8'],
    mood: 'calm',
  },
  {
    name: 'mountain',
    role: 'scene',
    words: ['mountain', 'hill', 'peak', 'valley', 'alps', 'cliff', 'summit', 'hike', 'hiking', 'climb', 'climbing', 'landscape'],
    motion: 'ridges',
    palette: ['0x0e1729', '0x29395a', '0x587495', '0xa8c0d6', '0xf0f5f9'],
    mood: 'calm',
  },
  {
    name: 'space',
    role: 'scene',
    words: ['space', 'star', 'starry', 'galaxy', 'cosmos', 'cosmic', 'universe', 'nebula', 'planet', 'astronaut', 'rocket', 'orbit', 'spaceship', 'alien', 'mars'],
    motion: 'stars',
    palette: ['0x000004', '0x0b0826', '0x2f1f66', '0x8a7fd6', '0xffffff'],
    mood: 'dark',
    keepsOwnColoursIn: ['night'],
  },
  {
    name: 'storm',
    role: 'scene',
    words: ['storm', 'stormy', 'thunder', 'thunderstorm', 'lightning', 'hurricane', 'tornado', 'typhoon'],
    motion: 'rain',
    palette: ['0x05070d', '0x1a2331', '0x3c4e63', '0x8a9cb0', '0xf2f6ff'],
    mood: 'dark',
    lightning: true,
  },
  {
    name: 'rain',
    role: 'scene',
    words: ['rain', 'rainy', 'raining', 'drizzle', 'monsoon', 'umbrella', 'wet', 'puddle'],
    motion: 'rain',
    palette: ['0x070b12', '0x1c2a3a', '0x40576e', '0x8da3b8', '0xe6eef6'],
    mood: 'dark',
  },
  {
    name: 'city',
    role: 'scene',
    words: ['city', 'street', 'downtown', 'skyline', 'town', 'urban', 'traffic', 'metropolis', 'building', 'skyscraper', 'car', 'taxi', 'tokyo', 'london', 'paris'],
    motion: 'bokeh',
    palette: ['0x05060f', '0x1b1838', '0x6b3a4a', '0xe09a3a', '0xfff2c8'],
    mood: 'calm',
    keepsOwnColoursIn: ['night'],
  },
  {
    name: 'party',
    role: 'scene',
    words: ['party', 'birthday', 'celebration', 'celebrate', 'festival', 'firework', 'fireworks', 'concert', 'wedding', 'dance', 'dancing', 'disco', 'cake'],
    motion: 'bokeh',
    palette: ['0x0a0418', '0x3a0f4a', '0xb02a6a', '0xf5b52a', '0xfff7d6'],
    mood: 'bright',
    keepsOwnColoursIn: ['night'],
  },
  {
    name: 'love',
    role: 'scene',
    words: ['love', 'heart', 'romance', 'romantic', 'valentine', 'kiss', 'rose', 'couple'],
    motion: 'bokeh',
    palette: ['0x1a0510', '0x5a0f2a', '0xc2305a', '0xff8fb0', '0xfff0f4'],
    mood: 'bright',
  },
  {
    name: 'spring',
    role: 'scene',
    words: ['flower', 'spring', 'blossom', 'bloom', 'petal', 'tulip', 'cherry', 'butterfly', 'bee'],
    motion: 'bokeh',
    palette: ['0x24142c', '0x66386f', '0xcf78a9', '0xf8cde0', '0xfffbf2'],
    mood: 'bright',
  },
  {
    name: 'sky',
    role: 'scene',
    words: ['sky', 'cloud', 'cloudy', 'fly', 'flying', 'bird', 'plane', 'airplane', 'balloon', 'heaven', 'wind', 'kite', 'angel'],
    motion: 'plasma',
    palette: ['0x173f7a', '0x3a78c2', '0x86bcec', '0xd6eafb', '0xffffff'],
    mood: 'bright',
  },
  {
    name: 'sunset',
    role: 'light',
    words: ['sunset', 'sunrise', 'dawn', 'dusk', 'twilight', 'evening', 'golden', 'sun', 'sunny', 'summer'],
    motion: 'sun',
    palette: ['0x1b0b33', '0x5a1a5c', '0xc2344d', '0xf08a3a', '0xffe3a0'],
    mood: 'bright',
  },
  {
    name: 'neon',
    role: 'light',
    words: ['neon', 'cyberpunk', 'synthwave', 'retro', 'arcade', 'rave', 'laser', 'glow', 'glowing', 'futuristic', 'cyber'],
    motion: 'grid',
    palette: ['0x05010f', '0x2a0a4a', '0xa01a8a', '0xff4fd0', '0x6ff6ff'],
    mood: 'dark',
  },
  {
    name: 'night',
    role: 'light',
    words: ['night', 'midnight', 'moon', 'moonlight', 'moonlit', 'dark', 'darkness', 'nocturnal', 'nighttime', 'tonight'],
    motion: 'stars',
    palette: ['0x02040c', '0x0a1530', '0x1e3560', '0x7f9cc8', '0xf4f6ff'],
    mood: 'dark',
  },
];

/** Lower-case words of the prompt, accents removed, in order. */
export const promptWords = (prompt: string): string[] =>
  prompt
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

const INDEX: ReadonlyMap<string, Theme> = new Map(
  THEMES.flatMap((theme) => theme.words.flatMap((word) => [[word, theme] as const, [`${word}s`, theme] as const])),
);

/** What the prompt's words ask for: the first scene and the first light they name, if any. */
export interface ThemeMatch {
  readonly scene?: Theme;
  readonly light?: Theme;
}

export const matchThemes = (prompt: string): ThemeMatch => {
  let scene: Theme | undefined;
  let light: Theme | undefined;
  for (const word of promptWords(prompt)) {
    const theme = INDEX.get(word);
    if (theme?.role === 'scene') scene ??= theme;
    if (theme?.role === 'light') light ??= theme;
  }
  return { ...(scene && { scene }), ...(light && { light }) };
};
