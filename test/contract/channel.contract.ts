/**
 * The Channel contract, run by every channel adapter (Twilio through the real SDK and its loopback
 * fake, the simulator, the local recorder): what a messaging service's folder must do for the bot.
 *
 * - Its inbound webhook reads a verified request into the bot's message (channel, id, sender, text,
 *   media, a button tap) and refuses a forged or unsigned one (VIDBOT_SIGNATURE_INVALID) and one
 *   without sender or id (VIDBOT_INPUT_INVALID); its answer carries the bot's reply.
 * - Its receipt webhook reads delivery receipts (the channel's id, status, error code, and vidbot's
 *   reference when the channel hands it back); through the lifecycle, receipts in any order leave
 *   the message in its most advanced state.
 * - It sends text and media, and says what the service answered; it refuses what it must. A channel
 *   with an approved template sends it (outside WhatsApp's 24-hour window) with the text as its variable.
 * - It offers a message's choices as buttons where it can, else as the shared numbered text, and
 *   says which; a tap names the message it was on.
 * - Its media policy lets vidbot fetch only the service's own media, with credentials for it only.
 * - A channel with a typing indicator shows it for the user's inbound message, and stops on a signal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, ChannelWebhook, WebhookRequest } from '../../src/lib/channel/port.ts';
import type { DeliveryStatus } from '../../src/lib/domain.ts';
import { isVidbotError } from '../../src/lib/errors.ts';
import { makeVidbot } from '../helpers/vidbot.ts';

export interface ChannelHarness {
  readonly channel: Channel;
  /** A webhook request as the service would post it (signed), for the given form or payload. */
  inbound(fields: Record<string, string>): WebhookRequest;
  /** The same, with its signature broken; undefined when the channel has no signature to break. */
  forged(fields: Record<string, string>): WebhookRequest | undefined;
  /** A receipt as the service would post it, for a message id, a service-side status name and code. */
  receipt(messageId: string, status: string, errorCode?: string, reference?: string): WebhookRequest;
  /** The service's own name for each port status a receipt may carry. */
  readonly statuses: Readonly<Partial<Record<DeliveryStatus, string>>>;
  /** What the service received when asked to send, newest last (empty when it cannot tell). */
  sent(): ReadonlyArray<{ to: string; body?: string; mediaUrl?: string }>;
  /** Which inbound messages the service was asked to show a typing indicator for; absent when the channel has none. */
  typed?(): readonly string[];
  /** The approved template the channel was given, and what the service received as templates; absent when it has none. */
  readonly template?: { readonly id: string; sent(): ReadonlyArray<{ to: string; template: string; variables?: string }> };
  /** How the channel offers choices, and what the service received as choices (absent when it cannot tell). */
  readonly choices: {
    readonly presented: 'buttons' | 'text';
    offered?(): ReadonlyArray<{ to: string; body?: string; choices: readonly string[] }>;
  };
  /** The URL the bot gets for an inbound medium the request named so (services that name media by id give their own). */
  mediaUrlOf?(given: string): string;
  /** A media URL the service serves for this account, and some it does not. */
  readonly media?: { readonly own: string; readonly foreign: readonly string[]; readonly credentials: boolean };
  cleanup(): Promise<void>;
}

const USER = 'whatsapp:+15550007777';

const webhook = (channel: Channel, kind: 'inbound' | 'receipts'): ChannelWebhook => {
  // Receipts come to their own route (Twilio's status callback), or with the messages (Meta's Cloud API).
  const posts = channel.webhooks.filter((candidate) => candidate.method === 'POST');
  const statusHook = posts.find((candidate) => /status/.test(candidate.path));
  const hook = kind === 'inbound' ? posts.find((candidate) => candidate !== statusHook) : (statusHook ?? posts[0]);
  if (hook === undefined) throw new Error(`${channel.name} has no ${kind} webhook`);
  return hook;
};

const threw = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

