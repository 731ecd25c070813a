import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/settings.ts';
import type { FfmpegBinaries } from '../ffmpeg/locate.ts';
import { checkWhatsappClip } from './checks/clip.ts';
import { checkCloudApi, checkCloudWebhook } from './checks/cloud-api.ts';
import { checkCloudinary } from './checks/cloudinary.ts';
import { checkFfmpeg } from './checks/ffmpeg.ts';
import { checkMediaUrl } from './checks/media-url.ts';
import { checkNode } from './checks/node.ts';
import { checkOpenAI } from './checks/openai.ts';
import { checkPublicUrl, checkSignature } from './checks/public-url.ts';
import { checkReplicate } from './checks/replicate.ts';
import { checkFal } from './checks/fal.ts';
import { checkCog } from './checks/cog.ts';
import { checkQueue, checkStore } from './checks/store-queue.ts';
import { checkTwilio } from './checks/twilio.ts';
import { seconds, timed } from './timed.ts';
import { type CheckOutcome, type CheckStatus, type DoctorCheck, type DoctorContext, type DoctorOptions, type DoctorReport, fail, skip, warn } from './types.ts';

const usable = (check: DoctorCheck): boolean => check.status === 'pass' || check.status === 'warn';

/** Every invalid value on one line, each error's hint after: the user fixes them all before the next run. */
const invalidSettings = (errors: readonly Error[]): CheckOutcome => {
  const hints = [...new Set(errors.map((error) => (error as { hint?: string }).hint).filter((hint) => hint !== undefined))];
  const count = `${errors.length} invalid value${errors.length === 1 ? '' : 's'}, which every other command refuses: `;
  return fail(`${count}${errors.map((error) => error.message.replace(/\.$/, '')).join('; ')}`, hints.join(' '));
};

/** The resolved dependencies every check gets; exported to run single checks (tests, other tools). */
export const createDoctorContext = (config: Config, options: DoctorOptions = {}): DoctorContext => ({
  config,
  env: options.env ?? process.env,
  fetch: options.fetch ?? globalThis.fetch,
  timeoutMs: options.timeoutMs ?? 5_000,
  clipTimeoutMs: options.clipTimeoutMs ?? 60_000,
  nodeVersion: options.nodeVersion ?? process.versions.node,
  ...(options.resolveInstaller === undefined ? {} : { resolveInstaller: options.resolveInstaller }),
  publicUrlName: options.publicUrlName ?? 'PUBLIC_BASE_URL',
});

/**
 * Runs every check of `vidbot doctor` against a configuration and returns the report. Independent
 * checks run at once; the public-URL round trips wait for the health check, and the media check
 * for the rendered clip. Never throws for what it finds: failures are in the report.
 */
