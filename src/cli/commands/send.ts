import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createVidbot } from '../../lib/create-vidbot.ts';
import { normalizeRecipient } from '../../lib/channel/recipient.ts';
import { isVidbotError, vidbotError } from '../../lib/errors.ts';
import type { Channel, ChannelSet } from '../../lib/channel/port.ts';
import { type CliContext, loadCliConfig, warnOn } from '../context.ts';

export interface SendFlags {
  to: string;
  message?: string;
  media?: string;
  channel?: string;
  json?: boolean;
}

type Media = { kind: 'url'; url: string } | { kind: 'file'; file: string };

const parseMedia = (raw: string, cwd: string): Media => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', file: resolve(cwd, raw) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'url', url: raw };
  throw vidbotError('VIDBOT_INPUT_INVALID', `--media "${raw}" is neither an http(s) URL nor a local file.`, {
    hint: 'Pass a public https:// URL Twilio can fetch, or the path of a local file.',
  });
};

const checkFile = async (file: string): Promise<void> => {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `--media ${file}: file not found.`);
  if (!info.isFile()) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `--media ${file}: not a file.`);
};

const noPublicUrl = (file: string, channel: string) =>
  vidbotError('VIDBOT_CONFIG_INVALID', `Cannot send ${file}: published media has no public URL, and ${channel === 'local' ? 'the local channel records what Twilio would fetch' : 'Twilio fetches media by URL'}.`, {
    hint:
      'Set PUBLIC_BASE_URL to the https address where `vidbot serve` is reachable, or CLOUDINARY_URL to publish it there, ' +
      'or pass --media https://...',
  });

/** The channels `send` knows, and what each needs set up (the simulator's chat lives in a running serve). */
const CHANNEL_SETUP: Readonly<Record<string, string>> = {
  twilio: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM',
  'cloud-api': 'WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID',
  local: '',
};

const channelNamed = (channels: ChannelSet, name: string | undefined): Channel => {
  try {
    return channels.get(name);
  } catch (error) {
    if (name === undefined || !isVidbotError(error, 'VIDBOT_CONFIG_INVALID')) throw error;
    const configured = channels.all.map((channel) => channel.name).join(' and ');
    // The local recorder stands in only where no real channel is set up.
    if (name === 'local') throw vidbotError('VIDBOT_CONFIG_INVALID', `The local channel is used only where no other is set up; here ${configured} is.`, { hint: `Send with --channel ${channels.all[0]?.name ?? 'twilio'}.` });
    throw vidbotError('VIDBOT_CONFIG_INVALID', `The ${name} channel is not set up here.`, { hint: `Set ${CHANNEL_SETUP[name] ?? name} (vidbot config set, .env or the environment).` });
  }
};

export const sendCommand = async (context: CliContext, flags: SendFlags): Promise<void> => {
  // Everything typed is checked before the store is opened, so bad input changes nothing.
  const body = flags.message !== undefined && flags.message.trim() !== '' ? flags.message : undefined;
  if (body === undefined && flags.media === undefined) {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'Nothing to send: give --message, --media or both.', {
      hint: 'e.g. vidbot send --to whatsapp:+15551234567 --message "hello" --media clip.mp4',
    });
  }
  if (flags.channel !== undefined && !Object.hasOwn(CHANNEL_SETUP, flags.channel)) {
    const names = Object.keys(CHANNEL_SETUP);
    throw vidbotError('VIDBOT_INPUT_INVALID', `--channel must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got "${flags.channel}".`);
  }
  // Checked now; which address form it takes depends on the sender, known once the config is read.
  normalizeRecipient(flags.to, { label: '--to' });
  const media = flags.media === undefined ? undefined : parseMedia(flags.media, context.cwd);
  if (media?.kind === 'file') await checkFile(media.file);

  const { config } = await loadCliConfig(context);
  // A bare +number is a WhatsApp address for the local recorder and a WhatsApp sender; a
  // Twilio SMS sender keeps it as a phone number.
  const sender = flags.channel === 'cloud-api' ? undefined : config.twilioWhatsappFrom;
  const to = normalizeRecipient(flags.to, { label: '--to', whatsapp: sender === undefined || sender.startsWith('whatsapp:') });
  const vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context) });
  try {
    const channel = channelNamed(vidbot.channels, flags.channel);
    let mediaUrl: string | undefined;
    // Channels that upload (Meta's Cloud API) take the file itself: no public URL needed. The local
    // channel records what Twilio would be sent: a URL.
    const local = channel.name === 'local';
    const mediaFile = media?.kind === 'file' && channel.uploadsMedia ? media.file : undefined;
    if (media?.kind === 'url') mediaUrl = media.url;
    if (media?.kind === 'file' && mediaFile === undefined) {
      // The local host only hands out URLs under PUBLIC_BASE_URL: fail before copying the file in.
      if (vidbot.mediaHost.name === 'local' && !config.publicBaseUrl) throw noPublicUrl(media.file, channel.name);
      const published = await vidbot.mediaHost.publish(media.file, { signal: context.signal });
      if (published.url === undefined) throw noPublicUrl(media.file, channel.name);
      mediaUrl = published.url;
    }
    // An explicit send is the operator's decision, and this store may hold none of the recipient's
    // messages (they went to another machine): Twilio decides about the 24-hour window.
    const sent = await vidbot.sendMessage(
      { to, ...(body === undefined ? {} : { body }), ...(mediaUrl === undefined ? {} : { mediaUrl }), ...(mediaFile === undefined ? {} : { mediaFile }) },
      { kind: 'notice', checkWindow: false, sessionId: to, signal: context.signal, channel: channel.name },
    );
    const sid = sent.messageId ?? sent.id;
    // The local channel records instead of sending: its "delivered" is the recorder's, not a phone's.
    if (flags.json) {
      const json = { ok: true, sid, status: local ? 'recorded' : sent.status, sent: !local, channel: channel.name, to, ...(mediaUrl === undefined ? {} : { mediaUrl }) };
      context.stdout.write(`${JSON.stringify(json)}\n`);
      return;
    }
    const lines = [local ? `recorded (not sent): ${sid}` : `sent via ${channel.name}: ${sid} (${sent.status})`, `  to ${to}`];
    if (body !== undefined) lines.push(`  message: ${body.length > 60 ? `${body.slice(0, 59)}…` : body}`);
    if (mediaUrl !== undefined) lines.push(`  media: ${mediaUrl}`);
    if (mediaFile !== undefined) lines.push(`  media: ${mediaFile} (uploaded)`);
    if (local) lines.push('  (the local channel records messages and sends none: --channel twilio or cloud-api, once set up, sends)');
    context.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await vidbot.close();
  }
};
