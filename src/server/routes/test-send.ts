import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { normalizeRecipient } from '../../lib/channel/recipient.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';

/** The seed's POST /test-send: form or JSON with `to` and `message` (and optional `media_url`). */
export const testSendRoutes = (app: FastifyInstance, deps: { vidbot: Pick<Vidbot, 'sendMessage'>; guard: preHandlerAsyncHookHandler }): void => {
  app.post('/test-send', { preHandler: deps.guard }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (name: string): string | undefined => {
      const value = body[name];
      const first = Array.isArray(value) ? value[0] : value;
      return typeof first === 'string' && first.trim() !== '' ? first.trim() : undefined;
    };
    const raw = text('to');
    const message = text('message');
    const mediaUrl = text('media_url') ?? text('mediaUrl');
    if (!raw) throw vidbotError('VIDBOT_INPUT_INVALID', 'Give "to", e.g. to=whatsapp:+15551234567.');
    // The rule `vidbot send` and the API share; it also mends the seed's `curl -d "to=whatsapp:+91..."`,
    // whose unencoded + a form decodes as a space.
    const to = normalizeRecipient(raw);
    if (!message && !mediaUrl) throw vidbotError('VIDBOT_INPUT_INVALID', 'Give "message" or "media_url".');
    // The operator's test: the channel decides about WhatsApp's 24-hour window.
    const sent = await deps.vidbot.sendMessage(
      { to, ...(message ? { body: message } : {}), ...(mediaUrl ? { mediaUrl } : {}) },
      { kind: 'notice', checkWindow: false, sessionId: to },
    );
    return { ok: true, sid: sent.messageId ?? sent.id, status: sent.status };
  });
};