export const channelContract = (name: string, makeHarness: () => Promise<ChannelHarness>): void => {
  describe(`Channel contract: ${name}`, () => {
    let h: ChannelHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('reads a verified inbound message, with media and a button tap', () => {
      const read = webhook(h.channel, 'inbound').read(
        h.inbound({
          From: USER,
          Body: 'a fox in the snow',
          MessageSid: 'SM1',
          NumMedia: '1',
          MediaUrl0: 'https://x/1',
          MediaContentType0: 'image/png',
          ButtonPayload: 'again:T1',
          ButtonText: 'Another take',
          OriginalRepliedMessageSid: 'SM0',
        }),
      );
      expect('messages' in read).toBe(true);
      if (!('messages' in read)) return;
      expect(read.receipts).toEqual([]);
      expect(read.messages).toEqual([
        expect.objectContaining({
          channel: h.channel.name,
          messageId: 'SM1',
          from: USER,
          body: 'a fox in the snow',
          media: [{ url: h.mediaUrlOf?.('https://x/1') ?? 'https://x/1', contentType: 'image/png' }],
          button: { payload: 'again:T1', text: 'Another take' },
          repliedTo: 'SM0',
        }),
      ]);
    });

    it('refuses a forged request, and one without a sender or an id', () => {
      const hook = webhook(h.channel, 'inbound');
      const forged = h.forged({ From: USER, Body: 'hi', MessageSid: 'SM2' });
      if (forged !== undefined) expect(isVidbotError(threw(() => hook.read(forged)), 'VIDBOT_SIGNATURE_INVALID')).toBe(true);
      expect(isVidbotError(threw(() => hook.read(h.inbound({ Body: 'hi', MessageSid: 'SM3' }))), 'VIDBOT_INPUT_INVALID')).toBe(true);
      expect(isVidbotError(threw(() => hook.read(h.inbound({ From: USER, Body: 'hi' }))), 'VIDBOT_INPUT_INVALID')).toBe(true);
    });

    it('answers with the reply, escaped, and with nothing when there is none', () => {
      const hook = webhook(h.channel, 'inbound');
      const answer = hook.respond(['Got it <3 & more']);
      expect(answer.status).toBe(200);
      if (hook.replies === 'send') {
        // No reply in the HTTP answer on this service: the bot's replies go out as messages.
        expect(answer.body).not.toContain('Got it');
        return;
      }
      expect(answer.body).toContain('Got it &lt;3 &amp; more');
      expect(hook.respond([]).body).not.toContain('<Message>');
    });

    it('reads receipts, with the reference the channel hands back', () => {
      const hook = webhook(h.channel, 'receipts');
      // A failure the service reports later: Twilio's `undelivered`, or `failed` where there is no such state.
      const failing = h.statuses.undelivered !== undefined ? 'undelivered' : 'failed';
      const read = hook.read(h.receipt('SM9', h.statuses[failing] ?? failing, '63019', 'T1:result:1'));
      expect(read).toEqual({ messages: [], receipts: [{ messageId: 'SM9', status: failing, errorCode: '63019', reference: 'T1:result:1' }] });
      if (h.forged({}) !== undefined) {
        const forged = { ...h.receipt('SM9', h.statuses.read ?? 'read'), headers: {} };
        expect(isVidbotError(threw(() => hook.read(forged)), 'VIDBOT_SIGNATURE_INVALID')).toBe(true);
      }
    });

    it('sends text and media, and a message the lifecycle records ends in its most advanced state whatever the receipts\' order', async () => {
      const made = await makeVidbot({}, { overrides: { channel: h.channel } });
      try {
        const record = await made.vidbot.sendMessage({ to: USER, body: 'your video', mediaUrl: 'https://cdn.example.com/v.mp4' }, { checkWindow: false });
        expect(record).toMatchObject({ channel: h.channel.name, messageId: expect.any(String) });
        const sent = h.sent();
        if (sent.length > 0) expect(sent.at(-1)).toMatchObject({ to: USER, body: 'your video', mediaUrl: 'https://cdn.example.com/v.mp4' });
        const hook = webhook(h.channel, 'receipts');
        const order: DeliveryStatus[] = ['read', 'sent', 'delivered', 'undelivered', 'queued'];
        for (const status of order) {
          const service = h.statuses[status];
          if (service === undefined) continue;
          const read = hook.read(h.receipt(record.messageId ?? '', service, status === 'undelivered' ? '30008' : undefined, record.id));
          if ('receipts' in read) for (const receipt of read.receipts) await made.vidbot.applyReceipt(receipt);
        }
        const after = await made.vidbot.store.findOutbound({ id: record.id });
        // A failure after a read receipt cannot be the truth about that message.
        expect(after?.status).toBe(h.statuses.read ? 'read' : record.status);
      } finally {
        await made.cleanup();
      }
    });

    it('sends its approved template with the text as the variable, when it has one', async () => {
      if (h.template === undefined) {
        expect(h.channel.sendTemplate).toBeUndefined();
        return;
      }
      const sent = await h.channel.sendTemplate?.({ to: USER, body: 'Your video is ready: https://cdn.example.com/v.mp4' });
      expect(sent).toMatchObject({ messageId: expect.any(String), status: expect.any(String) });
      const received = h.template.sent().at(-1);
      expect(received).toMatchObject({ to: USER, template: h.template.id });
      expect(JSON.parse(received?.variables ?? '{}')).toEqual({ '1': 'Your video is ready: https://cdn.example.com/v.mp4' });
    });

    it("shows a typing indicator for the user's message when it has one, and not after an abort", async () => {
      if (h.typed === undefined) {
        expect(h.channel.typing).toBeUndefined();
        return;
      }
      const inbound = `SM${'0a'.repeat(16)}`;
      await h.channel.typing?.({ to: USER, replyingTo: inbound });
      expect(h.typed()).toEqual([inbound]);
      await expect(h.channel.typing?.({ to: USER, replyingTo: inbound }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'VIDBOT_CANCELED' });
      expect(h.typed()).toEqual([inbound]);
    });

    it('offers choices as buttons where it can, else as the numbered text, and says which', async () => {
      const choices = [
        { id: 'again', title: '🔁 Another take' },
        { id: 'portrait', title: '↕️ Portrait' },
      ] as const;
      const sent = await h.channel.send({ to: USER, body: 'Want another version?', choices });
      expect(sent).toMatchObject({ messageId: expect.any(String), presented: h.choices.presented });
      const offered = h.choices.offered?.();
      if (offered !== undefined) expect(offered.at(-1)).toEqual({ to: USER, body: 'Want another version?', choices: ['again', 'portrait'] });
      const plain = h.sent().at(-1);
      if (h.choices.presented === 'text' && plain !== undefined) expect(plain.body).toBe('Want another version?\n\nReply 1 for 🔁 Another take, 2 for ↕️ Portrait.');
      expect((await h.channel.send({ to: USER, body: 'no choices' })).presented).toBeUndefined();
    });

    it('lets vidbot fetch only its own media, with credentials for it only', () => {
      const policy = h.channel.media;
      if (h.media === undefined) {
        expect(policy).toBeUndefined();
        return;
      }
      expect(policy?.allows(new URL(h.media.own))).toBe(true);
      for (const foreign of h.media.foreign) {
        expect(policy?.allows(new URL(foreign)), foreign).toBe(false);
        expect(Object.keys(policy?.headersFor(new URL(foreign)) ?? {}), foreign).toEqual([]);
      }
      expect(Object.keys(policy?.headersFor(new URL(h.media.own)) ?? {}).length > 0).toBe(h.media.credentials);
    });
  });
};
