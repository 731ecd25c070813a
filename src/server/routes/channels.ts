/**
 * Every channel's webhooks, registered from the channel's own description: the server computes the
 * URL the service signed, reads the body as the channel asks, hands the request to the channel to
 * verify and read, passes its messages to the bot and its receipts to the task lifecycle, and
 * answers as the channel says. A new messaging service is a channel folder, not a new route here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Bot } from '../../lib/bot/types.ts';
import type { Channel, ChannelWebhook, WebhookContent, WebhookRequest } from '../../lib/channel/port.ts';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import { type PublicUrlOptions, publicUrlOf } from '../public-url.ts';
import { logInbound } from '../request-log.ts';
import { channelWebhookSchema } from '../schemas/webhooks.ts';
import { describeOnly } from '../validation.ts';

export interface ChannelRouteDeps {
  readonly bot: Bot;
  readonly vidbot: Pick<Vidbot, 'applyReceipt' | 'channels' | 'tasks'>;
  readonly publicUrl: PublicUrlOptions;
  /** Signatures are not checked (--insecure-skip-signature): said on every request. */
  readonly insecure: boolean;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

type Form = Readonly<Record<string, string | readonly string[]>>;

/** The posted form, or a 415 for anything that is not one (Twilio always posts forms). */
const formOf = (request: FastifyRequest): Form => {
  if (!FORM_TYPE.test(request.headers['content-type'] ?? '')) {
    throw vidbotError('VIDBOT_UNSUPPORTED_MEDIA_TYPE', 'This webhook takes application/x-www-form-urlencoded.');
  }
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw vidbotError('VIDBOT_INPUT_INVALID', 'The form body could not be read.');
  return body as Form;
};

const webhookRequest = (request: FastifyRequest, hook: ChannelWebhook, publicUrl: PublicUrlOptions): WebhookRequest => {
  const encrypted = Boolean((request.socket as { encrypted?: boolean }).encrypted);
  return {
    url: publicUrlOf({ url: request.url, headers: request.headers, encrypted }, publicUrl),
    headers: request.headers,
    query: request.query as WebhookRequest['query'],
    ...(hook.body === 'form' ? { form: formOf(request) } : {}),
    ...(hook.body === 'raw' ? { rawBody: typeof request.body === 'string' ? request.body : '' } : {}),
  };
};

/**
 * The channel's reading of its webhook. A body it could not parse, or a message without an id or a
 * sender, is the poster's to fix (400), not a bug of the server's (500): a channel of a library
 * user's own reads its JSON with JSON.parse, and a SyntaxError is what bad input makes of it.
 */
const readOf = (channel: Channel, hook: ChannelWebhook, request: WebhookRequest): WebhookContent => {
  const refused = (message: string) => vidbotError('VIDBOT_INPUT_INVALID', message, { hint: `Check what is posting to ${hook.path}: it is not what the ${channel.name} channel reads.` });
  let content: WebhookContent;
  try {
    content = hook.read(request);
  } catch (error) {
    if (error instanceof SyntaxError) throw refused(`The ${channel.name} webhook's body could not be read: ${error.message}`);
    throw error;
  }
  if ('messages' in content && content.messages.some((message) => !message.messageId || typeof message.messageId !== 'string' || !message.from || typeof message.from !== 'string')) {
    throw refused(`A message in the ${channel.name} webhook has no id or no sender.`);
  }
  return content;
};

const register = (app: FastifyInstance, channel: Channel, hook: ChannelWebhook, deps: ChannelRouteDeps): void => {
  app.route({
    method: hook.method,
    url: hook.path,
    schema: channelWebhookSchema(channel.name, hook),
    validatorCompiler: describeOnly,
    handler: async (request, reply) => {
      if (deps.insecure) request.log.warn(`${channel.name} webhook signature not checked (--insecure-skip-signature): anyone can post to ${hook.path}`);
      const content = readOf(channel, hook, webhookRequest(request, hook, deps.publicUrl));
      if ('challenge' in content) return reply.type('text/plain; charset=utf-8').send(content.challenge);
      const replies: string[] = [];
      const sends: (() => Promise<void>)[] = [];
      for (const message of content.messages) {
        const answer = await deps.bot.handleInbound(message);
        const logged = { channel: channel.name, messageId: message.messageId, kind: answer.kind, taskId: answer.taskId, duplicate: answer.duplicate };
        logInbound(request, reply, logged, content.messages.length === 1);
        // An answer that offers choices (the /model list) is a message of its own, where buttons can be.
        replies.push(answer.offer ? '' : answer.text);
        if (hook.replies === 'send' || answer.offer) {
          // Recorded before the answer (durable), sent after it: the service gets its 200 at once.
          const input = {
            channel: channel.name,
            to: message.from,
            body: answer.text,
            inReplyTo: message.messageId,
            ...(answer.offer ? { kind: answer.offer.kind, choices: answer.offer.choices } : {}),
          };
          const prepared = await deps.vidbot.tasks.prepareReply(answer.taskId === undefined ? input : { ...input, taskId: answer.taskId });
          if (prepared !== undefined) sends.push(prepared.send);
        }
      }
      for (const receipt of content.receipts) {
        const outcome = await deps.vidbot.applyReceipt(receipt);
        request.log.info({ channel: channel.name, messageId: receipt.messageId, status: receipt.status, errorCode: receipt.errorCode, applied: outcome.applied, kept: outcome.kept }, 'delivery status');
      }
      const answer = hook.respond(replies);
      if (answer.contentType) void reply.type(answer.contentType);
      if (sends.length > 0) {
        // In order, after the answer is written; a crash before leaves them pending for the outbox sweep.
        reply.raw.once('finish', () => void sends.reduce((chain, send) => chain.then(send), Promise.resolve()));
      }
      return reply.status(answer.status).send(answer.body);
    },
  });
};

export const channelRoutes = (app: FastifyInstance, deps: ChannelRouteDeps): void => {
  const taken = new Map<string, string>();
  for (const channel of deps.vidbot.channels.all) {
    for (const hook of channel.webhooks) {
      const key = `${hook.method} ${hook.path}`;
      const owner = taken.get(key);
      if (owner !== undefined) {
        throw vidbotError('VIDBOT_CONFIG_INVALID', `The ${channel.name} and ${owner} channels both want ${key}.`, {
          hint: 'Give one of them other webhook paths.',
        });
      }
      taken.set(key, channel.name);
      if (hook.body !== 'raw') register(app, channel, hook, deps);
      else {
        // Services that sign the raw bytes: the body reaches the channel as the exact text received.
        void app.register(async (scope) => {
          scope.removeAllContentTypeParsers();
          scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
          register(scope, channel, hook, deps);
        });
      }
    }
  }
};
