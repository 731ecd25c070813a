/**
 * A photo sent to be animated: fetched under the rules of the channel it came through (its hosts,
 * its credentials, a size cap, a check of its bytes) and digested (the same photo sent twice is one
 * request), then, once it is to be made, decoded once, so a photo cut short is refused now rather
 * than failing its video three times later as if the bot were at fault.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Vidbot } from '../create-vidbot.ts';
import { MediaDownloadError, downloadInboundImage } from '../channel/media.ts';
import type { InboundMedia, InboundMessage } from '../channel/port.ts';
import { imageDecodes } from '../ffmpeg/image.ts';
import { mediaTexts } from './replies-media.ts';

/** The photo's file and its bytes' digest (the same photo sent twice is one request), or what to tell its sender instead. */
export type FetchedPhoto = { readonly file: string; readonly digest: string } | { readonly refused: string };

const digestOf = async (file: string, signal?: AbortSignal): Promise<string> => {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file, signal ? { signal } : {})) hash.update(chunk as Buffer);
  return hash.digest('base64url');
};

/** Downloads the photo and digests its bytes; a refusal when it is too large, not an image or out of reach. */
export const fetchPhoto = async (
  vidbot: Pick<Vidbot, 'channels' | 'paths' | 'config' | 'ffmpeg'>,
  message: InboundMessage,
  image: InboundMedia,
  signal?: AbortSignal,
): Promise<FetchedPhoto> => {
  const maxBytes = vidbot.config.inboundMediaMaxBytes;
  let file: string;
  try {
    file = await downloadInboundImage(image.url, vidbot.channels.get(message.channel).media, {
      dir: join(vidbot.paths.dataDir, 'inbound'),
      maxBytes,
      // A name of this delivery's own: a redelivery of the message, refused, must not remove the
      // file of the task its first delivery made.
      name: `${message.messageId}-${randomBytes(4).toString('hex')}`,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof MediaDownloadError)) throw error;
    return { refused: error.reason === 'too-large' ? mediaTexts.tooLarge(maxBytes) : error.reason === 'not-image' ? mediaTexts.imageFormat : mediaTexts.couldNotUse };
  }
  try {
    return { file, digest: await digestOf(file, signal) };
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
};

/** What to tell its sender when the photo does not decode (its file then removed); undefined when it does. */
export const damagedPhoto = async (vidbot: Pick<Vidbot, 'ffmpeg'>, file: string, signal?: AbortSignal): Promise<string | undefined> => {
  if (await imageDecodes(vidbot.ffmpeg.ffmpeg, file, signal)) return undefined;
  await rm(file, { force: true });
  return mediaTexts.damaged;
};
