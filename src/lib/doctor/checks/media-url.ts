import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCloudinaryUrl } from '../../media-host/cloudinary-url.ts';
import { createLocalMediaHost } from '../../media-host/local.ts';
import type { PublishedMedia } from '../../media-host/port.ts';
import { createCloudinaryAdmin } from '../cloudinary-admin.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, pass, systemCode, warn } from '../types.ts';

/** Publishes through the configured media host; returns the result and how to remove it again. */
const publish = async (ctx: DoctorContext, file: string): Promise<{ published: PublishedMedia; remove: () => Promise<void> }> => {
  const { config } = ctx;
  if (config.cloudinaryUrl) {
    const { createCloudinaryMediaHost } = await import('../../media-host/cloudinary.ts');
    const host = createCloudinaryMediaHost({ cloudinaryUrl: config.cloudinaryUrl, folder: config.cloudinaryFolder, timeoutMs: ctx.clipTimeoutMs });
    const published = await host.publish(file);
    const admin = createCloudinaryAdmin(parseCloudinaryUrl(config.cloudinaryUrl), ctx.timeoutMs);
    return { published, remove: () => admin.deleteVideos([published.id]).catch(() => undefined) };
  }
  const host = createLocalMediaHost({ dir: config.mediaDir ?? join(config.dataDir, 'media'), ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) });
  const published = await host.publish(file);
  return { published, remove: () => (published.path ? rm(published.path, { force: true }) : Promise.resolve()) };
};

/**
 * Publishes the test clip through the configured media host and HEADs its public URL as WhatsApp's
 * fetcher would: 200, Content-Type video/mp4, Content-Length equal to the file's size.
 */
export const checkMediaUrl = async (ctx: DoctorContext, file: string): Promise<CheckOutcome> => {
  const cloud = Boolean(ctx.config.cloudinaryUrl);
  const size = (await stat(file)).size;
  let done: Awaited<ReturnType<typeof publish>>;
  try {
    done = await publish(ctx, file);
  } catch (error) {
    return fail(`publishing a test clip failed: ${messageOf(error)}`, hintOf(error) ?? 'Check the media host\'s settings.');
  }
  try {
    const { url } = done.published;
    if (url === undefined) return fail('the media host gave the test clip no public URL', 'Set PUBLIC_BASE_URL (local media) or CLOUDINARY_URL.');
    let response: Response;
    try {
      response = await ctx.fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(ctx.timeoutMs) });
    } catch (error) {
      const detail = `could not reach ${new URL(url).origin} for HEAD ${url}: ${systemCode(error) ?? messageOf(error)}`;
      return cloud ? warn(detail, 'Check the network.') : fail(detail, 'Start `vidbot serve` and make sure PUBLIC_BASE_URL reaches it.');
    }
    const type = response.headers.get('content-type') ?? '';
    const length = response.headers.get('content-length');
    if (response.status === 404 && !cloud) {
      return fail(
        `HEAD ${url} answered 404: the server does not see the clip published into ${ctx.config.mediaDir ?? join(ctx.config.dataDir, 'media')}`,
        'The server at PUBLIC_BASE_URL uses another data folder or machine: run `vidbot doctor` with its VIDBOT_DATA_DIR, or set CLOUDINARY_URL so every machine shares the media.',
      );
    }
    if (response.status !== 200) return fail(`HEAD ${url} answered ${response.status}, not 200`, 'WhatsApp must be able to fetch the video: check the proxy or CDN in front of it.');
    if (!type.startsWith('video/mp4')) {
      return fail(`HEAD ${url} says Content-Type "${type}", not video/mp4`, 'WhatsApp refuses other types: make the proxy or CDN in front of /media pass Content-Type through.');
    }
    if (length !== String(size)) {
      return fail(`HEAD ${url} says Content-Length ${length ?? 'none'}, but the file has ${size} bytes`, 'Turn off compression or rewriting of /media responses in the proxy in front of the server.');
    }
    return pass(`${cloud ? 'Cloudinary' : 'local /media'} URL answers HEAD 200, video/mp4, ${size} bytes: ${url}`);
  } finally {
    await done.remove();
  }
};
