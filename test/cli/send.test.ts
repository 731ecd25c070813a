import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundRecord } from '../../src/lib/store/port.ts';
import { createSqliteStore } from '../../src/lib/store/sqlite/index.ts';
import { startFakeGraph } from '../fakes/graph-api.ts';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio-api.ts';
import { makeSandbox, runCli } from '../helpers/cli.ts';

const USER = 'whatsapp:+15551234567';
const FROM = 'whatsapp:+14155238886';
const BASE = 'https://bot.example.com';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(() => sandbox.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(['send', ...args], { env: { ...sandbox.env, ...env }, cwd: sandbox.root });

const outbound = async (): Promise<OutboundRecord[]> => {
  const file = join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'vidbot.db');
  if (!existsSync(file)) return [];
  const store = createSqliteStore({ file });
  try {
    return await store.listOutbound();
  } finally {
    await store.close();
  }
};

const clip = async (): Promise<string> => {
  const file = join(sandbox.root, 'clip.mp4');
  await writeFile(file, 'not really a video, but publish only copies bytes');
  return file;
};

const mediaFiles = async () => {
  const dir = join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'media');
  return existsSync(dir) ? (await readdir(dir)).filter((name) => name.endsWith('.mp4')) : [];
};

describe('vidbot send, local messenger', () => {
  it('records a text message in the store and says so', async () => {
    const result = await cli(['--to', USER, '--message', 'hello there']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const [record, ...rest] = await outbound();
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ to: USER, body: 'hello there', kind: 'notice', status: 'delivered' });
    expect(record?.mediaUrl).toBeUndefined();
    // Recorded, not sent: nothing on the screen says it was delivered.
    expect(result.stdout).toContain(`recorded (not sent): ${record?.messageId}`);
    expect(result.stdout).toContain('the local channel records messages and sends none');
    expect(result.stdout).not.toMatch(/delivered|sent via/);
  });

  it('reads a bare +number, with spaces, as the WhatsApp address', async () => {
    const result = await cli(['--to', '+1 555 123-4567', '--message', 'hi']);
    expect(result.exitCode).toBe(0);
    expect((await outbound())[0]?.to).toBe(USER);
  });

  it('publishes a local file under PUBLIC_BASE_URL and sends its URL', async () => {
    await clip();
    const ok = await cli(['--to', USER, '--media', 'clip.mp4', '--message', 'Here it is'], { PUBLIC_BASE_URL: BASE });
    expect(ok.exitCode).toBe(0);
    const [record] = await outbound();
    expect(record?.mediaUrl?.startsWith(`${BASE}/media/`)).toBe(true);
    expect(record?.body).toBe('Here it is');
    expect(ok.stdout).toContain(`media: ${record?.mediaUrl}`);
    expect(await mediaFiles()).toHaveLength(1);
  });

  it('sends a media URL as it is', async () => {
    const url = 'https://cdn.example.com/v/fox.mp4?sig=a&b=c';
    expect((await cli(['--to', USER, '--media', url])).exitCode).toBe(0);
    expect(await outbound()).toEqual([expect.objectContaining({ to: USER, mediaUrl: url })]);
    expect((await outbound())[0]?.body).toBeUndefined();
  });

  it('refuses a local file when nothing gives it a public URL: exit 78, nothing recorded or copied', async () => {
    await clip();
    const result = await cli(['--to', USER, '--media', 'clip.mp4']);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('VIDBOT_CONFIG_INVALID');
    expect(result.stderr).toMatch(/hint: .*PUBLIC_BASE_URL.*, or CLOUDINARY_URL to publish it there/);
    expect(result.stderr).toContain('the local channel records what Twilio would fetch');
    expect(await outbound()).toEqual([]);
    expect(await mediaFiles()).toEqual([]);
  });

  it.each([
    ['a missing file', ['--to', USER, '--media', 'nope.mp4'], 66, 'VIDBOT_FILE_NOT_FOUND'],
    ['a folder', ['--to', USER, '--media', '.'], 66, 'VIDBOT_FILE_NOT_FOUND'],
    ['a bad --to', ['--to', '5551234567', '--message', 'hi'], 2, 'VIDBOT_INPUT_INVALID'],
    ['a --to of another channel', ['--to', 'sms:+15551234567', '--message', 'hi'], 2, 'VIDBOT_INPUT_INVALID'],
    ['neither --message nor --media', ['--to', USER], 2, 'VIDBOT_INPUT_INVALID'],
    ['an empty --message alone', ['--to', USER, '--message', '  '], 2, 'VIDBOT_INPUT_INVALID'],
    ['a non-http media URL', ['--to', USER, '--media', 'ftp://x/a.mp4'], 2, 'VIDBOT_INPUT_INVALID'],
  ])('rejects %s, sending nothing', async (_name, args, exitCode, code) => {
    const result = await cli(args, { PUBLIC_BASE_URL: BASE });
    expect(result.exitCode).toBe(exitCode);
    const [reason, hint] = result.stderr.split('\n');
    expect(reason).toContain(code);
    expect(hint).toMatch(/^ {2}hint: /);
    expect(await outbound()).toEqual([]);
  });

  it('rejects a missing --to as a usage error', async () => {
    expect((await cli(['--message', 'hi'])).exitCode).toBe(2);
  });

  it('prints JSON when asked', async () => {
    const result = await cli(['--to', USER, '--media', 'https://cdn.example.com/a.mp4', '--json']);
    expect(result.exitCode).toBe(0);
    const [record] = await outbound();
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      sid: record?.messageId,
      // The local channel records: nothing went out.
      status: 'recorded',
      sent: false,
      channel: 'local',
      to: USER,
      mediaUrl: 'https://cdn.example.com/a.mp4',
    });
  });
});

