/**
 * Reply buttons on Twilio: quick-reply content (the Content API's `twilio/quick-reply` type) made
 * once per set of choices through the official SDK and reused by its ContentSid. Each set has a
 * deterministic friendly name, looked up before creating, so a restart reuses what it made before.
 * When the Content API refuses (an account without it) or cannot be reached, the caller sends the
 * choices as text instead: buttons never fail a send.
 */
import { createHash } from 'node:crypto';
import type { ContentCreateRequest } from 'twilio/lib/rest/content/v1/content.js';
import type { Choice } from '../../domain.ts';
import { throwIfAborted } from '../../errors.ts';
import type { TwilioClient } from './client.ts';

const QUICK_REPLY = 'twilio/quick-reply';
/** Contents looked through for one made earlier (an account may hold many templates). */
const LOOKUP_LIMIT = 1000;
/** After an outage (5xx, timeout), buttons are tried again this much later; a refusal is final until restart. */
const RETRY_AFTER_MS = 5 * 60_000;

/** `vidbot_quick_reply_<hash of ids and titles>`: the same choices always name the same content. */
export const quickReplyName = (choices: readonly Choice[]): string => {
  const digest = createHash('sha256')
    .update(JSON.stringify(choices.map((choice) => [choice.id, choice.title])))
    .digest('hex')
    .slice(0, 16);
  return `vidbot_quick_reply_${digest}`;
};

export interface QuickReplies {
  /** The ContentSid to send these choices with, or undefined when they must go as text for now. */
  contentSid(choices: readonly Choice[], signal?: AbortSignal): Promise<string | undefined>;
  /** Twilio refused a message with this content (deleted meanwhile, say): look it up or make it again next time. */
  forget(choices: readonly Choice[]): void;
}

export interface QuickRepliesOptions {
  readonly client: TwilioClient;
  /** Told once why buttons went out as text (an account without the Content API, an outage). */
  readonly onWarning?: (message: string) => void;
  readonly now?: () => number;
}

/** What the SDK threw, in a few words, and whether it is the account's answer (final) or an outage. */
const describe = (error: unknown): { what: string; final: boolean } => {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  if (typeof e.status === 'number' && e.isAxiosError !== true) {
    const code = typeof e.code === 'number' && e.code !== 0 ? `, error ${e.code}` : '';
    return { what: `HTTP ${e.status}${code}: ${String(e.detail ?? e.message)}`, final: e.status !== 429 && e.status < 500 };
  }
  return { what: String(e.message ?? error), final: false };
};

export const createQuickReplies = (options: QuickRepliesOptions): QuickReplies => {
  const { client } = options;
  const now = options.now ?? Date.now;
  const made = new Map<string, Promise<string>>();
  /** Until when buttons are not tried: Infinity after a refusal. */
  let textUntil = 0;
  const warned = new Set<string>();

  const findOrCreate = async (name: string, choices: readonly Choice[]): Promise<string> =>
    client.call(undefined, async (sdk) => {
      const listed = await sdk.content.v1.contents.list({ pageSize: 100, limit: LOOKUP_LIMIT });
      const found = listed.find((content) => content.friendlyName === name && content.types?.[QUICK_REPLY] !== undefined);
      if (found !== undefined) return found.sid;
      // The SDK sends this object as the JSON body as it is, so it carries the API's own field names.
      const request = {
        friendly_name: name,
        language: 'en',
        variables: { '1': 'Want another version?' },
        types: {
          [QUICK_REPLY]: { body: '{{1}}', actions: choices.map((choice) => ({ id: choice.id, title: choice.title })) },
          'twilio/text': { body: '{{1}}' },
        },
      };
      return (await sdk.content.v1.contents.create(request as unknown as ContentCreateRequest)).sid;
    });

  return {
    async contentSid(choices, signal) {
      if (choices.length === 0 || now() < textUntil) return undefined;
      const name = quickReplyName(choices);
      let pending = made.get(name);
      if (pending === undefined) {
        pending = findOrCreate(name, choices);
        made.set(name, pending);
      }
      try {
        return await pending;
      } catch (error) {
        throwIfAborted(signal);
        if (made.get(name) === pending) made.delete(name);
        const { what, final } = describe(error);
        textUntil = final ? Number.POSITIVE_INFINITY : now() + RETRY_AFTER_MS;
        const reason = final ? 'refused' : 'unreachable';
        if (!warned.has(reason)) {
          warned.add(reason);
          options.onWarning?.(
            final
              ? `Twilio's Content API refused to make reply buttons (${what}); choices go out as numbered text. Buttons need an account with the Content API.`
              : `Twilio's Content API could not be reached (${what}); choices go out as numbered text, and buttons are tried again in a few minutes.`,
          );
        }
        return undefined;
      }
    },
    forget(choices) {
      made.delete(quickReplyName(choices));
    },
  };
};
