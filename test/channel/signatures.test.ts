/** The two HMAC signatures a webhook carries, checked in constant time without throwing on odd input. */
import { describe, expect, it } from 'vitest';
import { cloudSignature, isValidCloudSignature } from '../../src/lib/channel/cloud-api/webhooks.ts';
import { computeTwilioSignature, isValidTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { sameSecret, sameSignature } from '../../src/lib/same-secret.ts';

const TOKEN = 'f'.repeat(32);
const URL = 'https://bot.example.test/whatsapp/webhook';
const PARAMS = { From: 'whatsapp:+15550001111', Body: 'a fox', MessageSid: `SM${'1'.repeat(32)}`, MediaUrl0: ['a', 'b'] };

/** The same number of characters, with one of them two bytes long. */
const multibyte = (value: string): string => `é${value.slice(1)}`;

describe('sameSignature and sameSecret', () => {
  it('tell equal from different, whatever the lengths in characters and in bytes', () => {
    for (const same of [sameSignature, sameSecret]) {
      expect(same('abc=', 'abc=')).toBe(true);
      expect(same('abd=', 'abc=')).toBe(false);
      expect(same('abc', 'abc=')).toBe(false);
      expect(same(multibyte('abc='), 'abc=')).toBe(false);
      expect(same('', '')).toBe(true);
    }
  });
});

describe("Twilio's X-Twilio-Signature", () => {
  const signature = computeTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS });

  it('accepts the signature Twilio computes, also for the URL with its default port', () => {
    expect(signature).toHaveLength(28);
    expect(isValidTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS, signature })).toBe(true);
    expect(isValidTwilioSignature({ authToken: TOKEN, url: 'https://bot.example.test:443/whatsapp/webhook', params: PARAMS, signature })).toBe(true);
  });

  it('refuses another token, a changed field, a missing, shorter or multibyte signature', () => {
    expect(isValidTwilioSignature({ authToken: 'e'.repeat(32), url: URL, params: PARAMS, signature })).toBe(false);
    expect(isValidTwilioSignature({ authToken: TOKEN, url: URL, params: { ...PARAMS, Body: 'a cat' }, signature })).toBe(false);
    for (const wrong of [undefined, '', signature.slice(1), multibyte(signature)]) {
      expect(isValidTwilioSignature({ authToken: TOKEN, url: URL, params: PARAMS, signature: wrong })).toBe(false);
    }
  });
});

describe("Meta's X-Hub-Signature-256", () => {
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const signature = cloudSignature('app-secret', body);

  it('accepts the signature of the exact body, with surrounding spaces', () => {
    expect(isValidCloudSignature('app-secret', body, signature)).toBe(true);
    expect(isValidCloudSignature('app-secret', body, ` ${signature} `)).toBe(true);
  });

  it('refuses another secret, another body, a missing, shorter or multibyte signature', () => {
    expect(isValidCloudSignature('other-secret', body, signature)).toBe(false);
    expect(isValidCloudSignature('app-secret', `${body} `, signature)).toBe(false);
    for (const wrong of [undefined, '', signature.slice(0, -1), `${signature.slice(0, -1)}é`]) {
      expect(isValidCloudSignature('app-secret', body, wrong)).toBe(false);
    }
  });
});
