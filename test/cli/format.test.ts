import { describe, expect, it } from 'vitest';
import { describeTaskInFull } from '../../src/cli/commands/status-task.ts';
import { deliveryText, madeByText } from '../../src/cli/format.ts';
import type { Task } from '../../src/lib/store/port.ts';

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

describe('a task in full (vidbot status <id>)', () => {
  it("prints a stranger's prompt and a service's error without what could redraw the terminal", () => {
    const task: Task = {
      taskId: '01a23583-c748-7493-8525-180d5342dc25',
      prompt: 'a fox \u202Ethgin ta\u202C\u001b[2J',
      sessionId: 'whatsapp:+15550001234',
      from: 'whatsapp:+15550001234',
      options: { provider: 'local', orientation: 'portrait', durationSec: 6, polish: false, useCache: true },
      status: 'failed',
      attempts: 1,
      createdAt: 0,
      updatedAt: 0,
      error: 'the model said \u0007no',
    };
    const lines = describeTaskInFull({ task, job: null }).join('\n');
    expect(lines).toContain('"a fox thgin ta[2J"');
    expect(lines).toContain('the model said no');
    expect(lines).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u202A-\u202E]/);
  });
});
