/** Every motion and every theme's known colours of the local preview, rendered with Debian's ffmpeg. */
import { everyLookRenders } from './local-looks.ts';
import { FFMPEG } from './local-clips.ts';

everyLookRenders('Debian ffmpeg', FFMPEG, true);
