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

export const installRequestLog = (app: FastifyInstance, observe: (request: FastifyRequest, reply: FastifyReply) => void): void => {
  app.decorateRequest('inboundLog', null);
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    const responseTime = Math.round(reply.elapsedTime * 10) / 10;
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime };
    const inbound = request.inboundLog;
    if (inbound === null) request.log.info(line, 'request completed');
    else request.log.info({ ...inbound, ...line }, 'inbound message');
    done();
  });
};

/** Logs what the bot made of each message: on the request's own line when it is the only one. */
export const logInbound = (request: FastifyRequest, fields: InboundLogFields, only: boolean): void => {
  if (only) request.inboundLog = fields;
  else request.log.info(fields, 'inbound message');
};
