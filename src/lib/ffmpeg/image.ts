import { isVidbotError } from '../errors.ts';
import { runFfmpeg } from './run.ts';

/**
 * Whether ffmpeg can decode an image's first frame. A photo whose first bytes are right and whose data
 * is not (a download cut short) passes the type check and fails only when the video is made, three
 * times, as if the bot were at fault. An ffmpeg that cannot be run is not the photo's fault: true.
 */
export const imageDecodes = async (ffmpeg: string, file: string, signal?: AbortSignal): Promise<boolean> => {
  try {
    await runFfmpeg(['-xerror', '-i', file, '-frames:v', '1', '-f', 'null', '-'], { ffmpeg, ...(signal ? { signal } : {}) });
    return true;
  } catch (error) {
    if (isVidbotError(error, 'VIDBOT_FFMPEG_FAILED') && typeof error.details.exitCode === 'number') return false;
    if (isVidbotError(error, 'VIDBOT_CANCELED')) throw error;
    return true;
  }
};