export const runDoctor = async (config: Config, options: DoctorOptions = {}): Promise<DoctorReport> => {
  const ctx = createDoctorContext(config, options);
  const limit = ctx.timeoutMs;
  const slow = (what: string): CheckOutcome =>
    warn(`${what} did not answer within ${seconds(limit)}`, 'Check the network, then run `vidbot doctor` again.');
  const report = async (check: Promise<DoctorCheck>): Promise<DoctorCheck> => {
    const done = await check;
    options.onCheck?.(done);
    return done;
  };
  const run = (id: DoctorCheck['id'], title: string, work: () => Promise<CheckOutcome>, onTimeout = slow(title), ms = limit) =>
    report(timed(id, title, ms, onTimeout, work));
  const skipped = (id: DoctorCheck['id'], title: string, why: string) =>
    report(Promise.resolve({ id, title, ...skip(why), durationMs: 0 }));

  const workDir = await mkdtemp(join(tmpdir(), 'vidbot-doctor-'));
  try {
    let binaries: (FfmpegBinaries & { drawtext: boolean }) | undefined;
    let clip: string | undefined;
    const invalid = Object.values(options.invalidSettings ?? {});
    const settings =
      invalid.length === 0 ? [] : [report(Promise.resolve({ id: 'settings' as const, title: 'Settings', ...invalidSettings(invalid), durationMs: 0 }))];
    const node = run('node', 'Node.js', async () => checkNode(ctx.nodeVersion));
    const ffmpeg = run(
      'ffmpeg',
      'ffmpeg',
      () => checkFfmpeg(ctx, (found, features) => void (binaries = { ...found, ...features })),
      fail(`ffmpeg did not answer within ${seconds(limit * 3)}`, 'Check FFMPEG_BIN, or the ffmpeg on PATH.'),
      limit * 3,
    );
    // A second more than the connect timeouts inside, so their messages (with hints) come first.
    const storeSlow = fail(`the store did not open within ${seconds(limit)}`, 'Check VIDBOT_DATA_DIR, or MONGODB_URI or DATABASE_URL.');
    const store = run('store', 'Store', () => checkStore(ctx), storeSlow, limit + 1000);
    const queueSlow = fail(`the queue did not answer within ${seconds(limit)}`, 'Check REDIS_URL.');
    const queue = run('queue', 'Queue', () => checkQueue(ctx), queueSlow, limit + 1000);
    const twilio = run('twilio', 'Twilio', () => checkTwilio(ctx));
    const cloudApi = run('cloud-api', 'Cloud API', () => checkCloudApi(ctx));
    const replicate = run('replicate', 'Replicate', () => checkReplicate(ctx));
    const fal = run('fal', 'fal.ai', () => checkFal(ctx));
    const cog = run('cog', 'Cog server', () => checkCog(ctx));
    const openai = run('openai', 'OpenAI', () => checkOpenAI(ctx));
    const cloudinary = run('cloudinary', 'Cloudinary', () => checkCloudinary(ctx));
    const serverSlow = fail(`${ctx.publicUrlName} did not answer within ${seconds(limit)}`, 'Check that the server runs and the tunnel or proxy forwards to it.');
    const publicUrl = options.invalidSettings?.publicBaseUrl && config.publicBaseUrl === undefined
      ? skipped('public-url', 'Public URL', 'PUBLIC_BASE_URL is not a URL (see Settings)')
      : run('public-url', 'Public URL', () => checkPublicUrl(ctx), serverSlow);

    const signature = publicUrl.then((health) => {
      if (!usable(health)) {
        return skipped('signature', 'Signature', health.status === 'fail' ? `${ctx.publicUrlName} does not work (see above)` : 'no public URL to post to');
      }
      return run('signature', 'Signature', () => checkSignature(ctx), fail(`the signed request got no answer within ${seconds(limit)}`, 'Check the server\'s log.'));
    });
    const cloudWebhook = Promise.all([publicUrl, cloudApi]).then(([health, cloud]) => {
      if (cloud.status === 'skip') return skipped('cloud-webhook', 'Cloud API webhook', 'the Cloud API is not configured');
      if (config.publicBaseUrl && !usable(health)) return skipped('cloud-webhook', 'Cloud API webhook', `${ctx.publicUrlName} does not work (see above)`);
      return run('cloud-webhook', 'Cloud API webhook', () => checkCloudWebhook(ctx), fail(`the webhook got no answer within ${seconds(limit)}`, 'Check the server\'s log.'));
    });
    const clipCheck = ffmpeg.then((found) => {
      const tools = binaries;
      if (tools === undefined || found.status === 'fail') return skipped('whatsapp-clip', 'WhatsApp clip', 'needs a working ffmpeg (see above)');
      const slowClip = fail(`rendering and compressing the test clip took over ${seconds(ctx.clipTimeoutMs)}`, 'Run `vidbot generate "test" --verbose` to see why.');
      return run('whatsapp-clip', 'WhatsApp clip', () => checkWhatsappClip(ctx, tools, workDir, (file) => void (clip = file)), slowClip, ctx.clipTimeoutMs);
    });
    const media = Promise.all([clipCheck, publicUrl, cloudinary]).then(([made, health, cloud]) => {
      const why =
        config.cloudinaryUrl && cloud.status !== 'pass' ? 'CLOUDINARY_URL did not check out (see above)'
        : !config.cloudinaryUrl && !config.publicBaseUrl ? 'local media needs PUBLIC_BASE_URL for a public /media URL'
        : !config.cloudinaryUrl && !usable(health) ? `${ctx.publicUrlName} does not work (see above)`
        : clip === undefined || made.status === 'fail' ? 'no compliant test clip to publish (see WhatsApp clip)'
        : undefined;
      const file = clip;
      if (why !== undefined || file === undefined) return skipped('media-url', 'Media URL', why ?? 'no test clip');
      const slowMedia = fail(`publishing and fetching the test clip took over ${seconds(ctx.clipTimeoutMs)}`, 'Check the media host.');
      return run('media-url', 'Media URL', () => checkMediaUrl(ctx, file), slowMedia, ctx.clipTimeoutMs);
    });
    const checks = await Promise.all([...settings, node, ffmpeg, store, queue, twilio, cloudApi, replicate, fal, cog, openai, cloudinary, publicUrl, signature, cloudWebhook, media, clipCheck]);
    const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const check of checks) counts[check.status] += 1;
    return { ok: counts.fail === 0, checks, counts };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
};
