/**
 * The Cloud API channel in `vidbot doctor`: the token reads the business phone number (so it is
 * valid and has the WhatsApp permissions), the webhook's two secrets are set, and, with a public
 * URL, the served webhook answers Meta's verification and accepts a request signed with the app
 * secret: the two things Meta's app dashboard does when the callback URL is saved.
 */
import { randomBytes } from 'node:crypto';
import { GraphFailure, createGraphClient } from '../../channel/cloud-api/graph.ts';
import { cloudSignature } from '../../channel/cloud-api/webhooks.ts';
import { type CheckOutcome, type DoctorContext, fail, messageOf, pass, skip, systemCode, warn } from '../types.ts';
import { inWords } from '../../text.ts';
import { trimBase } from './public-url.ts';

interface PhoneNumber {
  readonly display_phone_number?: string;
  readonly verified_name?: string;
  readonly quality_rating?: string;
}

export const cloudApiConfigured = (ctx: DoctorContext): boolean => Boolean(ctx.config.whatsappToken && ctx.config.whatsappPhoneNumberId);

export const checkCloudApi = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { whatsappToken: token, whatsappPhoneNumberId: phoneId, whatsappAppSecret: secret, whatsappVerifyToken: verify } = ctx.config;
  if (!token && !phoneId) return skip('not configured: set WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID to answer on Meta\'s Cloud API');
  if (!token || !phoneId) {
    const missing = token ? 'WHATSAPP_PHONE_NUMBER_ID' : 'WHATSAPP_TOKEN';
    return warn(`partly configured: ${missing} is not set, so the Cloud API channel is off`, `Set ${missing} too (Meta app dashboard → WhatsApp → API setup).`);
  }
  if (!/^\d+$/.test(phoneId)) return fail(`WHATSAPP_PHONE_NUMBER_ID "${phoneId}" is not a phone number id (digits)`, 'Copy the Phone number ID (not the number itself) from WhatsApp → API setup.');
  const graph = createGraphClient({ token, baseUrl: ctx.config.whatsappGraphBaseUrl, version: ctx.config.whatsappGraphVersion, timeoutMs: ctx.timeoutMs, fetch: ctx.fetch });
  let number: PhoneNumber;
  try {
    number = await graph.call<PhoneNumber>('GET', `/${phoneId}?fields=display_phone_number,verified_name,quality_rating`);
  } catch (error) {
    if (!(error instanceof GraphFailure)) return fail(`the Graph API check failed: ${messageOf(error)}`, 'Run `vidbot doctor` again; report it if it persists.');
    if (error.status === 0) return fail(`could not reach ${graph.baseUrl}: ${error.network ?? error.message}`, 'Check the network, or WHATSAPP_GRAPH_BASE_URL.');
    if (error.status === 401 || error.code === 190) {
      return fail(`the Graph API refused WHATSAPP_TOKEN (error ${error.code ?? error.status}: ${error.message})`, "Make a new token: a system user's permanent token with whatsapp_business_messaging (Business settings → System users).");
    }
    return fail(
      `the token cannot read phone number ${phoneId} (error ${error.code ?? error.status}: ${error.message})`,
      'Check WHATSAPP_PHONE_NUMBER_ID, and that the token\'s app and business own that number.',
    );
  }
  const name = number.verified_name ? ` "${number.verified_name}"` : '';
  const quality = number.quality_rating ? `, quality ${number.quality_rating}` : '';
  const detail = `token accepted: sending as ${number.display_phone_number ?? phoneId}${name}${quality}`;
  const missing = [!secret && 'WHATSAPP_APP_SECRET', !verify && 'WHATSAPP_VERIFY_TOKEN'].filter(Boolean).join(' and ');
  if (missing) return warn(`${detail}; but ${missing} not set, so the webhook refuses Meta`, 'Set WHATSAPP_APP_SECRET (App settings → Basic) and a WHATSAPP_VERIFY_TOKEN of your choosing, the same one you enter in Meta\'s webhook settings.');
  return pass(detail);
};

/** Meta's two requests to the served webhook: the verification, and a signed POST (an empty batch, harmless). */
export const checkCloudWebhook = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { publicBaseUrl: base, whatsappAppSecret: secret, whatsappVerifyToken: verify, whatsappWebhookPath: path } = ctx.config;
  if (!base || !secret || !verify) {
    const missing = [!base && 'PUBLIC_BASE_URL', !secret && 'WHATSAPP_APP_SECRET', !verify && 'WHATSAPP_VERIFY_TOKEN'].filter((name): name is string => Boolean(name));
    return skip(`needs ${inWords(missing)}`);
  }
  const url = `${trimBase(base)}${path}`;
  const challenge = randomBytes(6).readUIntBE(0, 6).toString();
  const fix = 'Start the server (`vidbot serve`) with the same WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN, reachable at PUBLIC_BASE_URL.';
  try {
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verify, 'hub.challenge': challenge });
    const verified = await ctx.fetch(`${url}?${query}`, { signal: AbortSignal.timeout(ctx.timeoutMs) });
    const echoed = await verified.text();
    if (verified.status !== 200 || echoed !== challenge) return fail(`${url} answered Meta's verification with ${verified.status}, not the challenge`, fix);
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const posted = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': cloudSignature(secret, body) },
      body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    await posted.body?.cancel();
    if (posted.status !== 200) return fail(`${url} refused a request signed with WHATSAPP_APP_SECRET (${posted.status})`, fix);
  } catch (error) {
    return fail(`could not reach ${url}: ${systemCode(error) ?? messageOf(error)}`, fix);
  }
  return pass(`${url} answers Meta's verification and accepts its signature: paste it as the callback URL`);
};
