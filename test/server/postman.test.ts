/**
 * The committed Postman collection: it is what the generator makes from the server's description
 * now, and its pre-request scripts, run in node:vm with a stand-in for Postman's `pm` and the real
 * crypto-js as CryptoJS, sign as the Twilio SDK and Meta do, so the requests pass a real server.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudSignature } from '../../src/lib/channel/cloud-api/webhooks.ts';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { POSTMAN_SCHEMA, postmanCollectionText } from '../../src/server/openapi/postman.ts';
import { referenceDocument } from '../../src/server/openapi/reference.ts';
import { type FakeGraph, startFakeGraph } from '../fakes/graph-api.ts';
import { INJECT_ORIGIN, TEST_AUTH_TOKEN, twimlText, useServers } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const FILE = new URL('../../docs/postman/vidbot.postman_collection.json', import.meta.url);
const CryptoJS: unknown = createRequire(import.meta.url)('crypto-js');

interface Field {
  readonly key: string;
  readonly value: string;
  readonly disabled?: boolean;
}
interface Item {
  readonly name: string;
  readonly event?: { readonly listen: string; readonly script: { readonly exec: string[] } }[];
  readonly request: {
    readonly method: string;
    readonly auth?: { readonly type: string };
    readonly header: Field[];
    readonly body?: { readonly mode: string; readonly urlencoded?: Field[]; readonly raw?: string };
    readonly url: { readonly raw: string };
  };
}
interface Collection {
  readonly info: { readonly schema: string };
  readonly auth: unknown;
  readonly variable: { readonly key: string }[];
  readonly item: { readonly name: string; readonly item: Item[] }[];
}

const collection = JSON.parse(readFileSync(FILE, 'utf8')) as Collection;
const item = (folder: string, method: string, path: string): Item => {
  const found = collection.item.find((f) => f.name === folder)?.item.find((i) => i.request.method === method && i.request.url.raw.split('?')[0] === `{{baseUrl}}${path}`);
  if (!found) throw new Error(`no ${method} ${path} in the ${folder} folder`);
  return found;
};

/**
 * What Postman sends for an item: its pre-request script run against a minimal `pm` (variables
 * with replaceIn, the request's URL, form and raw body, and headers.upsert), then every
 * {{variable}} resolved, as Postman does before sending.
 */
const prepare = (source: Item, variables: Record<string, string>, change: { form?: Field[]; url?: string } = {}) => {
  const locals = new Map<string, string>();
  const replaceIn = (text: string) => text.replace(/\{\{([^{}]+)\}\}/g, (whole, name: string) => locals.get(name) ?? variables[name] ?? whole);
  const headers = new Map(source.request.header.filter((h) => !h.disabled).map((h) => [h.key, h.value]));
  const form = change.form ?? source.request.body?.urlencoded ?? [];
  const url = change.url ?? source.request.url.raw;
  const pm = {
    variables: { get: (name: string) => locals.get(name) ?? variables[name], set: (name: string, value: unknown) => void locals.set(name, String(value)), replaceIn },
    request: {
      url: { toString: () => url },
      body: { urlencoded: { all: () => form }, raw: source.request.body?.raw },
      headers: { upsert: ({ key, value }: { key: string; value: string }) => void headers.set(key, value) },
    },
  };
  const script = source.event?.find((event) => event.listen === 'prerequest')?.script.exec ?? [];
  runInNewContext(script.join('\n'), { pm, CryptoJS });
  const fields = form.filter((f) => !f.disabled).map((f) => [f.key, replaceIn(f.value)] as const);
  return {
    url: replaceIn(url),
    headers: Object.fromEntries([...headers].map(([key, value]) => [key.toLowerCase(), replaceIn(value)])),
    fields,
    raw: source.request.body?.raw === undefined ? undefined : replaceIn(source.request.body.raw),
  };
};

