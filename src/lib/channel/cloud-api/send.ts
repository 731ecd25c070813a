/**
 * Sending through the Cloud API: text, the video uploaded to Meta and sent by its media id (so no
 * public URL is needed) with a link as the fallback, reply buttons as an interactive message, the
 * approved template outside the 24-hour window, and the typing indicator. Throughput limits are
 * waited out here, a few times, before the send fails as retryable.
 */
import { basename } from 'node:path';
import { openAsBlob } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { VidbotError, isVidbotError, throwIfAborted, isAbortError } from '../../errors.ts';
import { choicesText } from '../choices.ts';
import type { Channel, OutboundMessage, SendOptions, SentMessage } from '../port.ts';
import { isRateLimited, refusalKind, toChannelError } from './codes.ts';
import { GraphFailure, type GraphClient } from './graph.ts';

export interface CloudSenderOptions {
  readonly graph: GraphClient;
  readonly phoneNumberId: string;
  /** An approved template with one body variable ({{1}}: the text and link), for outside the 24-hour window. */
  readonly templateName?: string;
  /** The template's language code; default en_US. */
  readonly templateLanguage?: string;
  /** Tries of a send that hit a throughput limit (default 4), and the first wait (default 1 s, doubling). */
  readonly rateLimitTries?: number;
  readonly rateLimitBackoffMs?: number;
  /** Told when a video upload failed and a link went instead. */
  readonly onWarning?: (message: string) => void;
}

/** Interactive reply buttons: at most 3, titles up to 20 characters, a body up to 1024. */
const MAX_BUTTONS = 3;
const MAX_BUTTON_TITLE = 20;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

interface SendAnswer {
  readonly messages?: readonly { readonly id?: string }[];
}

/** `whatsapp:+15551234567` or `+15551234567` as the Cloud API's recipient (digits). */
export const recipientOf = (to: string): string => to.replace(/^whatsapp:/, '').replace(/^\+/, '');

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export type CloudSender = Pick<Channel, 'enforcesWindow' | 'uploadsMedia' | 'send' | 'sendTemplate' | 'refusalKind'> & {
  typing(input: { readonly to: string; readonly replyingTo: string }, options?: { signal?: AbortSignal }): Promise<void>;
};

