/**
 * Cloudinary's Admin API for the doctor (ping, and removing its own test upload), called the way
 * the Cloudinary media host calls it: every credential and the upload_prefix passed per call
 * (never v2.config(), which is process-wide), and a fresh agent per call that the time limit can
 * cut, since the SDK has no cancel.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CloudinaryCredentials } from '../media-host/cloudinary-url.ts';
import { hideSecret } from '../text.ts';

type Sdk = (typeof import('cloudinary'))['v2'];
type Done = (error: unknown, result?: unknown) => void;

export interface CloudinaryAdminError {
  /** Cloudinary's HTTP status, when it answered. */
  readonly status?: number;
  /** The reason, with the API secret masked. */
  readonly text: string;
  readonly cause: unknown;
}

export interface CloudinaryAdmin {
  /** GET /ping: the credentials are accepted. */
  ping(): Promise<void>;
  /** Deletes uploaded videos by public id (best effort). */
  deleteVideos(publicIds: readonly string[]): Promise<void>;
}

/** Reads an SDK failure ({ error: { message, http_code } }, Errors, bare objects) without leaking the secret. */
export const describeCloudinaryError = (error: unknown, secret: string): CloudinaryAdminError => {
  const inner = (error as { error?: unknown } | undefined)?.error ?? error;
  const { message, http_code: status } = (inner ?? {}) as { message?: unknown; http_code?: unknown };
  const raw = typeof message === 'string' && message !== '' ? message : String(inner);
  const text = hideSecret(raw, secret).replace(/\s+/g, ' ').slice(0, 160);
  return { ...(typeof status === 'number' ? { status } : {}), text, cause: inner };
};

export const createCloudinaryAdmin = (creds: CloudinaryCredentials, timeoutMs: number): CloudinaryAdmin => {
  const plainHttp = creds.uploadPrefix?.startsWith('http:') ?? false;
  const proxyEnv = creds.apiProxy === undefined ? undefined : { HTTP_PROXY: creds.apiProxy, HTTPS_PROXY: creds.apiProxy };

  const call = async (start: (sdk: Sdk, options: Record<string, unknown>, done: Done) => unknown): Promise<unknown> => {
    const sdk = (await import('cloudinary')).v2;
    const agent = plainHttp ? new HttpAgent({ proxyEnv }) : new HttpsAgent({ proxyEnv });
    const options = {
      cloud_name: creds.cloudName,
      api_key: creds.apiKey,
      api_secret: creds.apiSecret,
      ...(creds.uploadPrefix === undefined ? {} : { upload_prefix: creds.uploadPrefix }),
      timeout: timeoutMs,
      agent,
    };
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, result?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        agent.destroy();
        if (error == null) resolve(result);
        else reject(describeCloudinaryError(error, creds.apiSecret));
      };
      const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      try {
        start(sdk, options, finish);
      } catch (error) {
        finish(error);
      }
    });
  };

  return {
    async ping() {
      await call((sdk, options, done) => sdk.api.ping(options, done));
    },
    async deleteVideos(publicIds) {
      if (publicIds.length === 0) return;
      await call((sdk, options, done) => sdk.api.delete_resources([...publicIds], { ...options, resource_type: 'video', type: 'upload' }, done));
    },
  };
};
