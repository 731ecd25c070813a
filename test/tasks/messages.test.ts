import { describe, expect, it } from 'vitest';
import { vidbotError } from '../../src/lib/errors.ts';
import { userReason } from '../../src/lib/tasks/messages.ts';

describe('userReason', () => {
  it('keeps messages written for the user and the model\'s own reason', () => {
    expect(userReason(vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', 'This model cannot animate photos.'))).toBe('This model cannot animate photos.');
    expect(userReason(vidbotError('VIDBOT_GENERATION_FAILED', 'x', { details: { userMessage: 'the model could not make it (NSFW)' } }))).toBe(
      'the model could not make it (NSFW).',
    );
  });

  it.each([
    ['VIDBOT_FILE_NOT_FOUND', 'Cannot read the first-frame image /var/lib/vidbot/inbound/x.jpg: ENOENT'],
    ['VIDBOT_INPUT_INVALID', 'Replicate refused the inputs for acme/x: input.fps must be an integer'],
    ['VIDBOT_PROVIDER_AUTH', 'Replicate rejected REPLICATE_API_TOKEN (401)'],
    ['VIDBOT_GENERATION_FAILED', "Replicate's output is larger than the download cap (VIDBOT_DOWNLOAD_MAX_BYTES)"],
    ['VIDBOT_PROVIDER_FAILED', 'Replicate answered 502 while checking prediction abc'],
    ['VIDBOT_FFMPEG_FAILED', 'ffmpeg exited with 1: /usr/bin/ffmpeg -i /tmp/run-1/x.mp4'],
  ] as const)('keeps operator details of %s from the user', (code, message) => {
    const reason = userReason(vidbotError(code, message));
    expect(reason).not.toContain('/');
    expect(reason).not.toMatch(/REPLICATE|VIDBOT_|ffmpeg|input\./);
    expect(reason.length).toBeGreaterThan(10);
  });
});
