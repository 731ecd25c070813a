import { describe, expect, it } from 'vitest';
import { vidbotError } from '../../src/lib/errors.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { createServerMetrics } from '../../src/server/metrics.ts';
import { makeVidbot, waitFor } from '../helpers/vidbot.ts';

const failing: VideoProvider = {
  name: 'broken',
  defaultModel: 'broken-1',
  capabilities: () => ({ imageToVideo: false, ai: true }),
  generate: () => Promise.reject(vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', 'This model cannot do that.')),
};

describe('server metrics from the workers', () => {
  it('counts stage durations, job outcomes and failures by code', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    const broken = await makeVidbot({}, { overrides: { provider: failing } });
    try {
      const metrics = createServerMetrics({ queue: vidbot.queue, processMetrics: false });
      metrics.watchQueue(broken.vidbot.queue);
      const worker = vidbot.startWorkers({ concurrency: 1, onEvent: (_taskId, event) => metrics.observePipeline(event) });
      const brokenWorker = broken.vidbot.startWorkers({ concurrency: 1 });
      const { task } = await vidbot.submitTask({ prompt: 'a metered fox' });
      await broken.vidbot.submitTask({ prompt: 'an impossible fox' });
      await waitFor(async () => (await vidbot.store.getTask(task.taskId))?.status === 'done', 60_000);
      const text = await waitFor(async () => {
        const current = await metrics.text();
        return current.includes('vidbot_job_failures_total{code="VIDBOT_CAPABILITY_UNSUPPORTED"} 1') ? current : undefined;
      });
      await worker.close();
      await brokenWorker.close();
      for (const stage of ['polish', 'generate', 'compress', 'publish']) {
        expect(text).toContain(`vidbot_stage_duration_seconds_count{stage="${stage}"} 1`);
      }
      expect(text).toContain('vidbot_jobs_total{outcome="failed"} 1');
      expect(text).toContain('vidbot_queue_jobs{state="completed"} 1');
    } finally {
      await broken.cleanup();
      await cleanup();
    }
  });
});