export const createCloudSender = (options: CloudSenderOptions): CloudSender => {
  const { graph, phoneNumberId } = options;
  const tries = options.rateLimitTries ?? 4;
  const backoffMs = options.rateLimitBackoffMs ?? 1000;

  /** One Graph call, waiting out throughput limits (Retry-After when given) a few times. */
  const call = async <T>(path: string, body: { json: unknown } | { form: FormData }, signal?: AbortSignal): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      throwIfAborted(signal);
      try {
        return await graph.call<T>('POST', path, body, signal);
      } catch (error) {
        if (!(error instanceof GraphFailure) || !isRateLimited(error) || attempt >= tries) throw toChannelError(error, signal);
        const wait = error.retryAfterSec !== undefined ? error.retryAfterSec * 1000 : backoffMs * 2 ** (attempt - 1);
        await sleep(Math.min(wait, 60_000), undefined, signal ? { signal } : {}).catch(() => throwIfAborted(signal));
      }
    }
  };

  const post = async (to: string, content: Record<string, unknown>, sendOptions: SendOptions = {}): Promise<SentMessage> => {
    const json = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: recipientOf(to),
      ...content,
      // Meta hands it back in the message's status webhooks: a receipt that beats this answer still finds its record.
      ...(sendOptions.reference === undefined ? {} : { biz_opaque_callback_data: sendOptions.reference }),
    };
    const answer = await call<SendAnswer>(`/${phoneNumberId}/messages`, { json }, sendOptions.signal);
    const id = answer.messages?.[0]?.id;
    if (!id) throw new VidbotError('VIDBOT_MESSENGER_FAILED', 'The Cloud API accepted the message without an id.', { retryable: true, details: { ambiguous: true } });
    return { messageId: id, status: 'queued' };
  };

  const upload = async (file: string, signal?: AbortSignal): Promise<string> => {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'video/mp4');
    let blob: Blob;
    try {
      blob = await openAsBlob(file, { type: 'video/mp4' });
    } catch (error) {
      throw new VidbotError('VIDBOT_DELIVERY_REFUSED', `The video file to upload cannot be read: ${(error as Error).message}`, {
        cause: error,
        details: { refusal: 'media' },
      });
    }
    form.set('file', blob, basename(file));
    const answer = await call<{ id?: string }>(`/${phoneNumberId}/media`, { form }, signal);
    if (!answer.id) throw new VidbotError('VIDBOT_MESSENGER_FAILED', 'The media upload answered no id.', { retryable: true });
    return answer.id;
  };

  /** The video by upload; a link when the upload fails and the video has a public URL. */
  const video = async (message: OutboundMessage, caption: string | undefined, sendOptions?: SendOptions): Promise<Record<string, unknown>> => {
    const withCaption = caption ? { caption: clip(caption, MAX_CAPTION) } : {};
    if (message.mediaFile !== undefined) {
      try {
        return { type: 'video', video: { id: await upload(message.mediaFile, sendOptions?.signal), ...withCaption } };
      } catch (error) {
        const fatal = isVidbotError(error, 'VIDBOT_MESSENGER_AUTH') || isAbortError(error);
        if (fatal || message.mediaUrl === undefined) throw error;
        options.onWarning?.(`Uploading the video to the Cloud API failed (${(error as Error).message}); sent it by link instead.`);
      }
    }
    return { type: 'video', video: { link: message.mediaUrl, ...withCaption } };
  };

  const buttonsFit = (message: OutboundMessage): boolean => {
    const choices = message.choices ?? [];
    return choices.length > 0 && choices.length <= MAX_BUTTONS && choices.every((choice) => choice.title.length <= MAX_BUTTON_TITLE);
  };

  return {
    enforcesWindow: true,
    uploadsMedia: true,
    refusalKind,
    async send(message, sendOptions) {
      const choices = message.choices ?? [];
      const hasMedia = message.mediaFile !== undefined || message.mediaUrl !== undefined;
      if (!message.body && !hasMedia) throw new VidbotError('VIDBOT_INVALID_ARGUMENT', 'A message needs a body or media.');
      if (!hasMedia && message.body && buttonsFit(message)) {
        const interactive = {
          type: 'button',
          body: { text: clip(message.body, MAX_CAPTION) },
          action: { buttons: choices.map((choice) => ({ type: 'reply', reply: { id: choice.id, title: choice.title } })) },
        };
        return { ...(await post(message.to, { type: 'interactive', interactive }, sendOptions)), presented: 'buttons' };
      }
      const text = message.body ? choicesText(message.body, choices) : undefined;
      const content = hasMedia ? await video(message, text, sendOptions) : { type: 'text', text: { body: clip(text ?? '', MAX_TEXT), preview_url: false } };
      const sent = await post(message.to, content, sendOptions);
      return choices.length === 0 ? sent : { ...sent, presented: 'text' };
    },
    ...(options.templateName === undefined
      ? {}
      : {
          sendTemplate(message: OutboundMessage, sendOptions?: SendOptions) {
            const line = [message.body, message.mediaUrl].filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
            const template = {
              name: options.templateName,
              language: { code: options.templateLanguage ?? 'en_US' },
              ...(line ? { components: [{ type: 'body', parameters: [{ type: 'text', text: clip(line, MAX_CAPTION) }] }] } : {}),
            };
            return post(message.to, { type: 'template', template }, sendOptions);
          },
        }),
    async typing(input, typingOptions) {
      // Marks the user's message read and shows "typing…" for up to 25 s, or until the next message.
      const json = { messaging_product: 'whatsapp', status: 'read', message_id: input.replyingTo, typing_indicator: { type: 'text' } };
      await call(`/${phoneNumberId}/messages`, { json }, typingOptions?.signal);
    },
  };
};
