import type { FastifyInstance } from 'fastify';
import type { VideoProvider } from '../../lib/video-provider/port.ts';

/**
 * POST /replicate/webhook: prediction updates from Replicate. The body is kept as the exact text
 * received, because the signature covers those bytes; the provider verifies it (403 otherwise).
 */
export const providerWebhookRoutes = async (app: FastifyInstance, deps: { provider: VideoProvider }): Promise<void> => {
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    // A delivery carries the whole prediction, inputs included: a first-frame photo as a data URI.
    scope.post('/replicate/webhook', { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
      const receive = deps.provider.receiveWebhook?.bind(deps.provider);
      if (deps.provider.name !== 'replicate' || !receive) {
        // Not an error worth a retry storm: Replicate stops on 2xx, and this server does not use it.
        request.log.warn('Replicate webhook received, but this server does not use the replicate provider');
        return reply.code(202).send({ ok: true, ignored: true });
      }
      const receipt = await receive({ headers: request.headers, rawBody: typeof request.body === 'string' ? request.body : '' });
      request.log.info({ prediction: receipt.remoteJobId, status: receipt.status }, 'replicate webhook');
      return { ok: true };
    });
  });
};
