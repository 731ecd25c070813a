/**
 * One error shape for every route: `{ error: { code, message, hint } }` with the catalogue's HTTP
 * status and its hint for HTTP clients (unless the error was thrown with its own). Bad input from
 * clients maps to 4xx; only vidbot's own failures answer 5xx.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, VidbotError, toVidbotError, vidbotError } from '../lib/errors.ts';
import { ERROR_SCHEMA } from './schemas/shared.ts';

/** Fastify's own request errors, by their code. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VIDBOT_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'VIDBOT_BODY_TOO_LARGE',
};

export const errorBody = (error: VidbotError) => ({ error: { code: error.code, message: error.message, hint: error.hintFor('http') } });

const fromFastify = (error: FastifyError): VidbotError | undefined => {
  const mapped = FASTIFY_CODES[error.code];
  if (mapped) return vidbotError(mapped, error.message);
  const status = error.statusCode ?? 0;
  // Malformed JSON, bad content length, empty bodies, schema failures: the client sent something wrong.
  if (status >= 400 && status < 500) return vidbotError('VIDBOT_INPUT_INVALID', error.message);
  return undefined;
};

export const installErrorHandlers = (app: FastifyInstance): void => {
  // The shape, as the `Error` component the routes' error answers refer to.
  app.addSchema(ERROR_SCHEMA);
  app.setErrorHandler((caught: FastifyError | VidbotError, request, reply) => {
    const error = caught instanceof VidbotError ? caught : (fromFastify(caught) ?? toVidbotError(caught));
    const status = error.httpStatus;
    if (status >= 500) request.log.error({ err: caught, code: error.code }, error.message);
    // A refused signature or key: a token set wrong here, or someone knocking; the operator should see it.
    else if (status === 401 || status === 403) request.log.warn({ code: error.code }, error.message);
    else request.log.info({ code: error.code }, error.message);
    const retryAfter = error.details.retryAfterSec;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.status(status).type('application/json; charset=utf-8').send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody(vidbotError('VIDBOT_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0] ?? ''}.`))),
  );
};

/**
 * Fastify's `frameworkErrors` option (a constructor option, so `createServer` has to pass it): the
 * router answers these before any hook or error handler runs, in Fastify's own shape, unless this
 * is set. A path with broken percent-encoding (FST_ERR_BAD_URL) is bad input; a path parameter
 * longer than maxParamLength (FST_ERR_MAX_PARAM_LENGTH, 414) names nothing that can exist.
 */
export const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
  const path = (request.raw.url ?? '').split('?')[0]?.slice(0, 80) ?? '';
  const mapped =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? vidbotError('VIDBOT_NOT_FOUND', `No route for ${request.method} ${path}…`)
      : error.code === 'FST_ERR_BAD_URL'
        ? vidbotError('VIDBOT_INPUT_INVALID', `The path ${path} is not valid percent-encoding.`)
        : (fromFastify(error) ?? toVidbotError(error));
  void reply.status(mapped.httpStatus).type('application/json; charset=utf-8').send(errorBody(mapped));
};
