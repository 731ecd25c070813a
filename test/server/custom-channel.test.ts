/** A channel of the library user's own, given to startServer: its webhook is served beside the default's. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/lib/channel/port.ts';
import { vidbotError } from '../../src/lib/errors.ts';
import { makeServer } from '../helpers/server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

// The README's sketch, its key checked against a constant.
const acme: Channel = {
  name: 'acme',
  enforcesWindow: false,
  webhooks: [
    {
      method: 'POST',
      path: '/acme/webhook',
      body: 'raw',
      read: (request) => {
        if (request.headers['x-acme-key'] !== 'acme-key') throw vidbotError('VIDBOT_SIGNATURE_INVALID', 'Bad key.');
        const { id, from, text } = JSON.parse(request.rawBody ?? '{}') as { id: string; from: string; text: string };
        return { messages: [{ channel: 'acme', messageId: id, from, body: text, media: [], fields: {} }], receipts: [] };
      },
      respond: () => ({ status: 200, body: '' }),
    },
  ],
  send: async () => ({ messageId: 'acme-1', status: 'sent' }),
};

describe('startServer({ extraChannels })', () => {
  it("serves a custom channel's webhook and queues its prompt on that channel", async () => {
    const server = await makeServer({}, { vidbot: { extraChannels: [acme] } });
    cleanups.push(server.cleanup);
    const post = (key: string) =>
      server.app.inject({
        method: 'POST',
        url: '/acme/webhook',
        headers: { 'content-type': 'application/json', 'x-acme-key': key },
        payload: JSON.stringify({ id: 'm1', from: 'acme:alice', text: 'a fox in the snow' }),
      });
    const refused = await post('wrong');
    expect(refused.statusCode).toBe(403);
    // Its own service's business: not told to sign the way Twilio does.
    expect(refused.json()).toMatchObject({ error: { code: 'VIDBOT_SIGNATURE_INVALID', message: 'Bad key.' } });
    expect(refused.body).not.toMatch(/Twilio/);
    expect((await post('acme-key')).statusCode).toBe(200);
    const [task] = await server.vidbot.store.listTasks({ from: 'acme:alice' });
    expect(task).toMatchObject({ prompt: 'a fox in the snow', channel: 'acme', messageId: 'm1', status: 'queued' });

    // Bad input to its JSON.parse, or a message without an id: the poster's to fix (400), where it
    // was a 500 that called itself a bug of vidbot's.
    const raw = (payload: string) =>
      server.app.inject({ method: 'POST', url: '/acme/webhook', headers: { 'content-type': 'application/json', 'x-acme-key': 'acme-key' }, payload });
    const notJson = await raw('{not json');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatchObject({ code: 'VIDBOT_INPUT_INVALID', message: expect.stringMatching(/^The acme webhook's body could not be read: /), hint: "Check what is posting to /acme/webhook: it is not what the acme channel reads." });
    const noId = await raw(JSON.stringify({ from: 'acme:alice', text: 'a fox' }));
    expect([noId.statusCode, noId.json().error.message]).toEqual([400, 'A message in the acme webhook has no id or no sender.']);
    expect(await server.vidbot.store.countTasks({ from: 'acme:alice' })).toBe(1);
  });
});
