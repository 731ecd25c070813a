import { parseCloudinaryUrl } from '../../media-host/cloudinary-url.ts';
import { type CloudinaryAdminError, createCloudinaryAdmin } from '../cloudinary-admin.ts';
import { type CheckOutcome, type DoctorContext, fail, hintOf, messageOf, originOf, pass, skip } from '../types.ts';
import { serviceFailure } from './service-errors.ts';

/** An Admin API ping with CLOUDINARY_URL's credentials (and upload_prefix), as the media host calls it. */
export const checkCloudinary = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { cloudinaryUrl } = ctx.config;
  if (!cloudinaryUrl) return skip('not configured: videos are served from this server\'s /media');
  let creds: ReturnType<typeof parseCloudinaryUrl>;
  try {
    creds = parseCloudinaryUrl(cloudinaryUrl);
  } catch (error) {
    return fail(messageOf(error), hintOf(error) ?? 'Set CLOUDINARY_URL to cloudinary://API_KEY:API_SECRET@CLOUD_NAME.');
  }
  try {
    await createCloudinaryAdmin(creds, ctx.timeoutMs).ping();
  } catch (error) {
    const { status, text, cause } = error as CloudinaryAdminError;
    return serviceFailure({
      service: 'Cloudinary',
      variables: 'CLOUDINARY_URL (API key and secret)',
      origin: originOf(creds.uploadPrefix, 'the Cloudinary API'),
      baseVariable: "CLOUDINARY_URL's upload_prefix",
      status,
      error: cause,
      text,
    });
  }
  return pass(`credentials accepted for cloud ${creds.cloudName}; uploads go to folder ${ctx.config.cloudinaryFolder}`);
};
