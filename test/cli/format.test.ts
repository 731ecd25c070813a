import { describe, expect, it } from 'vitest';
import { deliveryText, madeByText } from '../../src/cli/format.ts';

describe('madeByText', () => {
  it('names the provider and the model, then the run time and the cost when known', () => {
    expect(madeByText({ provider: 'replicate', model: 'minimax/video-01', runSec: 3.2, cost: 0.5 })).toBe('replicate minimax/video-01, ran 3.2 s, cost 0.50');
    expect(madeByText({ provider: 'cog', model: 'my-model' })).toBe('cog my-model');
  });

  it('says a model named after its provider alone, and shortens a long model to the width given', () => {
    expect(madeByText({ provider: 'local', model: 'local-preview', cost: 0 })).toBe('local-preview, cost 0.00');
    expect(madeByText({ provider: 'fal', model: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video' }, 20)).toBe('fal-ai/kling-video/…');
  });
});

describe('deliveryText', () => {
  it("says the channel's last word on a result, with the fallback that carried it and the channel's error code", () => {
    expect(deliveryText({ status: 'delivered' })).toBe('delivered');
    expect(deliveryText({ status: 'failed', fallback: 'link', errorCode: '63019' })).toBe('failed as link (63019)');
  });
});
