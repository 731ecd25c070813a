import { vidbotError } from '../errors.ts';

/** What a CLOUDINARY_URL holds: cloudinary://API_KEY:API_SECRET@CLOUD_NAME[/SECURE_DISTRIBUTION][?params]. */
export interface CloudinaryCredentials {
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Origin of the upload and Admin APIs (`upload_prefix`); the SDK's default when absent. */
  readonly uploadPrefix?: string;
  /** `api_proxy`: an HTTP proxy for API calls. */
  readonly apiProxy?: string;
  /** `signature_algorithm`: how upload parameters are signed; the SDK defaults to sha1. */
  readonly signatureAlgorithm?: 'sha1' | 'sha256';
  /** The URL's path, which the SDK takes as a private CDN's host name (delivery only). */
  readonly secureDistribution?: string;
  /** Every query parameter as written, which the SDK would merge into its config. */
  readonly params: Readonly<Record<string, string>>;
}

const SHAPE = 'cloudinary://API_KEY:API_SECRET@CLOUD_NAME';

/** Never includes the URL itself: it holds the API secret. */
const invalid = (problem: string) =>
  vidbotError('VIDBOT_CONFIG_INVALID', `CLOUDINARY_URL is invalid: ${problem}.`, {
    hint: `Set CLOUDINARY_URL to ${SHAPE} (the "API environment variable" of your Cloudinary console).`,
  });

const decode = (part: string, what: string): string => {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`the ${what} is not properly percent-encoded`);
  }
};

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
};

/** Parses CLOUDINARY_URL the way the SDK does, but strictly: missing parts fail here, not at the first upload. */
export const parseCloudinaryUrl = (value: string): CloudinaryCredentials => {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('it is empty');
  const text = value.trim();
  if (/^CLOUDINARY_URL\s*=/i.test(text)) throw invalid('give only the value, without "CLOUDINARY_URL="');
  if (!text.toLowerCase().startsWith('cloudinary://')) throw invalid('it must start with cloudinary://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // No cause: URL's TypeError carries the input, secret included.
    throw invalid(`it does not have the shape ${SHAPE}`);
  }
  const cloudName = decode(url.hostname, 'cloud name');
  const apiKey = decode(url.username, 'API key');
  const apiSecret = decode(url.password, 'API secret');
  if (cloudName === '' || !/^[A-Za-z0-9_-]+$/.test(cloudName)) throw invalid('the cloud name (after @) is missing or malformed');
  if (apiKey === '') throw invalid('the API key (before the colon) is missing');
  if (apiSecret === '') throw invalid('the API secret (between the colon and @) is missing');

  const params: Record<string, string> = {};
  for (const [key, param] of url.searchParams) params[key] = param;
  const { upload_prefix: uploadPrefix, api_proxy: apiProxy, signature_algorithm: algorithm } = params;
  if (uploadPrefix !== undefined && !isHttpUrl(uploadPrefix)) throw invalid('upload_prefix must be an http(s) URL');
  if (apiProxy !== undefined && !isHttpUrl(apiProxy)) throw invalid('api_proxy must be an http(s) URL');
  if (algorithm !== undefined && algorithm !== 'sha1' && algorithm !== 'sha256') {
    throw invalid('signature_algorithm must be sha1 or sha256');
  }
  const secureDistribution = url.pathname.replace(/^\/+/, '');

  return {
    cloudName,
    apiKey,
    apiSecret,
    params,
    ...(uploadPrefix === undefined ? {} : { uploadPrefix: uploadPrefix.replace(/\/+$/, '') }),
    ...(apiProxy === undefined ? {} : { apiProxy }),
    ...(algorithm === undefined ? {} : { signatureAlgorithm: algorithm }),
    ...(secureDistribution === '' ? {} : { secureDistribution }),
  };
};
