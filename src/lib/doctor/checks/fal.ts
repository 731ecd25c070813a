import { createFalApi, FalHttpError, FalTransportError } from '../../video-provider/fal/client.ts';
import { AttemptTimeoutError } from '../../http/retry-fetch.ts';
import { providerChain } from '../../video-provider/registry.ts';
import { type CheckOutcome, type DoctorContext, fail, originOf, pass, skip, warn } from '../types.ts';
import { serviceFailure } from './service-errors.ts';

/**
 * FAL_KEY is accepted: one page of fal's list of this account's requests to FAL_MODEL, the same list
 * vidbot reads to find a request whose submit got no clear answer (so that list works too).
 */
export const checkFal = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { falKey, falApiBaseUrl, falModel } = ctx.config;
  if (!falKey) {
    if (providerChain(ctx.config).includes('fal')) return fail(`VIDBOT_PROVIDER=${ctx.config.provider} but FAL_KEY is not set`, 'Set FAL_KEY (from your fal.ai dashboard), or leave fal out of VIDBOT_PROVIDER.');
    return skip('not configured');
  }
  const api = createFalApi({ key: falKey, ...(falApiBaseUrl ? { baseUrl: falApiBaseUrl } : {}), retry: { retries: 0, attemptTimeoutMs: ctx.timeoutMs } });
  const url = new URL(`${api.apiUrl}/v1/models/requests/by-endpoint`);
  url.searchParams.set('endpoint_id', falModel);
  url.searchParams.set('limit', '1');
  let status: number | undefined;
  let error: unknown;
  try {
    const response = await api.fetch(url, { headers: { authorization: `Key ${falKey}`, accept: 'application/json' } });
    status = response.status;
    await response.body?.cancel().catch(() => {});
  } catch (caught) {
    error = caught;
    status = caught instanceof FalHttpError ? caught.status : undefined;
  }
  if (status !== undefined && status >= 200 && status < 300) {
    const chain = providerChain(ctx.config);
    const used = chain[0] === 'fal' ? `; model ${falModel}` : chain.includes('fal') ? `; model ${falModel}, after ${chain.slice(0, chain.indexOf('fal')).join(', ')} (failover)` : ' (not the provider in use)';
    return pass(`FAL_KEY accepted${used}`);
  }
  const original = error instanceof FalTransportError ? error.original : error;
  if (original instanceof AttemptTimeoutError) {
    return warn(`fal did not answer within ${Math.round(ctx.timeoutMs / 1000)} s; FAL_KEY not checked`, 'Check the network (and FAL_API_BASE_URL if you set it), then run `vidbot doctor` again.');
  }
  return serviceFailure({
    service: 'fal',
    variables: 'FAL_KEY',
    origin: originOf(falApiBaseUrl, 'the fal API'),
    baseVariable: 'FAL_API_BASE_URL',
    status,
    error: original ?? new Error(`HTTP ${status}`),
    ...(status === undefined ? {} : { text: `HTTP ${status}` }),
  });
};
