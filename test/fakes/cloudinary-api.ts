/**
 * A loopback fake of Cloudinary's upload and Admin APIs (the parts vidbot uses), speaking the wire
 * format the official SDK sends, so the SDK signs, chunks and parses against it as against the real
 * service:
 * - POST /v1_1/{cloud}/{resource_type}/upload: multipart form, signed (sorted params + secret, sha1 or
 *   sha256); chunked when Content-Range and X-Unique-Upload-Id are present;
 * - GET (and HEAD) /{cloud}/{resource_type}/upload/v{version}/{public_id}.{format}: the stored bytes (secure_url);
 * - GET  /v1_1/{cloud}/ping (basic auth): the Admin API's ping;
 * - GET  /v1_1/{cloud}/resources/{resource_type}/upload?prefix&max_results&next_cursor (basic auth);
 * - DELETE /v1_1/{cloud}/resources/{resource_type}/upload with public_ids[] (basic auth).
 * Requests through a proxy (absolute-form URLs) are served too, and marked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MultipartPart, readMultipart } from './multipart.ts';

export interface FakeCloudinaryResource {
  readonly publicId: string;
  readonly resourceType: string;
  readonly version: number;
  readonly format: string;
  readonly bytes: Buffer;
  readonly createdAt: Date;
}

/** A finished upload: how many chunks it took and a digest to compare with the source. */
export interface FakeCloudinaryUpload {
  readonly publicId: string;
  readonly resourceType: string;
  readonly folder?: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly chunks: number;
}

export interface FakeCloudinaryRequest {
  readonly method: string;
  readonly path: string;
  /** 0 when the fake never answered (hangNext). */
  readonly status: number;
  /** Whether it came through a proxy (absolute-form request target). */
  readonly viaProxy: boolean;
  readonly contentRange?: string;
}

export interface FakeCloudinaryOptions {
  readonly cloudName?: string;
  readonly apiKey?: string;
  readonly apiSecret?: string;
  readonly signatureAlgorithm?: 'sha1' | 'sha256';
  /** Smallest non-final chunk accepted; Cloudinary's is 5 MB. */
  readonly minChunkBytes?: number;
  /** Caps max_results of resource listings, to exercise paging. */
  readonly pageSize?: number;
}

export interface FakeCloudinary {
  readonly url: string;
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** cloudinary://KEY:SECRET@CLOUD?upload_prefix=<this fake>. */
  readonly cloudinaryUrl: string;
  readonly uploads: FakeCloudinaryUpload[];
  readonly requests: FakeCloudinaryRequest[];
  readonly resources: Map<string, FakeCloudinaryResource>;
  /** The next `times` API requests (after letting `after` through) answer `status` with Cloudinary's error body. */
  failNext(status: number, times?: number, message?: string, after?: number): void;
  /** The next `times` API requests are read but never answered. */
  hangNext(times?: number): void;
  /** How many unanswered (hung) requests still hold their connection open. */
  hanging(): number;
  /** The next `times` API requests answer 200 with a body that is not JSON. */
  malformedNext(times?: number): void;
  /** The next API request answers exactly this (e.g. JSON missing fields). */
  respondNext(status: number, body: string): void;
  /** Adds a stored video as if uploaded at `createdAt`. */
  seed(publicId: string, options?: { createdAt?: Date; bytes?: Buffer; resourceType?: string }): FakeCloudinaryResource;
  close(): Promise<void>;
}

