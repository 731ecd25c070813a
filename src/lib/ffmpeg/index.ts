export { locateFfmpeg, resolveInstallerPackages } from './locate.ts';
export type { FfmpegBinaries, FfmpegSource, InstallerBinaries, LocateFfmpegOptions } from './locate.ts';
export { assertVideo, probeMedia, probeVideo, readMp4Boxes } from './probe.ts';
export type { AudioStreamInfo, Mp4Box, ProbeOptions, ProbedMedia, ProbedVideo, VideoStreamInfo } from './probe.ts';
export { createProgressParser, runFfmpeg } from './run.ts';
export type { FfmpegRun, RunFfmpegOptions } from './run.ts';