/** The fields as the SDK takes them: a string per key, a list for a repeated one. */
const sdkParams = (fields: readonly (readonly [string, string])[]): Record<string, string | string[]> => {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of fields) {
    const had = params[key];
    params[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return params;
};

const injectable = (prepared: ReturnType<typeof prepare>) => {
  const { pathname, search } = new URL(prepared.url);
  const payload = prepared.raw ?? prepared.fields.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
  const type = prepared.raw === undefined ? 'application/x-www-form-urlencoded' : 'application/json';
  return { url: `${pathname}${search}`, headers: { 'content-type': type, ...prepared.headers }, payload };
};

describe('the Postman collection', () => {
  it('is what `npm run postman` makes from the description now', async () => {
    expect(readFileSync(FILE, 'utf8'), 'run `npm run postman`').toBe(postmanCollectionText(await referenceDocument()));
  });

  it('has a request for every operation, the API key as bearer, and the variables to set', async () => {
    const doc = await referenceDocument();
    const operations = Object.values(doc.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
    const items = collection.item.flatMap((folder) => folder.item);
    expect(items).toHaveLength(operations);
    expect(collection.info.schema).toBe(POSTMAN_SCHEMA);
    expect(collection.auth).toEqual({ type: 'bearer', bearer: [{ key: 'token', value: '{{apiToken}}', type: 'string' }] });
    expect(collection.variable.map((v) => v.key)).toEqual(['baseUrl', 'apiToken', 'twilioAccountSid', 'twilioAuthToken', 'metaAppSecret', 'metaVerifyToken', 'metaPhoneNumberId']);
    // No example reads as a real account: the account id is the user's own variable.
    expect(JSON.stringify(collection)).not.toMatch(/AC[0-9a-f]{32}/);
    // The API inherits the bearer; webhooks, health and media carry none.
    for (const one of collection.item.find((f) => f.name === 'api')?.item ?? []) expect(one.request.auth, one.name).toBeUndefined();
    for (const folder of ['twilio', 'cloud-api', 'providers', 'health', 'media']) {
      for (const one of collection.item.find((f) => f.name === folder)?.item ?? []) expect(one.request.auth, one.name).toEqual({ type: 'noauth' });
    }
  });
});

describe('the Twilio pre-request script', () => {
  const variables = { baseUrl: 'https://bot.example.com', twilioAuthToken: 'an-auth-token-0123' };

  it('signs as the Twilio SDK does, for the inbound form and the status callback', () => {
    const cases: { name: string; source: Item; form?: Field[]; url?: string }[] = [
      { name: 'inbound as committed', source: item('twilio', 'POST', '/whatsapp/webhook') },
      { name: 'status as committed', source: item('twilio', 'POST', '/whatsapp/status') },
      {
        name: 'status with its ref, odd characters, a repeated field and a switched-off one',
        source: item('twilio', 'POST', '/whatsapp/status'),
        url: '{{baseUrl}}/whatsapp/status?ref=out%3A1&x=%F0%9F%A6%8A',
        form: [
          { key: 'MessageSid', value: 'SM1' },
          { key: 'MessageStatus', value: 'failed' },
          { key: 'Body', value: 'héllo + 🦊 & <b>' },
          { key: 'MediaUrl', value: 'https://b.example/2' },
          { key: 'MediaUrl', value: 'https://a.example/1' },
          { key: 'MediaUrl', value: 'https://a.example/1' },
          { key: 'Empty', value: '' },
          { key: 'ErrorCode', value: '63016', disabled: true },
        ],
      },
    ];
    for (const { name, source, form, url } of cases) {
      const prepared = prepare(source, variables, { ...(form ? { form } : {}), ...(url ? { url } : {}) });
      const params = sdkParams(prepared.fields);
      const signature = prepared.headers['x-twilio-signature'];
      expect(signature, name).toBe(getExpectedTwilioSignature(variables.twilioAuthToken, prepared.url, params));
      expect(signature, name).toBe(computeTwilioSignature({ authToken: variables.twilioAuthToken, url: prepared.url, params }));
      expect(validateRequest(variables.twilioAuthToken, signature ?? '', prepared.url, params), name).toBe(true);
    }
  });

  it('gives each send a fresh MessageSid, on every id field alike', () => {
    const source = item('twilio', 'POST', '/whatsapp/webhook');
    const [first, second] = [prepare(source, variables), prepare(source, variables)];
    const ids = (p: typeof first) => p.fields.filter(([key]) => ['MessageSid', 'SmsMessageSid', 'SmsSid'].includes(key)).map(([, value]) => value);
    expect(new Set(ids(first)).size).toBe(1);
    expect(ids(first)[0]).toMatch(/^SM[0-9a-f]{32}$/);
    expect(ids(second)[0]).not.toBe(ids(first)[0]);
  });

  const start = useServers();

  it("makes requests a real server takes: the inbound message gets TwiML, the status callback 204", async () => {
    const { app, vidbot } = await start();
    const local = { baseUrl: INJECT_ORIGIN, twilioAuthToken: TEST_AUTH_TOKEN };
    const answers: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', ...injectable(prepare(item('twilio', 'POST', '/whatsapp/webhook'), local)) });
      expect(res.statusCode, res.body).toBe(200);
      answers.push(twimlText(res.body) ?? '');
    }
    // Two sends, two messages, each with its own MessageSid: the second is the same words again while
    // the first's video is on its way (a redelivery of the first would have had the first's answer).
    expect(answers[0]).toContain('Generating your video');
    expect(answers[1]).toContain('⏳ Already on it:');
    expect(await vidbot.store.listTasks()).toHaveLength(1);
    const status = await app.inject({ method: 'POST', ...injectable(prepare(item('twilio', 'POST', '/whatsapp/status'), local)) });
    expect(status.statusCode, status.body).toBe(204);
    const wrong = await app.inject({ method: 'POST', ...injectable(prepare(item('twilio', 'POST', '/whatsapp/webhook'), { ...local, twilioAuthToken: 'other' })) });
    expect(wrong.statusCode).toBe(403);
  });
});

describe('the Cloud API requests', () => {
  const start = useServers();
  let graph: FakeGraph | undefined;
  afterEach(async () => {
    await graph?.close();
    graph = undefined;
  });

  it("sign as Meta does, and the server verifies and takes them; the verification request carries the verify token", async () => {
    graph = await startFakeGraph();
    const { app, vidbot } = await start({
      WHATSAPP_TOKEN: graph.token,
      WHATSAPP_PHONE_NUMBER_ID: graph.phoneNumberId,
      WHATSAPP_APP_SECRET: graph.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'verify-me',
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      VIDBOT_POLISH: 'false',
    });
    const variables = { baseUrl: INJECT_ORIGIN, metaAppSecret: graph.appSecret, metaVerifyToken: 'verify-me', metaPhoneNumberId: graph.phoneNumberId };

    const verify = prepare(item('cloud-api', 'GET', '/whatsapp/cloud'), variables);
    const challenge = await app.inject({ method: 'GET', url: injectable(verify).url });
    expect(challenge.statusCode).toBe(200);
    expect(challenge.body).toBe('1234567890');

    const post = prepare(item('cloud-api', 'POST', '/whatsapp/cloud'), variables);
    expect(post.headers['x-hub-signature-256']).toBe(cloudSignature(graph.appSecret, post.raw ?? ''));
    const res = await app.inject({ method: 'POST', ...injectable(post) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('EVENT_RECEIVED');
    const [task] = await vidbot.store.listTasks({ from: 'whatsapp:+15551234567' });
    expect(task).toMatchObject({ prompt: 'a fox running through a neon city at night', channel: 'cloud-api' });
    // The acknowledgement went out through the Graph API, as a message of its own.
    await waitFor(async () => graph?.messages.some((message) => message.to === '15551234567'), 10_000);

    const forged = prepare(item('cloud-api', 'POST', '/whatsapp/cloud'), { ...variables, metaAppSecret: 'guess' });
    expect((await app.inject({ method: 'POST', ...injectable(forged) })).statusCode).toBe(403);
  });
});
