import { type CheckOutcome, type DoctorContext, fail, originOf, pass, skip } from '../types.ts';
import { serviceFailure } from './service-errors.ts';

/**
 * Retrieves OPENAI_MODEL (and OPENAI_TRANSCRIBE_MODEL when voice notes are on) with the official
 * SDK: OPENAI_API_KEY is accepted and may use those models.
 */
export const checkOpenAI = async (ctx: DoctorContext): Promise<CheckOutcome> => {
  const { openaiApiKey: apiKey, openaiModel: model, openaiBaseUrl, polish, voiceNotes, openaiTranscribeModel } = ctx.config;
  if (!apiKey) return skip('not configured: prompts are used as written (no polish); voice notes are off (set OPENAI_API_KEY to transcribe them)');
  const sdk = await import('openai');
  const client = new sdk.OpenAI({ apiKey, baseURL: openaiBaseUrl, timeout: ctx.timeoutMs, maxRetries: 0, logLevel: 'off' });
  try {
    await client.models.retrieve(model);
    if (voiceNotes) {
      const found = await client.models.retrieve(openaiTranscribeModel).then(
        () => true,
        (error: unknown) => (error instanceof sdk.APIError && error.status === 404 ? false : Promise.reject(error)),
      );
      if (!found) {
        return fail(
          `OpenAI has no model OPENAI_TRANSCRIBE_MODEL=${openaiTranscribeModel} for OPENAI_API_KEY (404): voice notes cannot be transcribed`,
          'Set OPENAI_TRANSCRIBE_MODEL to a transcription model your key can use (default gpt-4o-mini-transcribe), or VIDBOT_VOICE_NOTES=false.',
        );
      }
    }
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
  const voice = voiceNotes ? `voice notes on, transcribed by ${openaiTranscribeModel}` : 'voice notes off (VIDBOT_VOICE_NOTES=false)';
  return pass(`key accepted; model ${model} available${used}; ${voice}`);
};
