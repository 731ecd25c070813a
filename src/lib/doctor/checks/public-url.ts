import { randomBytes } from 'node:crypto';
import { loadLocalAuthToken } from '../../channel/twilio/local-token.ts';
import { computeTwilioSignature } from '../../channel/twilio/signature.ts';
import { type CheckOutcome, type DoctorContext, fail, messageOf, pass, skip, systemCode, warn } from '../types.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const URL_RULE =
  'Twilio signs the exact URL it posts to, which must equal PUBLIC_BASE_URL + path; behind a proxy or tunnel, set PUBLIC_BASE_URL on the server or start it with --trust-proxy (it then reads X-Forwarded-Proto/Host).';
const startFix = (ctx: DoctorContext): string =>
  ctx.publicUrlName === 'PUBLIC_BASE_URL'
    ? 'Start the server (`vidbot serve`) and make sure PUBLIC_BASE_URL (your tunnel or proxy) forwards to it.'
    : `Start the server (\`vidbot serve\`), or give ${ctx.publicUrlName} the URL it listens on (or its tunnel's).`;

export const trimBase = (url: string): string => url.replace(/\/+$/, '');

const twilioConfigured = (ctx: DoctorContext): boolean =>
  Boolean(ctx.config.twilioAccountSid && ctx.config.twilioAuthToken && ctx.config.twilioWhatsappFrom);

interface Health {
  status?: unknown;
  version?: unknown;
  adapters?: unknown;
  public_base_url?: unknown;
  store?: { ok?: boolean; error?: string };
  queue?: { ok?: boolean; error?: string };
  ffmpeg?: { ok?: boolean; error?: string };
}

/** PUBLIC_BASE_URL is set, https (http only on loopback), and answers GET /health as vidbot. */
export const checkPublicUrl = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const base = ctx.config.publicBaseUrl;
  if (!base) {
    const detail = 'PUBLIC_BASE_URL is not set: Twilio cannot reach the bot (webhooks, delivery receipts, /media videos)';
    const fix = 'Expose `vidbot serve` over https (a reverse proxy or a tunnel) and set PUBLIC_BASE_URL to that URL.';
    return twilioConfigured(ctx) ? warn(detail, fix) : skip(`${detail}; fine for local use`);
  }
  const url = new URL(base);
  const health = `${trimBase(base)}/health`;
  let response: Response;
  try {
    response = await ctx.fetch(health, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(ctx.timeoutMs) });
  } catch (error) {
    const code = systemCode(error);
    // No such name: no server to start; the URL (or a free tunnel's address, new on each start) is wrong.
    const fix = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `No address is known for ${url.hostname}: check ${ctx.publicUrlName}'s spelling, and that a tunnel's address is still its current one (a free ngrok tunnel gets a new one on each start).` : startFix(ctx);
    return fail(`could not reach ${health}: ${code ?? messageOf(error)}`, fix);
  }
  const body = (await response.json().catch(() => undefined)) as Health | undefined;
  if (body === undefined || typeof body.version !== 'string' || typeof body.adapters !== 'object') {
    return fail(`${health} answered ${response.status}, but not as vidbot`, `Something else answers at ${url.origin}: point PUBLIC_BASE_URL (or the tunnel or proxy) at \`vidbot serve\`.`);
  }
  if (response.status !== 200 || body.status !== 'healthy') {
    const broken = (['store', 'queue', 'ffmpeg'] as const).filter((part) => body[part]?.ok === false).map((part) => `${part}: ${body[part]?.error ?? 'failing'}`);
    return fail(`vidbot ${body.version} at ${url.origin} is unhealthy (${response.status}${broken.length ? `; ${broken.join('; ')}` : ''})`, 'Look at the server\'s log; `vidbot doctor` on the server machine checks the same parts.');
  }
  const answered = `${health} answers 200 (vidbot ${body.version})`;
  const theirs = typeof body.public_base_url === 'string' ? trimBase(body.public_base_url) : undefined;
  if (theirs !== undefined && theirs !== trimBase(base)) {
    return warn(`${answered}, but that server's PUBLIC_BASE_URL is ${theirs}`, `Use the same PUBLIC_BASE_URL here and on the server (Twilio signs requests with it).`);
  }
  if (url.protocol === 'https:') return pass(answered);
  const fix = 'Twilio and WhatsApp need https: put the server behind a TLS reverse proxy or a tunnel and set PUBLIC_BASE_URL to its https URL.';
  return LOOPBACK.test(url.hostname) ? warn(`${answered} over http on loopback: fine for testing, not for Twilio`, fix) : fail(`${answered}, but over http`, fix);
};

/**
 * Signs a status callback for an unknown MessageSid (harmless: nothing matches it) as Twilio would,
 * for PUBLIC_BASE_URL/whatsapp/status, and posts it there: the server must accept the signature.
 */
export const checkSignature = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const base = ctx.config.publicBaseUrl;
  if (!base) return skip('no PUBLIC_BASE_URL to post to');
  const token = ctx.config.twilioAuthToken ?? (await loadLocalAuthToken({ dataDir: ctx.config.dataDir }));
  const tokenName = ctx.config.twilioAuthToken ? 'TWILIO_AUTH_TOKEN' : `the local token in ${ctx.config.dataDir}`;
  const url = `${trimBase(base)}/whatsapp/status`;
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const params = { MessageSid: sid, SmsSid: sid, MessageStatus: 'delivered', SmsStatus: 'delivered', AccountSid: ctx.config.twilioAccountSid ?? `AC${'0'.repeat(32)}`, ApiVersion: '2010-04-01' };
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': computeTwilioSignature({ authToken: token, url, params }) },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (error) {
    return fail(`could not post to ${url}: ${systemCode(error) ?? messageOf(error)}`, startFix(ctx));
  }
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string; hint?: string } } | undefined;
  if (response.ok) return pass(`a status callback signed with ${tokenName} for ${url} was accepted (${response.status})`);
  if (response.status !== 403) {
    return fail(`${url} answered ${response.status}: ${body?.error?.message ?? 'no vidbot error body'}`, startFix(ctx));
  }
  const checked = /checked against (\S+?);/.exec(body?.error?.hint ?? '')?.[1];
  const detail = `the server refused a request signed with ${tokenName} for ${url} (403)`;
  if (checked !== undefined && checked !== url) {
    return fail(
      `${detail}: it checked the signature against ${checked}`,
      `Start the server with PUBLIC_BASE_URL=${trimBase(base)}. ${URL_RULE}`,
    );
  }
  return fail(
    `${detail}${checked === undefined ? '' : ' although the URL matches, so the auth token differs'}`,
    `The server must check with the same token: give it the same TWILIO_AUTH_TOKEN (or, without one, the same VIDBOT_DATA_DIR for the local token). ${URL_RULE}`,
  );
};
