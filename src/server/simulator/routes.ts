/**
 * The simulator's HTTP side: the page, and the JSON calls it makes. The page never holds the auth
 * token: the server signs Twilio-format forms (or Meta's Cloud API JSON, in that mode) itself and
 * posts them through the real routes.
 */
import type { Choice } from '../../lib/domain.ts';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { sniffImageType } from '../../lib/media-type.ts';
import { vidbotError } from '../../lib/errors.ts';
import { SIMULATOR_WEBHOOKS, type SimulatorChannel } from '../../lib/channel/simulator/index.ts';
import { readTwimlMessage } from '../../lib/channel/twilio/twiml.ts';
import type { Store } from '../../lib/store/port.ts';
import { errorBody } from '../errors.ts';
import { type EventStreams, outboundEvent } from './events.ts';
import { readHistory } from './history.ts';
import { pageHtml } from './page.ts';
import { cloudInbound, cloudStatus, newWamid } from './cloud-payloads.ts';
import { type ButtonTap, type Form, type Signer, inboundForm, newMessageSid, statusForm } from './twilio-forms.ts';
import { type Uploads, parseDataUrl, readAudioAttachment } from './uploads.ts';

export interface SimulatorRouteDeps {
  readonly store: Store;
  readonly channel: SimulatorChannel;
  readonly signer: Signer;
  readonly uploads: Uploads;
  readonly events: EventStreams;
  readonly guard: preHandlerAsyncHookHandler;
  readonly maxImageBytes: number;
  readonly defaultFrom: string;
  /** The buttons of a /model list, drawn on its messages. */
  readonly modelChoices?: readonly Choice[];
}

const STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'undelivered'];
/** Twilio's SM... sids, and Meta's wamid.... ids. */
const SID = /^[A-Za-z0-9._=-]{10,128}$/;

/** What the page posts as: Twilio's forms (the default), or Meta's Cloud API JSON. */
type Format = 'twilio' | 'cloud-api';
const formatOf = (value: unknown): Format => {
  if (value === undefined || value === null || value === 'twilio') return 'twilio';
  if (value === 'cloud-api') return value;
  throw vidbotError('VIDBOT_INPUT_INVALID', '"format" must be twilio or cloud-api.');
};

/** A message as it was first posted, kept so a replay posts exactly the same again. */
type Posted = { readonly format: 'twilio'; readonly from: string; readonly form: Form } | { readonly format: 'cloud-api'; readonly from: string; readonly raw: string; readonly mediaUrl?: string };
/** Forms already sent, by MessageSid, so a replay re-posts exactly what Twilio would retry. */
const REMEMBERED = 200;

const invalid = (message: string) => vidbotError('VIDBOT_INPUT_INVALID', message);

/** The page and its own calls are not an API: left out of /openapi.json (its channel's webhooks are in). */
const schema = { hide: true };

const objectBody = (request: FastifyRequest): Record<string, unknown> => {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('Send a JSON object.');
  return body as Record<string, unknown>;
};

/**
 * `+1555...` or `whatsapp:+1555...` into the WhatsApp address Twilio would send; digits alone get
 * their `+` (also a `+` that an unencoded query string turned into a space).
 */
export const whatsappAddress = (value: unknown, field = 'from'): string => {
  const text = typeof value === 'string' ? value.replace(/[\s()-]/g, '') : '';
  const address = (text.startsWith('whatsapp:') ? text : `whatsapp:${text}`).replace(/^whatsapp:(?=\d)/, 'whatsapp:+');
  if (!/^whatsapp:\+[1-9]\d{6,14}$/.test(address)) throw invalid(`"${field}" must be a number such as whatsapp:+15550001234.`);
  return address;
};

/** A tapped reply button, as the page posts it: `buttonPayload`, `buttonText` and the `repliedTo` message's sid. */
const buttonTap = (input: Record<string, unknown>): ButtonTap | undefined => {
  const { buttonPayload: payload, buttonText: text, repliedTo } = input;
  if (payload === undefined || payload === null || payload === '') return undefined;
  if (typeof payload !== 'string' || payload.length > 256) throw invalid('"buttonPayload" must be text of at most 256 characters.');
  if (text !== undefined && (typeof text !== 'string' || text.length > 256)) throw invalid('"buttonText" must be text of at most 256 characters.');
  if (repliedTo !== undefined && (typeof repliedTo !== 'string' || !SID.test(repliedTo))) throw invalid('"repliedTo" must be the sid of a message the bot sent.');
  return { payload, text: text ?? payload, ...(repliedTo ? { repliedTo } : {}) };
};