type Fault = { kind: 'pass' } | { kind: 'status'; status: number; message: string } | { kind: 'hang' } | { kind: 'raw'; status: number; body: string };

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Cloudinary's rule: every parameter but file, cloud_name, resource_type and api_key, sorted, `&` escaped (signature v2). */
export const cloudinarySignature = (params: Record<string, string>, secret: string, algorithm: 'sha1' | 'sha256' = 'sha1'): string => {
  const excluded = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature']);
  const toSign = Object.entries(params)
    .filter(([key, value]) => !excluded.has(key) && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`.replace(/&/g, '%26'))
    .join('&');
  return createHash(algorithm).update(toSign + secret).digest('hex');
};

export const startFakeCloudinary = async (options: FakeCloudinaryOptions = {}): Promise<FakeCloudinary> => {
  const cloudName = options.cloudName ?? 'fake-cloud';
  const apiKey = options.apiKey ?? '123456789012345';
  const apiSecret = options.apiSecret ?? 'fake-secret-Xy9_z';
  const algorithm = options.signatureAlgorithm ?? 'sha1';
  const minChunk = options.minChunkBytes ?? 5 * 1024 * 1024;
  const uploads: FakeCloudinaryUpload[] = [];
  const requests: FakeCloudinaryRequest[] = [];
  const resources = new Map<string, FakeCloudinaryResource>();
  const pending = new Map<string, { parts: Map<number, Buffer>; chunks: number }>();
  const faults: Fault[] = [];
  let url = '';
  let hanging = 0;

  const resourceUrl = (r: FakeCloudinaryResource) => `${url}/${cloudName}/${r.resourceType}/upload/v${r.version}/${r.publicId}.${r.format}`;
  const describe = (r: FakeCloudinaryResource) => ({
    asset_id: createHash('md5').update(r.publicId).digest('hex'),
    public_id: r.publicId,
    version: r.version,
    format: r.format,
    resource_type: r.resourceType,
    type: 'upload',
    created_at: r.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    bytes: r.bytes.length,
    url: resourceUrl(r),
    secure_url: resourceUrl(r),
  });
  const store = (publicId: string, bytes: Buffer, resourceType: string, createdAt = new Date()): FakeCloudinaryResource => {
    const resource = { publicId, resourceType, version: Math.floor(createdAt.getTime() / 1000), format: 'mp4', bytes, createdAt };
    resources.set(publicId, resource);
    return resource;
  };

  const handleUpload = async (req: IncomingMessage, body: Buffer, resourceType: string): Promise<[number, unknown]> => {
    let form: MultipartPart[];
    try {
      form = readMultipart(body, req.headers['content-type'] ?? '');
    } catch (error) {
      return [400, { error: { message: `Malformed multipart body: ${(error as Error).message}` } }];
    }
    const params: Record<string, string> = {};
    let file: Buffer | undefined;
    for (const part of form) {
      if (part.filename === undefined) params[part.name] = part.data.toString('utf8');
      else file = part.data;
    }
    if (params.api_key !== apiKey) return [401, { error: { message: `Unknown API key ${params.api_key ?? ''}` } }];
    const expected = cloudinarySignature(params, apiSecret, algorithm);
    if (params.signature !== expected) {
      const { signature = '', ...rest } = params;
      return [401, { error: { message: `Invalid Signature ${signature}. String to sign - '${Object.keys(rest).sort().join('&')}'.` } }];
    }
    if (Math.abs(Date.now() / 1000 - Number(params.timestamp)) > 3600) return [400, { error: { message: 'Stale request' } }];
    if (file === undefined) return [400, { error: { message: 'Missing required parameter - file' } }];

    const range = req.headers['content-range'];
    const uploadId = req.headers['x-unique-upload-id'];
    let bytes = file;
    let chunks = 1;
    if (typeof range === 'string' && typeof uploadId === 'string') {
      const match = /^bytes (\d+)-(\d+)\/(-?\d+)$/.exec(range);
      if (match === null) return [400, { error: { message: `Invalid Content-Range ${range}` } }];
      const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
      if (end - start + 1 !== file.length) return [400, { error: { message: 'Content-Range does not match the chunk' } }];
      if (total === -1 && file.length < minChunk) return [400, { error: { message: `Chunk size must be at least ${minChunk} bytes` } }];
      const upload = pending.get(uploadId) ?? { parts: new Map<number, Buffer>(), chunks: 0 };
      pending.set(uploadId, upload);
      upload.parts.set(start, file);
      upload.chunks += 1;
      if (total === -1) return [200, { done: false, bytes: end + 1, resource_type: resourceType }];
      pending.delete(uploadId);
      bytes = Buffer.concat([...upload.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part));
      if (bytes.length !== total) return [400, { error: { message: `Chunks add up to ${bytes.length} of ${total} bytes` } }];
      chunks = upload.chunks;
    }
    const name = params.public_id ?? randomBytes(10).toString('hex');
    const publicId = params.folder ? `${params.folder}/${name}` : name;
    const resource = store(publicId, bytes, resourceType);
    uploads.push({
      publicId,
      resourceType,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      chunks,
      ...(params.folder ? { folder: params.folder } : {}),
    });
    return [200, { ...describe(resource), signature: createHash('sha1').update(publicId).digest('hex'), original_filename: params.filename ?? 'file', api_key: apiKey }];
  };

  const handleAdmin = (req: IncomingMessage, body: Buffer, query: URLSearchParams, resourceType: string): [number, unknown] => {
    const expected = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return [401, { error: { message: 'Invalid credentials' } }];
    if (req.method === 'DELETE') {
      const ids = new URLSearchParams(body.toString('utf8')).getAll('public_ids[]');
      const deleted: Record<string, string> = {};
      for (const id of ids) deleted[id] = resources.get(id)?.resourceType === resourceType && resources.delete(id) ? 'deleted' : 'not_found';
      return [200, { deleted, partial: false }];
    }
    const prefix = query.get('prefix') ?? '';
    const limit = Math.min(Number(query.get('max_results') ?? 10), options.pageSize ?? 500);
    const offset = Number(Buffer.from(query.get('next_cursor') ?? '', 'base64url').toString() || 0);
    const all = [...resources.values()]
      .filter((r) => r.resourceType === resourceType && r.publicId.startsWith(prefix))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? { next_cursor: Buffer.from(String(offset + limit)).toString('base64url') } : {};
    return [200, { resources: page.map(describe), ...next }];
  };

  const server = createServer((req, res) => {
    void (async () => {
      const target = new URL(req.url ?? '/', 'http://fake');
      const viaProxy = /^https?:\/\//.test(req.url ?? '');
      const body = await readBody(req);
      const send = (status: number, payload: unknown, raw = false): void => {
        const contentRange = req.headers['content-range'];
        requests.push({ method: req.method ?? '', path: target.pathname, status, viaProxy, ...(typeof contentRange === 'string' ? { contentRange } : {}) });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(raw ? String(payload) : JSON.stringify(payload));
      };
      const delivery = new RegExp(`^/${cloudName}/(\\w+)/upload/v\\d+/(.+)\\.(\\w+)$`).exec(target.pathname);
      if ((req.method === 'GET' || req.method === 'HEAD') && delivery !== null) {
        const resource = resources.get(decodeURIComponent(delivery[2] ?? ''));
        if (resource === undefined) return send(404, { error: { message: 'Resource not found' } });
        requests.push({ method: req.method, path: target.pathname, status: 200, viaProxy });
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': resource.bytes.length });
        if (req.method === 'HEAD') res.end();
        else res.end(resource.bytes);
        return;
      }
      const fault = faults.shift();
      if (fault?.kind === 'hang') {
        hanging += 1;
        res.on('close', () => (hanging -= 1));
        return void requests.push({ method: req.method ?? '', path: target.pathname, status: 0, viaProxy });
      }
      if (fault?.kind === 'raw') return send(fault.status, fault.body, true);
      if (fault?.kind === 'status') return send(fault.status, { error: { message: fault.message } });
      if (req.method === 'GET' && target.pathname === `/v1_1/${cloudName}/ping`) {
        const expected = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
        return req.headers.authorization === expected ? send(200, { status: 'ok' }) : send(401, { error: { message: 'Invalid credentials' } });
      }
      const upload = new RegExp(`^/v1_1/${cloudName}/(image|video|raw|auto)/upload$`).exec(target.pathname);
      if (req.method === 'POST' && upload !== null) return send(...(await handleUpload(req, body, upload[1] ?? 'image')));
      const admin = new RegExp(`^/v1_1/${cloudName}/resources/(image|video|raw)/upload$`).exec(target.pathname);
      if ((req.method === 'GET' || req.method === 'DELETE') && admin !== null) {
        return send(...handleAdmin(req, body, target.searchParams, admin[1] ?? 'image'));
      }
      send(404, { error: { message: `No route for ${req.method ?? ''} ${target.pathname}` } });
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const repeat = (fault: Fault, times: number) => {
    for (let i = 0; i < times; i++) faults.push(fault);
  };

  return {
    url,
    cloudName,
    apiKey,
    apiSecret,
    cloudinaryUrl: `cloudinary://${apiKey}:${apiSecret}@${cloudName}?upload_prefix=${url}${algorithm === 'sha1' ? '' : `&signature_algorithm=${algorithm}`}`,
    uploads,
    requests,
    resources,
    failNext: (status, times = 1, message = `Fake failure ${status}`, after = 0) => {
      repeat({ kind: 'pass' }, after);
      repeat({ kind: 'status', status, message }, times);
    },
    hangNext: (times = 1) => repeat({ kind: 'hang' }, times),
    hanging: () => hanging,
    malformedNext: (times = 1) => repeat({ kind: 'raw', status: 200, body: '<html>Bad gateway</html>' }, times),
    respondNext: (status, body) => repeat({ kind: 'raw', status, body }, 1),
    seed: (publicId, seedOptions = {}) =>
      store(publicId, seedOptions.bytes ?? Buffer.from(`seeded ${publicId}`), seedOptions.resourceType ?? 'video', seedOptions.createdAt),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
