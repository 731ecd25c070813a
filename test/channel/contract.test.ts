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
import { createCloudApiChannel } from '../../src/lib/channel/cloud-api/index.ts';
import { channelContract } from '../contract/channel.contract.ts';
import { signCloudBody, startFakeGraph } from '../fakes/graph-api.ts';
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

/** A Cloud API webhook POST, signed with the app secret over the exact JSON. */
const cloudRequest = (appSecret: string, payload: unknown, secret = appSecret): WebhookRequest => {
  const rawBody = JSON.stringify(payload);
  return { url: `${BASE}/whatsapp/cloud`, headers: { 'x-hub-signature-256': signCloudBody(secret, rawBody), 'content-type': 'application/json' }, query: {}, rawBody };
};

channelContract('cloud-api', async () => {
  const fake = await startFakeGraph();
  const template = 'video_ready';
  const channel = createCloudApiChannel({
    token: fake.token,
    phoneNumberId: fake.phoneNumberId,
    appSecret: fake.appSecret,
    verifyToken: 'verify-me',
    baseUrl: fake.url,
    templateName: template,
  });
  const value = (inner: Record<string, unknown>) => ({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550100000', phone_number_id: fake.phoneNumberId }, ...inner } }] }],
  });
  /** The contract's Twilio-named fields as one Cloud API message: a captioned photo, tapped button and replied-to message in one. */
  const payload = (fields: Record<string, string>) => {
    const from = fields.From?.replace(/^whatsapp:\+/, '');
    const message = {
      ...(from ? { from } : {}),
      ...(fields.MessageSid ? { id: fields.MessageSid } : {}),
      timestamp: '1767225600',
      type: fields.MediaUrl0 ? 'image' : 'text',
      ...(fields.MediaUrl0
        ? { image: { id: 'M1', mime_type: fields.MediaContentType0, caption: fields.Body } }
        : { text: { body: fields.Body ?? '' } }),
      ...(fields.ButtonPayload ? { interactive: { type: 'button_reply', button_reply: { id: fields.ButtonPayload, title: fields.ButtonText } } } : {}),
      ...(fields.OriginalRepliedMessageSid ? { context: { from: '15550100000', id: fields.OriginalRepliedMessageSid } } : {}),
    };
    return value({ contacts: [{ profile: { name: 'Ana' }, wa_id: from }], messages: [message] });
  };
  const toOf = (m: { to: string }) => `whatsapp:+${m.to}`;
  const textOf = (m: { type: string; body: Record<string, unknown> }): string | undefined => {
    const body = m.body as { body?: string; caption?: string; text?: string };
    if (m.type === 'text') return body.body;
    if (m.type === 'video') return body.caption;
    if (m.type === 'interactive') return (m.body.body as { text?: string } | undefined)?.text;
    return undefined;
  };
  return {
    channel,
    inbound: (fields) => cloudRequest(fake.appSecret, payload(fields)),
    forged: (fields) => cloudRequest(fake.appSecret, payload(fields), 'not-the-app-secret'),
    receipt: (messageId, status, errorCode, reference) =>
      cloudRequest(
        fake.appSecret,
        value({
          statuses: [
            { id: messageId, status, timestamp: '1767225600', recipient_id: '15550007777', ...(reference ? { biz_opaque_callback_data: reference } : {}), ...(errorCode ? { errors: [{ code: Number(errorCode), title: 'x' }] } : {}) },
          ],
        }),
      ),
    statuses: { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' },
    typed: () => fake.reads.filter((r) => r.typing).map((r) => r.messageId),
    sent: () =>
      fake.messages
        .filter((m) => m.type !== 'template')
        .map((m) => {
          const body = textOf(m);
          const link = (m.body as { link?: string }).link;
          return { to: toOf(m), ...(body === undefined ? {} : { body }), ...(link ? { mediaUrl: link } : {}) };
        }),
    template: {
      id: template,
      sent: () =>
        fake.messages.flatMap((m) => {
          if (m.type !== 'template') return [];
          const components = (m.body.components ?? []) as { parameters?: { text?: string }[] }[];
          const text = components[0]?.parameters?.[0]?.text;
          return [{ to: toOf(m), template: String(m.body.name), ...(text === undefined ? {} : { variables: JSON.stringify({ '1': text }) }) }];
        }),
    },
    choices: {
      presented: 'buttons',
      offered: () =>
        fake.messages.flatMap((m) => {
          const buttons = (m.body.action as { buttons?: { reply: { id: string } }[] } | undefined)?.buttons;
          return m.type === 'interactive' && buttons ? [{ to: toOf(m), body: textOf(m) ?? '', choices: buttons.map((b) => b.reply.id) }] : [];
        }),
    },
    mediaUrlOf: () => `${fake.url}/v24.0/M1`,
    media: {
      own: `${fake.url}/v24.0/M1`,
      foreign: ['https://graph.facebook.com.evil.example/x', 'http://graph.facebook.com/v24.0/1', 'http://169.254.169.254/latest/meta-data', 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1'],
      credentials: true,
    },
    cleanup: () => fake.close(),
  };
});
