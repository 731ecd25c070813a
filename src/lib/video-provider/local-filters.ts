/**
 * The ffmpeg filters the local preview draws with: those it cannot do without, and groups it uses
 * when present and replaces with something plainer when not. `vidbot doctor` checks an ffmpeg
 * against this list; the renderer plans each render with it.
 */

/** Without any one of these there is no preview: the frame, the text and the audio track. */
export const REQUIRED_FILTERS = ['color', 'format', 'scale', 'crop', 'setsar', 'trim', 'split', 'overlay', 'drawbox', 'drawtext', 'anullsrc'] as const;

/** What the renderer can leave out, the filters each needs, and what it does instead. */
export const OPTIONAL_FEATURES = {
  motion: {
    filters: ['geq', 'lut', 'blend', 'loop', 'gblur', 'pseudocolor'],
    without: "a still background in the prompt's colours instead of the moving one",
  },
  photoMotion: { filters: ['perspective', 'loop'], without: 'photos stay still instead of slowly zooming' },
  photoBlur: { filters: ['gblur'], without: 'a coarser blur behind photos' },
  sound: { filters: ['aevalsrc', 'afade'], without: 'silent clips instead of a soft chord' },
} as const satisfies Record<string, { readonly filters: readonly string[]; readonly without: string }>;

export type PreviewFeature = keyof typeof OPTIONAL_FEATURES;

/** Which optional parts a render uses. */
export type PreviewCapabilities = Readonly<Record<PreviewFeature, boolean>>;

export const ALL_CAPABILITIES: PreviewCapabilities = { motion: true, photoMotion: true, photoBlur: true, sound: true };

/** Every filter the renderer can use, required first. */
export const PREVIEW_FILTERS: readonly string[] = [
  ...new Set([...REQUIRED_FILTERS, ...Object.values(OPTIONAL_FEATURES).flatMap((feature) => feature.filters)]),
];

/** What an ffmpeg with these filters lacks: required filters, and optional features with their missing filters. */
export const missingPreviewFilters = (
  filters: ReadonlySet<string>,
): { readonly required: string[]; readonly optional: Array<{ feature: PreviewFeature; filters: string[]; without: string }> } => ({
  required: REQUIRED_FILTERS.filter((name) => !filters.has(name)),
  optional: Object.entries(OPTIONAL_FEATURES).flatMap(([feature, spec]) => {
    const lacking = spec.filters.filter((name) => !filters.has(name));
    return lacking.length === 0 ? [] : [{ feature: feature as PreviewFeature, filters: lacking, without: spec.without }];
  }),
});

/** The optional parts an ffmpeg with these filters can draw; all of them when its filters are unknown. */
export const previewCapabilities = (filters: ReadonlySet<string> | undefined): PreviewCapabilities => {
  if (filters === undefined) return ALL_CAPABILITIES;
  const has = (feature: PreviewFeature): boolean => OPTIONAL_FEATURES[feature].filters.every((name) => filters.has(name));
  return { motion: has('motion'), photoMotion: has('photoMotion'), photoBlur: has('photoBlur'), sound: has('sound') };
};
