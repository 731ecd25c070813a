import { type FfmpegBinaries, locateFfmpeg } from '../../src/lib/ffmpeg/locate.ts';

let located: Promise<FfmpegBinaries> | undefined;

/**
 * The ffmpeg a vidbot made with the test's own environment would find, looked up once per test
 * file (each lookup runs both binaries: a few tenths of a second) and handed to the vidbots the
 * helpers make (CreateVidbotOptions.ffmpeg). Tests of the lookup itself, or with an FFMPEG_BIN or
 * a PATH of their own, go without it.
 */
export const sharedFfmpeg = (): Promise<FfmpegBinaries> => (located ??= locateFfmpeg());

/** The shared ffmpeg for a vidbot whose settings leave the lookup as it is: no FFMPEG_BIN, no environment of its own. */
export const sharedFfmpegFor = async (env: Readonly<Record<string, string>>, own?: { readonly env?: unknown; readonly ffmpeg?: FfmpegBinaries }): Promise<{ ffmpeg?: FfmpegBinaries }> =>
  env.FFMPEG_BIN !== undefined || own?.env !== undefined ? {} : { ffmpeg: own?.ffmpeg ?? (await sharedFfmpeg()) };
