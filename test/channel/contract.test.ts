/**
 * The channel contract for every adapter: Twilio through the official SDK against the loopback
 * fake, the browser simulator, and the local recorder (served, it takes Twilio-format webhooks).
 */
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { createLocalChannel } from '../../src/lib/channel/local/index.ts';
import type { WebhookRequest } from '../../src/lib/channel/port.ts';
import { createSimulatorChannel, SIMULATOR_WEBHOOKS, type SimulatedMessage } from '../../src/lib/channel/simulator/index.ts';
import { createTwilioChannel } from '../../src/lib/channel/twilio/index.ts';
import { twilioWebhooks } from '../../src/lib/channel/twilio/webhooks.ts';
import { channelContract } from '../contract/channel.contract.ts';
import { startFakeTwilio } from '../fakes/twilio-api.ts';

const ACCOUNT = `AC${'c4'.repeat(16)}`;
const TOKEN = 'contract-token';
const BASE = 'https://bot.example.com';
/** The contract's user. */
const USER = 'whatsapp:+15550007777';
const TWILIO_STATUSES = { queued: 'queued', sent: 'sent', delivered: 'delivered', read: 'read', undelivered: 'undelivered' } as const;

/** A form request as Twilio posts it: signed over the exact URL with the account's token. */
const twilioRequest = (path: string, form: Record<string, string>, query: Record<string, string> = {}, token = TOKEN): WebhookRequest => {
  const search = new URLSearchParams(query).toString();
  const url = `${BASE}${path}${search ? `?${search}` : ''}`;
  return { url, headers: { 'x-twilio-signature': getExpectedTwilioSignature(token, url, form) }, query, form };
};

const twilioForms = (paths: { inbound: string; status: string }) => ({
  inbound: (fields: Record<string, string>) => twilioRequest(paths.inbound, fields),
  forged: (fields: Record<string, string>) => twilioRequest(paths.inbound, fields, {}, 'some-other-token'),
  receipt: (messageId: string, status: string, errorCode?: string, reference?: string) =>
    twilioRequest(
      paths.status,
      { MessageSid: messageId, MessageStatus: status, ...(errorCode ? { ErrorCode: errorCode } : {}) },
      reference ? { ref: reference } : {},
    ),
});

channelContract('twilio', async () => {
  const fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN });
  const template = `HX${'7'.repeat(32)}`;
  const channel = createTwilioChannel({ accountSid: ACCOUNT, authToken: TOKEN, from: 'whatsapp:+14155238886', apiBaseUrl: fake.url, contentSid: template });
  return {
    channel,
    ...twilioForms({ inbound: '/whatsapp/webhook', status: '/whatsapp/status' }),
    statuses: TWILIO_STATUSES,
    template: {
      id: template,
      sent: () =>
        fake.messages.flatMap((m) => (m.contentSid === undefined ? [] : [{ to: m.to, template: m.contentSid, ...(m.contentVariables === undefined ? {} : { variables: m.contentVariables }) }])),
    },
    typed: () => fake.typing.map((t) => t.messageId ?? ''),
    sent: () => fake.messages.map((m) => ({ to: m.to, ...(m.body === undefined ? {} : { body: m.body }), ...(m.mediaUrls[0] ? { mediaUrl: m.mediaUrls[0] } : {}) })),
    choices: {
      presented: 'buttons',
      // What the phone shows: the content's quick replies, and its body with the message's variable.
      offered: () =>
        fake.messages.flatMap((m) => {
          const content = fake.contents.find((c) => c.sid === m.contentSid);
          const actions = content?.types['twilio/quick-reply']?.actions;
          return actions === undefined ? [] : [{ to: m.to, ...(m.body === undefined ? {} : { body: m.body }), choices: actions.map((a) => a.id ?? '') }];
        }),
    },
    media: {
      own: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Messages/MM1/Media/ME1`,
      foreign: ['https://api.twilio.com.evil.example/x.png', 'http://api.twilio.com/x.png', 'http://169.254.169.254/latest/meta-data', `${BASE}/simulator/media/x`],
      credentials: true,
    },
    cleanup: () => fake.close(),
  };
});

channelContract('simulator', async () => {
  const own = `${BASE}/simulator/media/${'a'.repeat(22)}`;
  const channel = createSimulatorChannel({ authToken: TOKEN, isOwnUpload: (url) => url.href === own });
  const sent: SimulatedMessage[] = [];
  const typed: string[] = [];
  channel.subscribe((event) => (event.type === 'message' ? sent.push(event.message) : event.to === USER && typed.push(event.replyingTo)));
  return {
    channel,
    ...twilioForms(SIMULATOR_WEBHOOKS),
    statuses: TWILIO_STATUSES,
    sent: () => sent,
    typed: () => typed,
    // The page gets the choices themselves, to draw as buttons.
    choices: {
      presented: 'buttons',
      offered: () => sent.flatMap((m) => (m.choices ? [{ to: m.to, ...(m.body === undefined ? {} : { body: m.body }), choices: m.choices.map((c) => c.id) }] : [])),
    },
    media: { own, foreign: ['https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', `${BASE}/simulator/media/${'b'.repeat(22)}`], credentials: false },
    cleanup: async () => {},
  };
});

channelContract('local', async () => {
  const channel = createLocalChannel({ webhooks: twilioWebhooks({ channel: 'local', authToken: TOKEN }) });
  return {
    channel,
    ...twilioForms({ inbound: '/whatsapp/webhook', status: '/whatsapp/status' }),
    statuses: TWILIO_STATUSES,
    // It delivers nothing anywhere, so nothing can be seen arriving.
    sent: () => [],
    choices: { presented: 'text' },
    cleanup: async () => {},
  };
});
