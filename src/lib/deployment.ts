import type { Vidbot } from './create-vidbot.ts';
import { vidbotError } from './errors.ts';

/**
 * A shared store (MongoDB, PostgreSQL) means web and workers may run on different machines; local
 * media files live on one of them, so the web side could not serve what a worker made. Refuse that setup.
 */
export const assertSharedMedia = (vidbot: Pick<Vidbot, 'store' | 'mediaHost'>): void => {
  if (vidbot.store.shared && !vidbot.mediaHost.shared) {
    throw vidbotError('VIDBOT_CONFIG_INVALID', `The ${vidbot.store.name} store lets vidbot run on several machines, but ${vidbot.mediaHost.name} media files stay on the machine that made them.`, {
      hint: 'Set CLOUDINARY_URL so every machine publishes to a shared media host, or VIDBOT_MEDIA_DIR to a folder every process mounts.',
    });
  }
};
