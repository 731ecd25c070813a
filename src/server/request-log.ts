/**
 * One log line per request, written when it is answered. A webhook that carried one message says it
 * on that same line ("inbound message", with what the bot made of it) instead of a line of its own:
 * each line costs a webhook about as much as a tenth of its whole work.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the bot made of one inbound message, as the log says it. */
export interface InboundLogFields {
  readonly channel: string;
  readonly messageId: string;
  readonly kind: string;
  readonly taskId: string | undefined;
  readonly duplicate: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a webhook that carried exactly one message; its request line says it. */
    inboundLog: InboundLogFields | null;
  }
}

/** What the bot made of a message whose sender (Twilio, Meta) gave up waiting: said on a line of its own. */
const logAbandoned = (request: FastifyRequest, fields: InboundLogFields): void =>
  request.log.info({ ...fields, method: request.method, url: request.url, aborted: true }, 'inbound message');

export const installRequestLog = (app: FastifyInstance, observe: (request: FastifyRequest, reply: FastifyReply) => void): void => {
  app.decorateRequest('inboundLog', null);
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    const responseTime = Math.round(reply.elapsedTime * 10) / 10;
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime };
    const inbound = request.inboundLog;
    // Said here, so not again when the connection closes.
    request.inboundLog = null;
    if (inbound === null) request.log.info(line, 'request completed');
    else request.log.info({ ...inbound, ...line }, 'inbound message');
    done();
  });
};

/**
 * Logs what the bot made of each message: on the request's own line when it is the only one. A slow
 * webhook its service gave up on is what an operator looks for, and its answer is never finished (so
 * no request line comes): its message is then said on a line of its own, when the client leaves.
 */
export const logInbound = (request: FastifyRequest, reply: FastifyReply, fields: InboundLogFields, only: boolean): void => {
  const response = reply.raw;
  if (response.destroyed && !response.writableFinished) return logAbandoned(request, fields);
  if (!only) return void request.log.info(fields, 'inbound message');
  request.inboundLog = fields;
  // After an answer that was sent, onResponse has said the message and cleared it.
  response.once('close', () => {
    if (request.inboundLog !== null) logAbandoned(request, request.inboundLog);
  });
};
