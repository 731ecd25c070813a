import { afterEach, describe, expect, it } from 'vitest';
import { type FakeReplicate, signWebhook, startFakeReplicate } from '../fakes/replicate-api.ts';
import { useServers } from '../helpers/server.ts';

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
const server = useServers();

const delivery = (secret: string, body: string, timestampSec = Math.floor(Date.now() / 1000)) => ({
  method: 'POST' as const,
  url: '/replicate/webhook',
  headers: {
    'content-type': 'application/json',
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signWebhook(secret, 'msg_1', timestampSec, body),
  },
  payload: body,
});

describe('POST /replicate/webhook', () => {
  it('accepts a signed delivery, checking the exact bytes, and refuses forged, stale and unsigned ones', async () => {
    fake = await startFakeReplicate();
    const { app } = await server({ REPLICATE_API_TOKEN: fake.token, REPLICATE_API_BASE_URL: fake.apiUrl, REPLICATE_WEBHOOK_SECRET: fake.webhookSecret });
    // Spacing that a re-serialization would lose: the signature must be checked on the raw body.
    const body = '{"id": "abc123",  "status": "processing", "logs": ""}';
    const ok = await app.inject(delivery(fake.webhookSecret, body));
    expect(ok.statusCode).toBe(200);

    const forged = await app.inject(delivery(`whsec_${Buffer.from('other').toString('base64')}`, body));
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ error: { code: 'VIDBOT_SIGNATURE_INVALID' } });
    const stale = await app.inject(delivery(fake.webhookSecret, body, Math.floor(Date.now() / 1000) - 600));
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.message).toContain('too old');
    const unsigned = await app.inject({ method: 'POST', url: '/replicate/webhook', headers: { 'content-type': 'application/json' }, payload: body });
    expect(unsigned.statusCode).toBe(403);
    const notPrediction = await app.inject(delivery(fake.webhookSecret, '{"hello": 1}'));
    expect(notPrediction.statusCode).toBe(400);
  });

  it('fetches the signing secret from Replicate when none is configured', async () => {
    fake = await startFakeReplicate();
    const { app } = await server({ REPLICATE_API_TOKEN: fake.token, REPLICATE_API_BASE_URL: fake.apiUrl });
    const body = '{"id":"abc","status":"succeeded"}';
    expect((await app.inject(delivery(fake.webhookSecret, body))).statusCode).toBe(200);
    expect((await app.inject(delivery(fake.webhookSecret, body))).statusCode).toBe(200);
    expect(fake.requests.filter((r) => r.path === '/v1/webhooks/default/secret')).toHaveLength(1);
  });

  it('acknowledges and ignores deliveries when the server does not use Replicate', async () => {
    const { app } = await server();
    const response = await app.inject({ method: 'POST', url: '/replicate/webhook', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ ok: true, ignored: true });
  });
});
