import { AttemptTimeoutError } from '../../http/retry-fetch.ts';
import { providerChain } from '../../video-provider/registry.ts';
import { createReplicateClient, replicateStatus } from '../../video-provider/replicate-client.ts';
import { type CheckOutcome, type DoctorContext, fail, originOf, pass, skip, warn } from '../types.ts';
import { serviceFailure } from './service-errors.ts';

/** REPLICATE_API_BASE_URL may be given with or without the /v1 the SDK expects (as createVidbot reads it). */
const apiRoot = (url: string): string => {
  const parsed = new URL(url);
  return parsed.pathname === '/' ? `${parsed.origin}/v1` : url.replace(/\/+$/, '');
};

/** The body's `detail` from the SDK's ApiError message ("Request to ... failed with status 401 Unauthorized: {...}."). */
const detailOf = (error: unknown): string | undefined => {
  const message = error instanceof Error ? error.message : '';
  const body = message.slice(message.indexOf(': ') + 2).replace(/\.$/, '');
  try {
    const parsed = JSON.parse(body) as { detail?: unknown };
    return typeof parsed.detail === 'string' ? parsed.detail : undefined;
  } catch {
    return undefined;
  }
};

/** `replicate.accounts.current()` with the official SDK: REPLICATE_API_TOKEN is accepted. */
export const checkReplicate = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { replicateApiToken: token, replicateApiBaseUrl, provider, replicateModel } = ctx.config;
  const chain = providerChain(ctx.config);
  if (!token) {
    if (provider !== 'auto' && chain.includes('replicate')) {
      return fail(`VIDBOT_PROVIDER=${provider} but REPLICATE_API_TOKEN is not set`, 'Set REPLICATE_API_TOKEN (from your Replicate account settings), or leave replicate out of VIDBOT_PROVIDER.');
    }
    return skip('not configured: videos come from the local preview renderer (not AI)');
  }
  const client = createReplicateClient({
    apiToken: token,
    ...(replicateApiBaseUrl ? { baseUrl: apiRoot(replicateApiBaseUrl) } : {}),
    retry: { retries: 0, attemptTimeoutMs: ctx.timeoutMs },
  });
  let account: { username: string; type: string };
  try {
    account = await client.accounts.current();
  } catch (error) {
    if (error instanceof AttemptTimeoutError) {
      return warn(`Replicate did not answer within ${Math.round(ctx.timeoutMs / 1000)} s; REPLICATE_API_TOKEN not checked`, 'Check the network (and REPLICATE_API_BASE_URL if you set it), then run `vidbot doctor` again.');
    }
    const detail = detailOf(error);
    return serviceFailure({
      service: 'Replicate',
      variables: 'REPLICATE_API_TOKEN',
      origin: originOf(replicateApiBaseUrl, 'the Replicate API'),
      baseVariable: 'REPLICATE_API_BASE_URL',
      status: replicateStatus(error),
      error,
      ...(detail === undefined ? {} : { text: detail }),
    });
  }
  const used = chain.includes('replicate') ? `; model ${replicateModel}` : ` (VIDBOT_PROVIDER=${provider}: not used)`;
  return pass(`token accepted: ${account.type} ${account.username}${used}`);
};
