/**
 * Sending through Twilio's Messages API with the official SDK: WhatsApp (or SMS). It sends, says
 * what Twilio answered, and finds a message it may have sent.
 */
import type Twilio from 'twilio/lib/rest/Twilio.js';
import type { MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';
import { isVidbotError, throwIfAborted, toVidbotError, VidbotError, abortedError } from '../../errors.ts';
import { choicesText } from '../choices.ts';
import type { Channel, OutboundMessage, SendOptions, SentLookup, SentMessage } from '../port.ts';
import { type TwilioClient, type TwilioClientOptions, createTwilioClient } from './client.ts';
import { refusalKind, WINDOW_CODE } from './codes.ts';
import { createQuickReplies } from './content.ts';
import { mapTwilioStatus } from './status.ts';

export interface TwilioSenderOptions extends TwilioClientOptions {
  /** The sender, e.g. `whatsapp:+14155238886`. */
  readonly from: string;
  /** Where Twilio posts delivery updates (PUBLIC_BASE_URL + /whatsapp/status). */
  readonly statusCallbackUrl?: string;
  /** Approved template (HX...) for messages outside WhatsApp's 24-hour window. */
  readonly contentSid?: string;
  /** The template's variables; by default {"1": the body and link on one line}. */
  readonly contentVariables?: (message: OutboundMessage) => Record<string, string> | undefined;
  /** Told when reply buttons go out as text instead (no Content API on the account, an outage). */
  readonly onWarning?: (message: string) => void;
}

/** Twilio's and the sender's clocks differ a little; a lookup looks this much before the intent. */
const LOOKUP_SKEW_MS = 2 * 60_000;
const LOOKUP_LIMIT = 50;
/** Network failures that mean the request never reached Twilio. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Maps what the SDK throws (RestException, axios network errors) onto the port's errors. */
const toMessengerError = (error: unknown, signal: AbortSignal | undefined): VidbotError => {
  if (signal?.aborted) return abortedError(signal);
  if (isVidbotError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  if (typeof e.status !== 'number' || e.isAxiosError === true) {
    // Axios errors (ECONNREFUSED, timeouts) never got an answer from Twilio; anything else is a bug.
    if (e.isAxiosError !== true && typeof e.code !== 'string') return toVidbotError(error);
    const code = typeof e.code === 'string' ? e.code : undefined;
    return new VidbotError('VIDBOT_MESSENGER_FAILED', `Could not reach Twilio: ${String(e.message)}`, {
      cause: error,
      retryable: true,
      // A timeout or a reset connection may have delivered the request; a refused one surely not.
      details: { ambiguous: code === undefined || !UNSENT.has(code) },
    });
  }
  const code = typeof e.code === 'number' && e.code !== 0 ? e.code : undefined;
  const what = `HTTP ${e.status}${code === undefined ? '' : `, error ${code}`}: ${String(e.detail ?? e.message)}`;
  const details = { channelCode: code === undefined ? undefined : String(code), twilioStatus: e.status, moreInfo: e.moreInfo };
  if (e.status === 401 || code === 20003) {
    return new VidbotError('VIDBOT_MESSENGER_AUTH', `Twilio rejected the credentials (${what}).`, {
      cause: error,
      details,
      hint: 'Check TWILIO_ACCOUNT_SID (AC...) and TWILIO_AUTH_TOKEN: both must come from the same Twilio account.',
    });
  }
  if (e.status === 429 || e.status >= 500) {
    return new VidbotError('VIDBOT_MESSENGER_FAILED', `Twilio could not take the message (${what}).`, {
      cause: error,
      retryable: true,
      // A 5xx may come after Twilio created the message; a 429 surely did not.
      details: { ...details, ambiguous: e.status >= 500 },
    });
  }
  const refusal = code === WINDOW_CODE ? 'window' : refusalKind(code);
  return new VidbotError('VIDBOT_DELIVERY_REFUSED', `Twilio refused the message (${what}).`, {
    cause: error,
    details: { ...details, refusal },
    hint:
      refusal === 'window'
        ? 'The user last wrote more than 24 hours ago: set TWILIO_CONTENT_SID to an approved template, or ask the user to write first.'
        : code === undefined
          ? 'Check the message.'
          : `See https://www.twilio.com/docs/errors/${code}`,
  });
};

/** What Twilio shows as a looked-up message's body: the text, with its choices (buttons) or after it (text). */
const bodiesOf = (lookup: SentLookup): string[] => {
  const body = lookup.body ?? '';
  return [body.trim(), choicesText(body, lookup.choices ?? []).trim()];
};

/** The body and link on one line, for a template's single variable. */
const oneLine = (message: OutboundMessage): string =>
  [message.body, message.mediaUrl].filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();

/** The sending half of the Twilio channel. */
export type TwilioSender = Pick<Channel, 'enforcesWindow' | 'mediaByPublicUrl' | 'send' | 'sendTemplate' | 'findSent' | 'refusalKind'>;

/** `client` lets the channel's other parts (its typing indicator) share one SDK client. */
export const createTwilioSender = (options: TwilioSenderOptions, client: TwilioClient = createTwilioClient(options)): TwilioSender => {
  const { from, statusCallbackUrl, contentSid } = options;
  const variablesFor = options.contentVariables ?? ((message) => ({ '1': oneLine(message) }));
  const quickReplies = createQuickReplies({ client, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });

  /** Receipts name our record too, so one that arrives before the create's answer still finds it. */
  const callbackFor = (reference: string | undefined): string | undefined => {
    if (statusCallbackUrl === undefined || reference === undefined) return statusCallbackUrl;
    const url = new URL(statusCallbackUrl);
    url.searchParams.set('ref', reference);
    return url.toString();
  };

  const create = async (params: MessageListInstanceCreateOptions, sendOptions: SendOptions = {}): Promise<SentMessage> => {
    const { signal } = sendOptions;
    throwIfAborted(signal);
    const statusCallback = callbackFor(sendOptions.reference);
    try {
      const message = await client.call(signal, (sdk) =>
        sdk.messages.create({ ...params, ...(statusCallback === undefined ? {} : { statusCallback }) }),
      );
      return { messageId: message.sid, status: mapTwilioStatus(message.status) ?? 'queued' };
    } catch (error) {
      throw toMessengerError(error, signal);
    }
  };

  // `vidbot send +1555...` with a WhatsApp sender means the WhatsApp address.
  const address = (to: string): string => (from.startsWith('whatsapp:') && to.startsWith('+') ? `whatsapp:${to}` : to);

  return {
    enforcesWindow: from.startsWith('whatsapp:'),
    mediaByPublicUrl: true,
    refusalKind,
    async send(message, sendOptions) {
      const { mediaUrl } = message;
      const choices = message.choices ?? [];
      if (!message.body && !mediaUrl) throw new VidbotError('VIDBOT_INVALID_ARGUMENT', 'A message needs a body or a media URL.');
      const to = address(message.to);
      // Quick replies carry text only: a message with media offers its choices as text.
      const contentSid = mediaUrl === undefined && message.body ? await quickReplies.contentSid(choices, sendOptions?.signal) : undefined;
      if (contentSid !== undefined) {
        try {
          const sent = await create({ from, to, contentSid, contentVariables: JSON.stringify({ '1': message.body }) }, sendOptions);
          return { ...sent, presented: 'buttons' };
        } catch (error) {
          // Refused for its content (deleted meanwhile, say): the same choices as text can still go.
          if (!isVidbotError(error, 'VIDBOT_DELIVERY_REFUSED') || error.details.refusal !== 'other') throw error;
          quickReplies.forget(choices);
          options.onWarning?.(`Twilio refused the reply buttons ${contentSid} (${error.message}); sent the choices as text.`);
        }
      }
      const body = message.body ? choicesText(message.body, choices) : undefined;
      const sent = await create({ from, to, ...(body ? { body } : {}), ...(mediaUrl === undefined ? {} : { mediaUrl: [mediaUrl] }) }, sendOptions);
      return choices.length === 0 ? sent : { ...sent, presented: 'text' };
    },
    ...(contentSid === undefined
      ? {}
      : {
          sendTemplate(message: OutboundMessage, sendOptions?: SendOptions) {
            const variables = variablesFor(message);
            return create(
              { from, to: address(message.to), contentSid, ...(variables === undefined ? {} : { contentVariables: JSON.stringify(variables) }) },
              sendOptions,
            );
          },
        }),
    async findSent(lookup: SentLookup, lookupOptions: { signal?: AbortSignal } = {}) {
      const to = address(lookup.to);
      let listed: Awaited<ReturnType<Twilio['messages']['list']>>;
      try {
        listed = await client.call(lookupOptions.signal, (sdk) => sdk.messages.list({ to, from, limit: LOOKUP_LIMIT }));
      } catch (error) {
        throw toMessengerError(error, lookupOptions.signal);
      }
      // Newest first: the oldest match after the intent that no other record holds is the message
      // that intent sent (the same words may have gone to the same user a moment before).
      const matches = listed
        .filter((m) => m.dateCreated.getTime() >= lookup.since - LOOKUP_SKEW_MS)
        .filter((m) => lookup.body === undefined || bodiesOf(lookup).includes(m.body.trim()))
        .filter((m) => lookup.withMedia === undefined || Number(m.numMedia) > 0 === lookup.withMedia)
        .reverse();
      for (const match of matches) {
        if (await lookup.isTaken?.(match.sid)) continue;
        return { messageId: match.sid, status: mapTwilioStatus(match.status) ?? 'queued' };
      }
      return null;
    },
  };
};
