import type { FastifyInstance } from 'fastify';
import type { Bot, InboundMedia, InboundMessage } from '../../lib/bot/types.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { parseStatusCallback } from '../../lib/messenger/twilio-status.ts';
import { type FormFields, type TwilioRequestOptions, field, formOf, verifyTwilioSignature } from '../twilio-request.ts';
import { twimlMessage } from '../twiml.ts';

/** Twilio sends at most 10 media per message. */
const MAX_MEDIA = 10;

/** Turns Twilio's form into the bot's message; From and MessageSid are required. */
export const toInboundMessage = (fields: FormFields): InboundMessage => {
  const from = field(fields, 'From')?.trim();
  const messageSid = (field(fields, 'MessageSid') ?? field(fields, 'SmsMessageSid'))?.trim();
  if (!from || !messageSid) {
    const missing = [!from && 'From', !messageSid && 'MessageSid'].filter(Boolean).join(' and ');
    throw vidbotError('VIDBOT_INPUT_INVALID', `The webhook form has no ${missing}.`, {
      hint: 'Twilio always sends From and MessageSid; `vidbot sign --curl` builds a complete request.',
    });
  }
  const declared = Number(field(fields, 'NumMedia') ?? '0');
  const count = Number.isInteger(declared) && declared > 0 ? Math.min(declared, MAX_MEDIA) : 0;
  const media: InboundMedia[] = [];
  for (let i = 0; i < count; i++) {
    const url = field(fields, `MediaUrl${i}`);
    if (url) media.push({ url, contentType: field(fields, `MediaContentType${i}`) ?? 'application/octet-stream' });
  }
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) flat[key] = typeof value === 'string' ? value : value.join(',');
  const to = field(fields, 'To');
  const profileName = field(fields, 'ProfileName');
  const waId = field(fields, 'WaId');
  return {
    messageSid,
    from,
    body: field(fields, 'Body') ?? '',
    media,
    fields: flat,
    ...(to ? { to } : {}),
    ...(profileName ? { profileName } : {}),
    ...(waId ? { waId } : {}),
  };
};

export interface WebhookRouteDeps {
  readonly bot: Bot;
  readonly vidbot: Pick<Vidbot, 'applyReceipt'>;
  readonly twilio: TwilioRequestOptions;
}

export const webhookRoutes = (app: FastifyInstance, deps: WebhookRouteDeps): void => {
  app.post('/whatsapp/webhook', async (request, reply) => {
    const fields = formOf(request);
    verifyTwilioSignature(request, fields, deps.twilio);
    const message = toInboundMessage(fields);
    const answer = await deps.bot.handleInbound(message);
    request.log.info(
      { messageSid: message.messageSid, kind: answer.kind, taskId: answer.taskId, duplicate: answer.duplicate },
      'inbound message',
    );
    return reply.type('text/xml; charset=utf-8').send(twimlMessage(answer.text));
  });

  // Delivery receipts for what we sent: queued, sent, delivered, read, failed (with ErrorCode). The
  // callback URL names our record (`?ref=`), so a receipt that beats the send's answer still lands.
  app.post<{ Querystring: Record<string, string | string[]> }>('/whatsapp/status', async (request, reply) => {
    const fields = formOf(request);
    verifyTwilioSignature(request, fields, deps.twilio);
    const receipt = parseStatusCallback(fields, request.query);
    const outcome = receipt === null ? undefined : await deps.vidbot.applyReceipt(receipt);
    request.log.info(
      { messageSid: receipt?.messageId, status: receipt?.status, errorCode: receipt?.errorCode, applied: outcome?.applied ?? false, kept: outcome?.kept ?? false },
      'delivery status',
    );
    return reply.status(204).send();
  });
};
