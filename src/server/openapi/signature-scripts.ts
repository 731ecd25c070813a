/**
 * Postman pre-request scripts that sign webhook requests the way the services do, with the sandbox's
 * CryptoJS, so a request from the collection passes the server's signature check. A test runs them
 * against the Twilio SDK's own signing and the server's Meta check.
 */

/** Which services' signatures the collection computes, by the header the operation documents. */
export const SIGNATURE_HEADERS = { twilio: 'x-twilio-signature', meta: 'x-hub-signature-256' } as const;

export const TWILIO_SIGNATURE_SCRIPT = [
  "// X-Twilio-Signature as Twilio computes it: the base64 HMAC-SHA1, keyed with the auth token, of the full URL",
  '// followed by every form field name and value, sorted by name (a repeated field: its distinct values, sorted).',
  "// twilioAuthToken is the server's TWILIO_AUTH_TOKEN, or its local token (`vidbot sign` says which); baseUrl",
  "// must be the URL the server sees (PUBLIC_BASE_URL when it is set).",
  "// A fresh MessageSid for each send: a repeated one is a retry, which the bot answers once.",
  "pm.variables.set('twilioMessageSid', 'SM' + CryptoJS.lib.WordArray.random(16).toString());",
  'const url = pm.variables.replaceIn(pm.request.url.toString());',
  'const params = {};',
  'pm.request.body.urlencoded.all().forEach(function (field) {',
  '  if (field.disabled) return;',
  "  const value = pm.variables.replaceIn(field.value === undefined || field.value === null ? '' : String(field.value));",
  '  (params[field.key] = params[field.key] || []).push(value);',
  '});',
  'let data = url;',
  'Object.keys(params).sort().forEach(function (key) {',
  '  Array.from(new Set(params[key])).sort().forEach(function (value) { data += key + value; });',
  '});',
  "const signature = CryptoJS.enc.Base64.stringify(CryptoJS.HmacSHA1(data, pm.variables.get('twilioAuthToken') || ''));",
  "pm.request.headers.upsert({ key: 'X-Twilio-Signature', value: signature });",
];

export const META_SIGNATURE_SCRIPT = [
  "// X-Hub-Signature-256 as Meta computes it: `sha256=` and the hex HMAC-SHA256 of the exact body, keyed with the",
  "// app secret (metaAppSecret: the server's WHATSAPP_APP_SECRET).",
  "// A fresh message id for each send: a repeated one is a redelivery, which the bot answers once.",
  "pm.variables.set('metaMessageId', 'wamid.' + CryptoJS.lib.WordArray.random(16).toString());",
  "const body = pm.variables.replaceIn(pm.request.body.raw || '');",
  "const digest = CryptoJS.HmacSHA256(body, pm.variables.get('metaAppSecret') || '').toString(CryptoJS.enc.Hex);",
  "pm.request.headers.upsert({ key: 'X-Hub-Signature-256', value: 'sha256=' + digest });",
];
