import type { FastifyInstance } from 'fastify';
import type { VideoProvider } from '../../lib/video-provider/port.ts';
import { providerWebhookSchema } from '../schemas/webhooks.ts';
import { describeOnly } from '../validation.ts';

/**
 * POST /{provider}/webhook: job updates from Replicate, fal or a Cog server. The body is kept as the
 * exact text received, because signatures cover those bytes; the provider verifies it (403 otherwise).
 * A delivery can carry a first-frame photo (Replicate's inputs) or a whole video as a data URL (Cog).
 */
const ROUTES = [
  { name: 'replicate', label: 'Replicate', bodyLimit: 16 * 1024 * 1024 },
  { name: 'fal', label: 'fal', bodyLimit: 16 * 1024 * 1024 },
  { name: 'cog', label: 'Cog', bodyLimit: 64 * 1024 * 1024 },
] as const;

export const providerWebhookRoutes = async (app: FastifyInstance, deps: { provider: VideoProvider }): Promise<void> => {
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const route of ROUTES) {
      const options = { bodyLimit: route.bodyLimit, schema: providerWebhookSchema(route.name), validatorCompiler: describeOnly };
      scope.post(`/${route.name}/webhook`, options, async (request, reply) => {
        // The provider in use, or the one of its failover chain this route is for.
        const target = [deps.provider, ...(deps.provider.members ?? [])].find((provider) => provider.name === route.name);
        const receive = target?.receiveWebhook?.bind(target);
        if (!receive) {
          // Not an error worth a retry storm: the sender stops on 2xx, and this server does not use it.
          request.log.warn(`${route.label} webhook received, but this server does not use the ${route.name} provider`);
          return reply.code(202).send({ ok: true, ignored: true });
        }
        const receipt = await receive({
          headers: request.headers,
          rawBody: typeof request.body === 'string' ? request.body : '',
          query: request.query as Record<string, string | string[] | undefined>,
        });
        request.log.info({ job: receipt.remoteJobId, status: receipt.status }, `${route.name} webhook`);
        return { ok: true };
      });
    }
  });
};