/** The webhook's own error body, when it refused (403 signature, 415, 400). */
const routeError = (status: number, body: string): unknown => {
  if (status < 400) return undefined;
  try {
    return (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    return { message: body.slice(0, 200) };
  }
};

export const simulatorRoutes = (app: FastifyInstance, deps: SimulatorRouteDeps): void => {
  const { signer, uploads, guard } = deps;
  const sentForms = new Map<string, Posted>();
  const remember = (sid: string, form: Posted) => {
    sentForms.delete(sid);
    sentForms.set(sid, form);
    for (const key of sentForms.keys()) if (sentForms.size > REMEMBERED) sentForms.delete(key);
  };

  app.get('/simulator', { preHandler: guard, schema }, async (_request, reply) => {
    const { html, nonce } = pageHtml({ defaultFrom: deps.defaultFrom });
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' https: data: blob:; media-src 'self' https: data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'`,
      )
      .send(html);
  });

  // An image or a recording arrives as a data URL in JSON: a third larger than the bytes, plus the other fields.
  const bodyLimit = Math.ceil((deps.maxImageBytes * 4) / 3) + 64 * 1024;
  app.post('/simulator/send', { preHandler: guard, bodyLimit, schema }, async (request) => {
    const input = objectBody(request);
    const given = input.messageSid;
    if (given !== undefined && (typeof given !== 'string' || !SID.test(given))) throw invalid('"messageSid" must be letters and digits, e.g. SM0123....');
    const format = formatOf(input.format);
    const messageSid = given ?? (format === 'cloud-api' ? newWamid() : newMessageSid());
    let posted = sentForms.get(messageSid);
    if (posted === undefined) {
      const from = whatsappAddress(input.from);
      const body = input.body ?? '';
      if (typeof body !== 'string' || body.length > 4096) throw invalid('"body" must be text of at most 4096 characters.');
      let media: { id: string; url: string; contentType: string } | undefined;
      if (input.image !== undefined && input.image !== null && input.image !== '') {
        const image = typeof input.image === 'string' ? parseDataUrl(input.image) : undefined;
        if (!image) throw invalid('"image" must be a base64 data URL, e.g. data:image/png;base64,....');
        if (image.bytes.length > deps.maxImageBytes) {
          throw vidbotError('VIDBOT_BODY_TOO_LARGE', `The image is over the simulator's ${deps.maxImageBytes}-byte limit.`);
        }
        // Twilio reports the type it detected; fall back to the declared one (the bot refuses non-images).
        const contentType = sniffImageType(image.bytes.subarray(0, 16)) ?? image.contentType;
        media = { ...uploads.add(image.bytes, contentType, signer.baseUrl(request)), contentType };
      }
      const audio = readAudioAttachment(input.audio, deps.maxImageBytes);
      if (audio && media) throw invalid('Send an "image" or an "audio" recording, not both.');
      if (audio) media = { ...uploads.add(audio.bytes, audio.contentType, signer.baseUrl(request)), contentType: audio.contentType };
      const button = buttonTap(input);
      const message = { from, body, ...(button ? { button } : {}) };
      posted =
        format === 'cloud-api'
          ? { format, from, raw: cloudInbound({ ...message, messageId: messageSid, ...(media ? { media } : {}) }), ...(media ? { mediaUrl: media.url } : {}) }
          : { format, from, form: inboundForm({ ...message, messageSid, ...(media ? { media } : {}) }) };
    }
    remember(messageSid, posted);
    const { from } = posted;
    const { store } = deps;
    const before = await store.countTasks({ from });
    // Twilio answers in the HTTP response (TwiML); the Cloud API answers 200 and sends the reply as a message.
    const answer = posted.format === 'cloud-api' ? await signer.postJson(app, SIMULATOR_WEBHOOKS.cloud, posted.raw) : await signer.post(app, request, SIMULATOR_WEBHOOKS.inbound, posted.form);
    const newTasks = (await store.countTasks({ from })) - before;
    const task = (await store.listTasks({ from, limit: 20 })).find((t) => t.messageId === messageSid);
    const error = routeError(answer.status, answer.body);
    const mediaUrl = posted.format === 'cloud-api' ? posted.mediaUrl : posted.form.MediaUrl0;
    return {
      messageSid,
      format: posted.format,
      status: answer.status,
      reply: answer.status === 200 && posted.format === 'twilio' ? readTwimlMessage(answer.body) : '',
      newTasks,
      ...(task ? { taskId: task.taskId } : {}),
      ...(mediaUrl ? { mediaUrl } : {}),
      ...(error === undefined ? {} : { error }),
    };
  });

  app.post('/simulator/status', { preHandler: guard, schema }, async (request, reply) => {
    const input = objectBody(request);
    const { sid, status } = input;
    const errorCode = input.errorCode === undefined || input.errorCode === null ? undefined : String(input.errorCode);
    if (typeof sid !== 'string' || !SID.test(sid)) throw invalid('"sid" must be the sid of a message the bot sent.');
    if (typeof status !== 'string' || !STATUSES.includes(status)) throw invalid(`"status" must be one of ${STATUSES.join(', ')}.`);
    if (errorCode !== undefined && !/^\d{3,6}$/.test(errorCode)) throw invalid('"errorCode" must be an error code such as 63016 (Twilio) or 131047 (Cloud API).');
    const { store } = deps;
    const before = await store.findOutbound({ messageId: sid });
    if (before === null) return reply.status(404).send(errorBody(vidbotError('VIDBOT_NOT_FOUND', `No message ${sid} was sent by the bot.`)));
    const code = errorCode ? { errorCode } : {};
    let answer: { status: number; body: string };
    if (formatOf(input.format) === 'cloud-api') {
      // As Meta would: the statuses in a webhook, naming the record by the data sent with the message. No `undelivered` there.
      const cloud = status === 'undelivered' ? 'failed' : status;
      answer = await signer.postJson(app, SIMULATOR_WEBHOOKS.cloud, cloudStatus({ id: sid, to: before.to, status: cloud, reference: before.id, ...code }));
    } else {
      // As Twilio would: to the status callback URL the message was sent with, which names its record.
      const path = `${SIMULATOR_WEBHOOKS.status}?ref=${encodeURIComponent(before.id)}`;
      answer = await signer.post(app, request, path, statusForm({ sid, to: before.to, status, ...code }));
    }
    // The page learns of the change from this answer, and through its event stream.
    const after = (await store.findOutbound({ id: before.id })) ?? before;
    const error = routeError(answer.status, answer.body);
    return {
      status: answer.status,
      applied: after.status !== before.status || after.errorCode !== before.errorCode,
      record: await outboundEvent(store, after, deps.modelChoices),
      ...(error === undefined ? {} : { error }),
    };
  });

  app.get<{ Querystring: Record<string, unknown> }>('/simulator/events', { preHandler: guard, schema }, async (request, reply) => {
    const since = request.query.since === undefined ? undefined : Number(request.query.since);
    if (since !== undefined && !Number.isSafeInteger(since)) throw invalid('"since" must be a time in epoch milliseconds, as /simulator/history gives it.');
    await deps.events.open(reply, whatsappAddress(request.query.to, 'to'), since);
  });

  app.get<{ Querystring: Record<string, unknown> }>('/simulator/history', { preHandler: guard, schema }, async (request) =>
    readHistory(deps.store, whatsappAddress(request.query.to, 'to'), deps.modelChoices),
  );

  // Not guarded: the bot's downloader fetches these, possibly through PUBLIC_BASE_URL's proxy.
  app.get<{ Params: { id: string } }>('/simulator/media/:id', { schema }, async (request, reply) => {
    const upload = uploads.get(request.params.id);
    if (!upload) return reply.status(404).send(errorBody(vidbotError('VIDBOT_NOT_FOUND', 'No such simulator upload.')));
    return reply.type(upload.contentType).header('cache-control', 'private, max-age=3600').header('x-content-type-options', 'nosniff').send(upload.bytes);
  });
};
