/** The acknowledgement's "ready in ...": the rounds of work ahead of a task, counting the workers that are free. */
import { describe, expect, it } from 'vitest';
import { ackReply } from '../../src/lib/bot/admission.ts';
import { estimateReadySeconds, readySecondsInLine, secondsLeft, standingInLine } from '../../src/lib/tasks/eta.ts';

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
    // Nothing ahead and every worker idle: it does not stand in line, it starts.
    expect(ackReply('t1', 1, { ...basis, running: 0, workersRun: true }, {}).text).toContain('⚙️ Starting on it now. ⏱️ Ready in about 2 min.');
    // Where no worker is known to run (serve --no-workers without Redis), nothing starts at once: it waits first in line.
    expect(ackReply('t1', 1, { ...basis, running: 0 }, {}).text).toContain("📋 You're next in line.");
    // One of two workers busy: it may be this sender's own job, which holds their next one back.
    expect(ackReply('t1', 1, { ...basis, running: 1 }, {}).text).toContain("📋 You're next in line. ⏱️ Ready in about 4 min.");
    expect(ackReply('t1', 2, { ...basis, running: 0 }, {}).text).toContain('⏱️ Ready in about 4 min.');
    // Workers paused (the operator's p): nothing starts until they resume, so no time is promised (it said "Ready in under a minute").
    const paused = ackReply('t1', 2, { ...basis, running: 0, workersRun: false, paused: true }, {}).text;
    expect(paused).toContain("📋 You're #2 in line.");
    expect(paused).not.toContain('Ready in');
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

