import { type CheckOutcome, type DoctorContext, fail, originOf, pass, skip } from '../types.ts';
import { serviceFailure } from './service-errors.ts';

/** Retrieves OPENAI_MODEL with the official SDK: OPENAI_API_KEY is accepted and may use that model. */
export const checkOpenAI = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { openaiApiKey: apiKey, openaiModel: model, openaiBaseUrl, polish } = ctx.config;
  if (!apiKey) return skip('not configured: prompts are used as written (no polish)');
  const sdk = await import('openai');
  const client = new sdk.OpenAI({ apiKey, baseURL: openaiBaseUrl, timeout: ctx.timeoutMs, maxRetries: 0, logLevel: 'off' });
  try {
    await client.models.retrieve(model);
  } catch (error) {
    const status = error instanceof sdk.APIError && typeof error.status === 'number' ? error.status : undefined;
    if (status === 404) {
      return fail(`OpenAI accepted OPENAI_API_KEY but has no model OPENAI_MODEL=${model} for it (404)`, 'Set OPENAI_MODEL to a model your key can use (default gpt-4.1-mini).');
    }
    const text = error instanceof sdk.APIError ? (error.error as { message?: string } | undefined)?.message : undefined;
    return serviceFailure({
      service: 'OpenAI',
      variables: 'OPENAI_API_KEY',
      origin: originOf(openaiBaseUrl, 'the OpenAI API'),
      baseVariable: 'OPENAI_BASE_URL',
      status,
      error,
      ...(text === undefined ? {} : { text }),
    });
  }
  const used = polish ? '' : ' (VIDBOT_POLISH=false: not used)';
  return pass(`key accepted; model ${model} available${used}`);
};
