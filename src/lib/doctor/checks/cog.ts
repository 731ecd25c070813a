import { createCogClient, toCogError } from '../../video-provider/cog/client.ts';
import { readCogInputs } from '../../video-provider/cog/schema.ts';
import { providerChain } from '../../video-provider/registry.ts';
import { type CheckOutcome, type DoctorContext, fail, messageOf, pass, skip, warn } from '../types.ts';

/** The Cog server at VIDBOT_COG_URL answers READY, and its model takes a prompt vidbot can map. */
export const checkCog = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { cogUrl } = ctx.config;
  const inUse = providerChain(ctx.config).includes('cog');
  if (!cogUrl) {
    if (inUse) return fail(`VIDBOT_PROVIDER=${ctx.config.provider} but VIDBOT_COG_URL is not set`, 'Set VIDBOT_COG_URL to the model server, e.g. http://gpu-box:5000.');
    return skip('not configured');
  }
  const client = createCogClient({ url: cogUrl, retry: { retries: 0, attemptTimeoutMs: ctx.timeoutMs } });
  let health: { status?: string; setup?: { logs?: string } };
  try {
    health = await client.health();
  } catch (error) {
    const why = `could not reach the Cog server at ${client.url}: ${messageOf(toCogError(error, 'checking its health'))}`;
    const fix = 'Start the model container (docker run -p 5000:5000 --gpus all <image>) and check VIDBOT_COG_URL.';
    return inUse ? fail(why, fix) : warn(why, fix);
  }
  const state = health.status ?? 'unknown';
  if (state === 'STARTING') return warn('the Cog server is still loading its model (STARTING)', 'Wait for setup to finish, then run `vidbot doctor` again.');
  if (state !== 'READY' && state !== 'BUSY') {
    const logs = health.setup?.logs?.trim().split('\n').at(-1);
    return fail(`the Cog server is ${state}${logs ? `: ${logs.slice(0, 160)}` : ''}`, "Read the container's log; restart it once the cause is fixed.");
  }
  let inputs;
  try {
    inputs = readCogInputs(await client.openapi());
  } catch (error) {
    return fail(`the Cog server's /openapi.json is unusable: ${messageOf(error)}`, 'Serve a model built with Cog (its /openapi.json describes the inputs).');
  }
  if (!inputs.prompt) return fail(`the model takes no prompt (inputs: ${inputs.names.join(', ')})`, 'Serve a text-to-video model.');
  const mapped = [`prompt→${inputs.prompt}`, ...(inputs.image ? [`photo→${inputs.image}`] : []), ...(inputs.duration ? [`seconds→${inputs.duration}`] : []), ...(inputs.aspect ? [`shape→${inputs.aspect}`] : inputs.size ? ['shape→width/height'] : [])];
  return pass(`${state} at ${client.url}; ${mapped.join(', ')}${inUse ? '' : ' (not the provider in use)'}`);
};