describe('standingInLine (the ack, which reads the line at most every second)', () => {
  it('gives jobs starting together distinct places, in line order, and orders without a basis for time', () => {
    const idle = { waiting: [{ taskId: 'a1', sender: 'a' }], running: [] };
    // Two idle workers take a's and b's at once: b's is #2 (a's is ahead of it), and starts now.
    expect(standingInLine({ taskId: 'b1', sender: 'b', ahead: 1, line: idle, workers: 2 })).toEqual({ place: 2, startsNow: true });
  });

  const line = (waiting: string[], running: { sender: string; elapsedSeconds: number }[] = []) => ({
    waiting: waiting.map((sender, index) => ({ taskId: `w${index}`, sender })),
    running,
  });

  it("starts a job behind another sender's backlog at once, when a worker is free for it", () => {
    // x runs one job and has four more waiting; of two workers one is free, and x's jobs run one at a time.
    const standing = standingInLine({ taskId: 'b1', sender: 'b', ahead: 4, line: line(['x', 'x', 'x', 'x'], [{ sender: 'x', elapsedSeconds: 10 }]), workers: 2, runSeconds: 60 });
    expect(standing).toEqual({ place: 1, startsNow: true, readySeconds: 60 });
    // The count alone would have said "#5 in line, about 4 min".
    expect(ackReply('b1', 5, { runSeconds: 60, workers: 2, running: 1 }, {}).text).toContain("📋 You're #5 in line. ⏱️ Ready in about 4 min.");
    expect(ackReply('b1', 5, { runSeconds: 60, workers: 2, running: 1, line: line(['x', 'x', 'x', 'x'], [{ sender: 'x', elapsedSeconds: 10 }]) }, {}, { sender: 'b' }).text).toContain(
      '⚙️ Starting on it now. ⏱️ Ready in about 1 min.',
    );
  });

  it('does not start a job at once on a worker whose job overran its estimate: it may end any moment, but has not', () => {
    // One worker, its job 90 s into a usual 60: the next is ready about one run after that job ends, and waits for it.
    const overran = line([], [{ sender: 'x', elapsedSeconds: 90 }]);
    expect(standingInLine({ taskId: 'b1', sender: 'b', ahead: 0, line: overran, workers: 1, runSeconds: 60 })).toEqual({ place: 1, startsNow: false, readySeconds: 60 });
    expect(ackReply('b1', 1, { runSeconds: 60, workers: 1, running: 1, workersRun: true, line: overran }, {}, { sender: 'b' }).text).toContain("📋 You're next in line.");
    // Two workers, one idle: the first waiting takes it, the next waits for the other.
    const oneIdle = line(['a'], [{ sender: 'x', elapsedSeconds: 90 }]);
    expect(standingInLine({ taskId: 'b1', sender: 'b', ahead: 1, line: oneIdle, workers: 2, runSeconds: 60 }).startsNow).toBe(false);
    expect(standingInLine({ taskId: 'a1', sender: 'a', ahead: 0, line: line([], [{ sender: 'x', elapsedSeconds: 90 }]), workers: 2, runSeconds: 60 }).startsNow).toBe(true);
  });

  it("keeps a job behind its sender's own, however many workers are free", () => {
    // a's first job has run 10 s of 60, its second waits: the third starts once both are done.
    expect(standingInLine({ taskId: 'a3', sender: 'a', ahead: 1, line: line(['a'], [{ sender: 'a', elapsedSeconds: 10 }]), workers: 4, runSeconds: 60 })).toEqual({
      place: 2,
      startsNow: false,
      readySeconds: 170,
    });
  });

  it('counts jobs queued since the line was read, and holds a worker and the sender for those that started since', () => {
    // Read empty; since then this process queued a's first, and others queued two more (senders not known here).
    expect(standingInLine({ taskId: 'a2', sender: 'a', ahead: 3, line: line([]), since: [{ taskId: 'a1', sender: 'a' }], workers: 2, runSeconds: 60 })).toEqual({
      place: 4,
      startsNow: false,
      readySeconds: 180,
    });
    // Read with x and y waiting, the count says one waits: x has started since, and holds the only worker.
    expect(standingInLine({ taskId: 'c1', sender: 'c', ahead: 1, line: line(['x', 'y']), workers: 1, runSeconds: 60 })).toEqual({ place: 2, startsNow: false, readySeconds: 180 });
    // a's three prompts within a second, idle workers: the first started at once, the second waits for it, the third for both.
    const a1 = { taskId: 'a1', sender: 'a' };
    const a2 = { taskId: 'a2', sender: 'a' };
    expect(standingInLine({ taskId: 'a2', sender: 'a', ahead: 0, line: line([]), since: [a1], workers: 2, runSeconds: 60 })).toEqual({ place: 1, startsNow: false, readySeconds: 120 });
    expect(standingInLine({ taskId: 'a3', sender: 'a', ahead: 1, line: line([]), since: [a1, a2], workers: 2, runSeconds: 60 })).toEqual({ place: 2, startsNow: false, readySeconds: 180 });
  });

  it('counts only the jobs listed before a job already in line (/status), not those behind it', () => {
    // Two workers busy 50 s more; a's two and c's three wait. a's second waits for a's first, whatever c's do.
    const busy = line(['a', 'a', 'c', 'c', 'c'], [{ sender: 'x', elapsedSeconds: 10 }, { sender: 'y', elapsedSeconds: 10 }]);
    expect(standingInLine({ taskId: 'w1', sender: 'a', ahead: 1, line: busy, workers: 2, runSeconds: 60 })).toEqual({ place: 2, startsNow: false, readySeconds: 170 });
  });

  it('leaves out the job itself when the line was read after it was queued', () => {
    const withItself = { waiting: [{ taskId: 'x1', sender: 'x' }, { taskId: 'b1', sender: 'b' }], running: [] };
    expect(standingInLine({ taskId: 'b1', sender: 'b', ahead: 1, line: withItself, workers: 2, runSeconds: 60 })).toEqual({ place: 2, startsNow: true, readySeconds: 60 });
    // Or queued by this process since, and listed by the read too.
    const b1 = { taskId: 'b1', sender: 'b' };
    expect(standingInLine({ taskId: 'b2', sender: 'b', ahead: 1, line: { waiting: [b1], running: [] }, since: [b1], workers: 2, runSeconds: 60 })).toEqual({
      place: 2,
      startsNow: false,
      readySeconds: 120,
    });
  });
});

describe('secondsLeft (a running job: the progress message and the dashboard)', () => {
  it('is the usual run time less what it has run, then what its own percent says from 10 % on', () => {
    expect(secondsLeft(20, 60)).toBe(40);
    expect(secondsLeft(90, 60, 75)).toBe(30);
    expect(secondsLeft(90, 60, 5)).toBeUndefined();
    expect(secondsLeft(90, 60)).toBeUndefined();
    expect(secondsLeft(30, undefined, 50)).toBe(30);
    expect(secondsLeft(0, undefined, 50)).toBeUndefined();
  });
});
