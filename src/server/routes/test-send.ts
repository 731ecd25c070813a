import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { normalizeRecipient } from '../../lib/channel/recipient.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { testSendSchema } from '../schemas/api.ts';

/** A form field sent more than once arrives as a list: the first counts. */
type Field = string | readonly string[] | undefined;

const text = (value: Field): string | undefined => {
  const first = typeof value === 'string' ? value : value?.[0];
  return first !== undefined && first.trim() !== '' ? first.trim() : undefined;
};

/** The seed's POST /test-send: form or JSON with `to` and `message` (and optional `media_url`). */
export const testSendRoutes = (app: FastifyInstance, deps: { vidbot: Pick<Vidbot, 'sendMessage'>; guard: onRequestAsyncHookHandler }): void => {
  app.post<{ Body: { to: Field; message?: Field; media_url?: Field; mediaUrl?: Field } }>(
    '/test-send',
    { onRequest: deps.guard, schema: testSendSchema },
    async (request) => {
      const { body } = request;
      const raw = text(body.to);
      const message = text(body.message);
      const mediaUrl = text(body.media_url) ?? text(body.mediaUrl);
      // The schema has `to`; blank is the same as missing.
      if (!raw) throw vidbotError('VIDBOT_INPUT_INVALID', 'Give "to", e.g. to=whatsapp:+15551234567.');
      // The rule `vidbot send` and the API share; it also mends the seed's `curl -d "to=whatsapp:+91..."`,
      // whose unencoded + a form decodes as a space.
      const to = normalizeRecipient(raw);
      // Either of two fields: a rule across fields, said plainly here rather than as an anyOf failure.
      if (!message && !mediaUrl) throw vidbotError('VIDBOT_INPUT_INVALID', 'Give "message" or "media_url".');
      // The operator's test: the channel decides about WhatsApp's 24-hour window.
      const sent = await deps.vidbot.sendMessage(
        { to, ...(message ? { body: message } : {}), ...(mediaUrl ? { mediaUrl } : {}) },
        { kind: 'notice', checkWindow: false, sessionId: to },
      );
      return { ok: true, sid: sent.messageId ?? sent.id, status: sent.status };
    },
  );
};
