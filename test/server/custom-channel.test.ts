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
  });
});
