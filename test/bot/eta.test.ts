/** The acknowledgement's "ready in ...": the rounds of work ahead of a task, counting the workers that are free. */
import { describe, expect, it } from 'vitest';
import { ackReply } from '../../src/lib/bot/admission.ts';
import { estimateReadySeconds } from '../../src/lib/tasks/eta.ts';

describe('estimateReadySeconds', () => {
  it('is one run for a task a free worker takes at once, and a round more for each turn of the busy ones', () => {
    // One worker: idle, the next job is ready after its own run; busy, after the running one and its own.
    expect(estimateReadySeconds(1, 1, 120, 0)).toBe(120);
    expect(estimateReadySeconds(1, 1, 120, 1)).toBe(240);
    expect(estimateReadySeconds(3, 1, 120, 1)).toBe(480);
    // Four workers, one busy: three jobs start at once, the fourth waits a round.
    expect(estimateReadySeconds(3, 4, 60, 1)).toBe(60);
    expect(estimateReadySeconds(4, 4, 60, 1)).toBe(120);
    // Running now, and unknown business (every worker counted busy, as before).
    expect(estimateReadySeconds(0, 2, 60, 2)).toBe(60);
    expect(estimateReadySeconds(1, 2, 60)).toBe(120);
  });

  it("is what the ack says: an idle bot's next video is about one run away, not two", () => {
    const basis = { runSeconds: 120, workers: 2 };
    expect(ackReply('t1', 1, { ...basis, running: 0 }, {}).text).toContain("📋 You're next in line. ⏱️ Ready in about 2 min.");
    // One of two workers busy: it may be this sender's own job, which holds their next one back.
    expect(ackReply('t1', 1, { ...basis, running: 1 }, {}).text).toContain('⏱️ Ready in about 4 min.');
    expect(ackReply('t1', 2, { ...basis, running: 0 }, {}).text).toContain('⏱️ Ready in about 4 min.');
  });
});
