/**
 * `vidbot doctor` on the Cloud API: the token against the Graph API fake, and Meta's two webhook
 * requests (verification, a signed POST) against a served bot.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/index.ts';
import { checkCloudApi, checkCloudWebhook, createDoctorContext } from '../../src/lib/doctor/index.ts';
import { type FakeGraph, startFakeGraph } from '../fakes/graph-api.ts';
import { useBots } from '../helpers/bot.ts';

const ctx = (env: Record<string, string>) =>
  createDoctorContext(loadConfig({ env: { VIDBOT_DATA_DIR: '/nonexistent-doctor-dir', ...env }, dotenv: false }).config, { env: { PATH: '' }, timeoutMs: 5_000 });

describe('vidbot doctor, Cloud API', () => {
  let graph: FakeGraph;
  let env: Record<string, string>;
  beforeEach(async () => {
    graph = await startFakeGraph();
    env = {
      WHATSAPP_TOKEN: graph.token,
      WHATSAPP_PHONE_NUMBER_ID: graph.phoneNumberId,
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      WHATSAPP_APP_SECRET: graph.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'doctor-verify',
    };
  });
  afterEach(() => graph.close());
  const start = useBots();

  it('passes a token that reads the phone number, and says what is wrong otherwise', async () => {
    expect(await checkCloudApi(ctx(env))).toEqual({ status: 'pass', detail: 'token accepted: sending as +1 555-010-0000 "vidbot test", quality GREEN' });
    const wrong = await checkCloudApi(ctx({ ...env, WHATSAPP_TOKEN: 'EAAwrong' }));
    expect(wrong).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused WHATSAPP_TOKEN (error 190') });
    expect(JSON.stringify(wrong)).not.toContain('EAAwrong');
    expect(await checkCloudApi(ctx({ ...env, WHATSAPP_PHONE_NUMBER_ID: '4242' }))).toMatchObject({ status: 'fail', detail: expect.stringContaining('cannot read phone number 4242') });
    expect(await checkCloudApi(ctx({ ...env, WHATSAPP_PHONE_NUMBER_ID: '+1 555 0100' }))).toMatchObject({ status: 'fail', detail: expect.stringContaining('not a phone number id') });
    const { WHATSAPP_APP_SECRET: _secret, ...noSecret } = env;
    expect(await checkCloudApi(ctx(noSecret))).toMatchObject({ status: 'warn', detail: expect.stringContaining('WHATSAPP_APP_SECRET not set') });
    expect(await checkCloudApi(ctx({ WHATSAPP_TOKEN: graph.token }))).toMatchObject({ status: 'warn', detail: expect.stringContaining('WHATSAPP_PHONE_NUMBER_ID is not set') });
  });

  it('makes Meta\'s verification and a signed POST to the served webhook', async () => {
    const bot = await start(env);
    const served = { ...env, PUBLIC_BASE_URL: bot.base };
    expect(await checkCloudWebhook(ctx(served))).toEqual({
      status: 'pass',
      detail: `${bot.base}/whatsapp/cloud answers Meta's verification and accepts its signature: paste it as the callback URL`,
    });
    expect(await checkCloudWebhook(ctx({ ...served, WHATSAPP_VERIFY_TOKEN: 'another' }))).toMatchObject({ status: 'fail', detail: expect.stringContaining("answered Meta's verification with 403") });
    expect(await checkCloudWebhook(ctx({ ...served, WHATSAPP_APP_SECRET: 'another' }))).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused a request signed with WHATSAPP_APP_SECRET (403)') });
    // Skipped, naming only what is missing.
    expect(await checkCloudWebhook(ctx(env))).toMatchObject({ status: 'skip', detail: 'needs PUBLIC_BASE_URL' });
    const { WHATSAPP_APP_SECRET: _secret, WHATSAPP_VERIFY_TOKEN: _verify, ...bare } = env;
    expect(await checkCloudWebhook(ctx(bare))).toMatchObject({ status: 'skip', detail: 'needs PUBLIC_BASE_URL, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN' });
  });
});
