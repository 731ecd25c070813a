import { execa } from 'execa';

/** What an ffmpeg build offers, as far as vidbot asks. */
export interface FfmpegFeatures {
  /** Every filter the build lists (`ffmpeg -filters`). */
  readonly filters: ReadonlySet<string>;
  /** Built with fontconfig, so drawtext finds a font by family name ("Sans"), not only by file. */
  readonly fontconfig: boolean;
}

/** Names listed by `-encoders` ("V....D libx264  ...") or `-filters` ("T.C drawtext  V->V ..."). */
export const listedNames = (text: string, kind: 'encoders' | 'filters'): Set<string> => {
  const pattern = kind === 'encoders' ? /^\s*[VAS][.A-Z]{5}\s+(\S+)/ : /^\s*[.A-Z|]{2,4}\s+(\S+)\s+\S*->\S*/;
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = pattern.exec(line)?.[1];
    if (name !== undefined) names.add(name);
  }
  return names;
};

/** Reads the features from `ffmpeg -filters` and `ffmpeg -version` output; undefined when no filter is listed. */
export const parseFeatures = (filtersText: string, versionText: string): FfmpegFeatures | undefined => {
  const filters = listedNames(filtersText, 'filters');
  if (filters.size === 0) return undefined;
  // Debian says --enable-libfontconfig; older static builds --enable-fontconfig.
  return { filters, fontconfig: /--enable-(lib)?fontconfig\b/.test(versionText) };
};

/**
 * Asks an ffmpeg binary what it offers. Undefined when it cannot tell (it fails, or lists no
 * filters): callers then try their work and let ffmpeg's own error speak. Takes a few tens of
 * milliseconds; callers keep the answer for the binary rather than asking again.
 */
export const detectFfmpegFeatures = async (ffmpeg: string, options: { readonly timeoutMs?: number } = {}): Promise<FfmpegFeatures | undefined> => {
  const run = (args: readonly string[]) =>
    execa(ffmpeg, args, { timeout: options.timeoutMs ?? 20_000, reject: false, stdin: 'ignore' }).then(
      (result) => (result.exitCode === 0 ? String(result.stdout) : ''),
      () => '',
    );
  const [filters, version] = await Promise.all([run(['-hide_banner', '-filters']), run(['-hide_banner', '-version'])]);
  return parseFeatures(filters, version);
};
