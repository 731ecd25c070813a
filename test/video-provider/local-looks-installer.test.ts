/** Every motion of the local preview, rendered with the @ffmpeg-installer fallback (a 2018 static build); its colours where known. */
import { everyLookRenders } from './local-looks.ts';
import { OLD_FFMPEG } from './local-clips.ts';

if (OLD_FFMPEG === undefined) console.log('Skipping the @ffmpeg-installer renders: the optional package is not installed.');
everyLookRenders('@ffmpeg-installer ffmpeg', OLD_FFMPEG, false);
