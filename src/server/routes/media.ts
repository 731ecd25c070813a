/**
 * GET and HEAD /media/:file: the local media host's files, for Twilio to fetch. Names are
 * unguessable ids checked by the media host, so nothing else on disk can be reached. Range
 * requests get 206 (WhatsApp's fetcher and browsers seek), and ETags let caches revalidate.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MediaHost } from '../../lib/media-host/port.ts';
import { errorBody } from '../errors.ts';
import { mediaSchema } from '../schemas/service.ts';
import { vidbotError } from '../../lib/errors.ts';

type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range within `size`: a range, 'unsatisfiable', or undefined to send the whole file
 * (malformed or multi-range headers may be ignored, RFC 9110 §14.2).
 */
export const parseRange = (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined => {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    // A zero-length suffix, or any suffix of an empty file, selects no bytes (RFC 9110 §14.1.3).
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
};

const notFound = (reply: FastifyReply, name: string) =>
  reply.status(404).send(errorBody(vidbotError('VIDBOT_NOT_FOUND', `No media named ${name.slice(0, 80)}.`)));

export const mediaRoutes = (app: FastifyInstance, deps: { mediaHost: MediaHost }): void => {
  app.route<{ Params: { file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/media/:file',
    exposeHeadRoute: false,
    schema: mediaSchema,
    handler: async (request, reply) => {
      const { file } = request.params;
      const path = (await deps.mediaHost.resolve?.(file)) ?? null;
      if (path === null) return notFound(reply, file);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return notFound(reply, file);

      const size = info.size;
      const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      void reply
        .header('content-type', 'video/mp4')
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('last-modified', info.mtime.toUTCString())
        // Ids are never reused for other content.
        .header('cache-control', 'public, max-age=31536000, immutable');

      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === etag)) {
        return reply.status(304).send();
      }
      const ifRange = request.headers['if-range'];
      const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, size) : undefined;
      if (range === 'unsatisfiable') {
        return reply.status(416).header('content-range', `bytes */${size}`).send();
      }
      const { start, end } = range ?? { start: 0, end: size - 1 };
      const length = size === 0 ? 0 : end - start + 1;
      void reply.header('content-length', String(length));
      if (range) void reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
      if (request.method === 'HEAD' || length === 0) return reply.send();
      return reply.send(createReadStream(path, { start, end }));
    },
  });
};