describe('vidbot send, Twilio messenger', () => {
  let fake: FakeTwilio;
  let twilioEnv: Record<string, string>;
  beforeEach(async () => {
    fake = await startFakeTwilio();
    twilioEnv = {
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_WHATSAPP_FROM: FROM,
      TWILIO_API_BASE_URL: fake.url,
    };
  });
  afterEach(() => fake.close());

  it('says the local recorder stands in only where no channel is set up, and names the one that is', async () => {
    const result = await cli(['--channel', 'local', '--to', USER, '--message', 'hi'], twilioEnv);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe('✖ The local channel is used only where no other is set up; here twilio is. [VIDBOT_CONFIG_INVALID]\n  hint: Send with --channel twilio.\n');
    expect(fake.messages).toHaveLength(0);
  });

  it('sends to a recipient who never wrote in: Twilio, not the local history, decides about the window', async () => {
    await clip();
    const result = await cli(['--to', '+15551234567', '--message', 'Your video', '--media', 'clip.mp4'], {
      ...twilioEnv,
      PUBLIC_BASE_URL: BASE,
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(fake.messages).toHaveLength(1);
    const [message] = fake.messages;
    expect(message).toMatchObject({ to: USER, from: FROM, body: 'Your video' });
    expect(message?.statusCallback).toMatch(new RegExp(`^${BASE}/whatsapp/status\\?ref=msg-`));
    expect(message?.mediaUrls).toHaveLength(1);
    expect(message?.mediaUrls[0]?.startsWith(`${BASE}/media/`)).toBe(true);
    expect(result.stdout).toContain(`sent via twilio: ${message?.sid} (queued)`);
    expect(await outbound()).toEqual([expect.objectContaining({ messageId: message?.sid, to: USER, kind: 'notice', status: 'queued' })]);
  });

  it('sends a media URL without a body', async () => {
    const url = 'https://cdn.example.com/v/fox.mp4';
    expect((await cli(['--to', USER, '--media', url], twilioEnv)).exitCode).toBe(0);
    expect(fake.messages).toEqual([expect.objectContaining({ to: USER, mediaUrls: [url] })]);
    expect(fake.messages[0]?.body).toBeUndefined();
  });

  it('maps a 401 to exit 77 with a hint naming TWILIO_AUTH_TOKEN', async () => {
    const result = await cli(['--to', USER, '--message', 'hi'], { ...twilioEnv, TWILIO_AUTH_TOKEN: 'wrong-token' });
    expect(result.exitCode).toBe(77);
    expect(result.stderr).toContain('VIDBOT_MESSENGER_AUTH');
    expect(result.stderr).toMatch(/hint: .*TWILIO_AUTH_TOKEN/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.messages).toEqual([]);
    // Recorded as what it was: an attempt that surely sent nothing.
    expect(await outbound()).toEqual([expect.objectContaining({ to: USER, status: 'failed', errorCode: '20003' })]);
  });
});

describe('vidbot send --channel cloud-api', () => {
  it('uploads a local file to the Cloud API and sends it by id, with no public URL', async () => {
    const graph = await startFakeGraph();
    try {
      await clip();
      const env = { WHATSAPP_TOKEN: graph.token, WHATSAPP_PHONE_NUMBER_ID: graph.phoneNumberId, WHATSAPP_GRAPH_BASE_URL: graph.url };
      const result = await cli(['--channel', 'cloud-api', '--to', '+1 555 123-4567', '--media', 'clip.mp4', '--message', 'Here it is', '--json'], env);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, channel: 'cloud-api', to: USER, sid: graph.messages[0]?.id });
      expect(graph.uploads).toHaveLength(1);
      expect(graph.messages[0]).toMatchObject({ to: '15551234567', type: 'video', body: { id: graph.uploads[0]?.id, caption: 'Here it is' } });
      expect(await mediaFiles()).toEqual([]);
    } finally {
      await graph.close();
    }
  });

  it('says what a channel needs when it is not set up, and which channels there are for one it does not know', async () => {
    const result = await cli(['--channel', 'cloud-api', '--to', USER, '--message', 'hi']);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe(
      '✖ The cloud-api channel is not set up here. [VIDBOT_CONFIG_INVALID]\n  hint: Set WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID (vidbot config set, .env or the environment).\n',
    );
    const unknown = await cli(['--channel', 'bogus', '--to', USER, '--message', 'hi']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^✖ --channel must be twilio, cloud-api or local, got "bogus"\. \[VIDBOT_INPUT_INVALID\]/);
  });
});
