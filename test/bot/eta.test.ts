/** The acknowledgement's "ready in ...": the rounds of work ahead of a task, counting the workers that are free. */
import { describe, expect, it } from 'vitest';
import { ackReply } from '../../src/lib/bot/admission.ts';
import { estimateReadySeconds, readySecondsInLine } from '../../src/lib/tasks/eta.ts';

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

describe('readySecondsInLine (the dashboard, which sees each job)', () => {
  it('starts a job on a free worker at once, and the others as the running jobs end', () => {
    // Three workers, one busy for 30 s more: two start now, the third when that job ends.
    expect(readySecondsInLine(['a', 'b', 'c'], 3, 60, [{ sender: 'x', remainingSeconds: 30 }])).toEqual([60, 60, 90]);
    // Nothing running: a round at a time.
    expect(readySecondsInLine(['a', 'b', 'c'], 2, 60, [])).toEqual([60, 60, 120]);
    // A job that overran its estimate may end any moment, not in the past.
    expect(readySecondsInLine(['a'], 1, 60, [{ sender: 'x', remainingSeconds: -20 }])).toEqual([60]);
  });

  it("runs a sender's jobs one at a time: a free worker takes the next sender's job meanwhile", () => {
    // Two workers, one running a's job for 40 s more: a's next waits for it; b's takes the free worker now.
    expect(readySecondsInLine(['a', 'b'], 2, 60, [{ sender: 'a', remainingSeconds: 40 }])).toEqual([100, 60]);
    // a's two queued jobs run one after the other, even with workers free.
    expect(readySecondsInLine(['a', 'a', 'b'], 3, 60, [])).toEqual([60, 120, 60]);
    // A job running elsewhere (more running than workers here) holds its sender, not a worker here.
    // Here the worker frees up at 10 s and takes b's (a is busy till 50 s); a's follows at 70 s.
    expect(readySecondsInLine(['a', 'b'], 1, 60, [{ sender: 'x', remainingSeconds: 10 }, { sender: 'a', remainingSeconds: 50 }])).toEqual([130, 70]);
  });
});
