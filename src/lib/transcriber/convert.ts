/**
 * Audio a transcription service does not take (AMR from older phones) is converted to what
 * WhatsApp itself sends, Ogg Opus, with the ffmpeg vidbot already uses for video.
 */
import { rm } from 'node:fs/promises';
import { runFfmpeg } from '../ffmpeg/run.ts';

/** Writes `file` as Ogg Opus beside it and returns the new path; VIDBOT_FFMPEG_FAILED when ffmpeg cannot. */
export const convertToOggOpus = async (file: string, options: { ffmpeg: string; signal?: AbortSignal }): Promise<string> => {
  const out = `${file.replace(/\.[^./]+$/, '')}.converted.ogg`;
  // Mono 24 kb/s: speech loses nothing, and the upload stays small.
  try {
    await runFfmpeg(['-y', '-i', file, '-vn', '-ac', '1', '-c:a', 'libopus', '-b:a', '24k', out], {
      ffmpeg: options.ffmpeg,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    await rm(out, { force: true });
    throw error;
  }
  return out;
};
