import { describe, expect, it } from 'vitest';
import { clock } from '../../src/cli/dashboard/format.ts';
import { initialState, moveSelection } from '../../src/cli/dashboard/state.ts';
import { failedRows, machineLabels, medianSeconds, orderedRows, perMinute, selectedFailed, sessionCounts, stopSummary, workersText } from '../../src/cli/dashboard/view.ts';
import { JOB, MACHINE, NOW, T0, across, apply, busy, task } from './fixtures.ts';

const rowOf = (jobId: string, state = busy) => state.jobs.find((job) => job.jobId === jobId);

describe('the dashboard state', () => {
  it('keeps one row per job, with the prompt and sender from the open tasks and the status from the queue', () => {
    expect(rowOf(JOB.storm)).toMatchObject({ status: 'running', prompt: 'a lighthouse in a storm, waves crashing over the rocks', sender: 'whatsapp:+447700900123', stage: 'generate', percent: 62 });
    expect(rowOf(JOB.forest)).toMatchObject({ status: 'queued', prompt: 'a forest of tall pines in the fog' });
    expect(rowOf(JOB.beach)).toMatchObject({ status: 'done', durationMs: 42_000, madeBy: 'fal', cost: 0.35 });
    expect(rowOf(JOB.moon)).toMatchObject({ status: 'failed', error: 'The model refused this prompt.\nmore detail' });
  });

  it('logs who made each video and what it cost: a failover shows which provider took it', () => {
    expect(busy.log.find((entry) => entry.text.includes('made by'))).toEqual({
      ts: T0 + 40_000,
      level: 'info',
      text: 'bea0bea0 "waves on a beach" made by fal-ai/kling-video/v2.5-turbo/pro/text-to-video, cost 0.35',
    });
    const free = apply([{ type: 'made', jobId: JOB.storm, provider: 'local', model: 'local-preview', ts: T0 + 57_000 }], busy);
    expect(rowOf(JOB.storm, free)).toMatchObject({ status: 'running', madeBy: 'local' });
    expect(rowOf(JOB.storm, free)?.cost).toBeUndefined();
    expect(free.log.at(-1)?.text).toBe('5757e757 "a lighthouse in a storm, waves crashing over the rocks" made by local-preview');
  });

  it('counts exactly the rows it lists', () => {
    const counts = sessionCounts(busy);
    expect(counts).toEqual({ queued: 2, retrying: 1, running: 3, done: 1, failed: 1, canceled: 0, unlisted: 0 });
    const byStatus = (status: string) => busy.jobs.filter((job) => job.status === status).length;
    expect([counts.queued, counts.retrying, counts.running, counts.done, counts.failed]).toEqual(['queued', 'retrying', 'running', 'done', 'failed'].map(byStatus));
  });

  it('shows a retried job waiting, with nothing left from the failed attempt, and logs the retry with its time', () => {
    const fox = rowOf(JOB.fox);
    expect(fox).toMatchObject({ status: 'retrying', attempt: 2, retryAt: T0 + 63_000 });
    expect(fox?.stage).toBeUndefined();
    expect(fox?.percent).toBeUndefined();
    // A progress event of the failed attempt that arrives late changes nothing.
    const late = apply([{ type: 'stage', jobId: JOB.fox, stage: 'generate', state: 'progress', percent: 45, ts: T0 + 55_100 }], busy);
    expect(rowOf(JOB.fox, late)).toEqual(fox);
    const line = busy.log.find((entry) => entry.text.includes('attempt 1 failed'));
    expect(line).toEqual({ ts: T0 + 55_000, level: 'warn', text: '0f0f0f0f attempt 1 failed: ffmpeg failed rendering the local preview: exit code 1; retry in 8s' });
    expect(clock(line?.ts ?? 0)).toMatch(/^\d\d:\d\d:\d\d$/);
    const again = apply([{ type: 'job', kind: 'active', jobId: JOB.fox, attempt: 2, ts: T0 + 64_000 }], busy);
    expect(rowOf(JOB.fox, again)).toMatchObject({ status: 'running', attempt: 2, startedAt: T0 + 64_000 });
    expect(again.log.at(-1)?.text).toBe('0f0f0f0f "a fox running through the snow at night" started (attempt 2)');
  });

  it('orders running, retrying, queued, then finished rows, with ETAs from recent run times and from when each running job should end', () => {
    const rows = orderedRows(busy, NOW);
    expect(rows.map(({ row }) => row.jobId)).toEqual([JOB.storm, JOB.neon, JOB.sunset, JOB.fox, JOB.forest, JOB.pines, JOB.beach, JOB.moon]);
    const eta = Object.fromEntries(rows.map((shown) => [shown.row.jobId, shown.etaSeconds]));
    expect(eta[JOB.storm]).toBe(90 - 13); // started 13 s ago, 90 s a run
    expect(eta[JOB.fox]).toBe(6 + 90); // due in 6 s, then a run
    // Three workers, all busy: the first in line starts when storm's ends (77 s), the next when neon's does (78 s).
    expect(eta[JOB.forest]).toBe(77 + 90);
    expect(eta[JOB.pines]).toBe(78 + 90);
    expect(eta[JOB.beach]).toBeUndefined();
    expect(rows.find(({ row }) => row.jobId === JOB.fox)?.retryInSeconds).toBe(6);
  });

  it("tells a running job past the usual run time its time left from the generation's percent, and no time where nothing tells", () => {
    const later = NOW + 100_000;
    const eta = Object.fromEntries(orderedRows(busy, later).map((shown) => [shown.row.jobId, shown.etaSeconds]));
    // storm has run 113 s of a usual 90 and is 62 % through generating: 113 * 38 / 62 s left.
    expect(eta[JOB.storm]).toBeCloseTo((113 * 38) / 62, 5);
    // neon is compressing (its percent is that stage's, not the job's): past the usual, no time to tell.
    expect(eta[JOB.neon]).toBeUndefined();
  });

  it('gives queued jobs no ETA where no worker runs here (serve --no-workers): nothing to start them from', () => {
    const webOnly = apply([{ type: 'workers', running: 0, concurrency: 0, paused: false, ts: NOW }], busy);
    const rows = orderedRows(webOnly, NOW);
    expect(rows.find(({ row }) => row.jobId === JOB.forest)?.etaSeconds).toBeUndefined();
    expect(rows.find(({ row }) => row.jobId === JOB.storm)?.etaSeconds).toBe(90 - 13);
    // Paused, or stopping: nothing starts, so a waiting job has no time ahead to show; running ones still do.
    for (const still of [apply([{ type: 'workers', running: 3, concurrency: 3, paused: true, ts: NOW }], busy), apply([{ type: 'stopping', graceSec: 10, ts: NOW }], busy)]) {
      const shown = orderedRows(still, NOW);
      expect(shown.find(({ row }) => row.jobId === JOB.forest)?.etaSeconds).toBeUndefined();
      expect(shown.find(({ row }) => row.jobId === JOB.storm)?.etaSeconds).toBe(90 - 13);
    }
  });

  it('goes by the run times of the jobs it saw end where it has no store to read them from (status --watch)', () => {
    const remote = { ...busy, runSeconds: undefined };
    const median = medianSeconds(remote) ?? Number.NaN;
    expect(median).toBeGreaterThan(0);
    const eta = Object.fromEntries(orderedRows(remote, NOW).map((shown) => [shown.row.jobId, shown.etaSeconds]));
    expect(eta[JOB.storm]).toBeCloseTo(Math.max(0, median - 13), 5);
    expect(eta[JOB.forest]).toBeDefined();
  });

  it('adds queued jobs from the task list, and lets a list read before an event not undo it', () => {
    const stale = apply([{ type: 'tasks', ts: NOW, tasks: [task(JOB.storm, 'a lighthouse in a storm, waves crashing over the rocks', 'whatsapp:+447700900123', 'queued', T0 - 8000)] }], busy);
    expect(rowOf(JOB.storm, stale)?.status).toBe('running');
    // Queued rows whose task is no longer open are gone (canceled, or run elsewhere); finished rows stay.
    expect(rowOf(JOB.forest, stale)).toBeUndefined();
    expect(rowOf(JOB.beach, stale)?.status).toBe('done');
  });

  it('drops a running row only the task list showed (another process runs it) once its task is no longer open', () => {
    const elsewhere = apply([{ type: 'tasks', ts: T0, tasks: [task('remote-job', 'a cat on a roof', 'whatsapp:+15550008888', 'processing', T0)] }]);
    expect(rowOf('remote-job', elsewhere)).toMatchObject({ status: 'running', prompt: 'a cat on a roof' });
    expect(rowOf('remote-job', apply([{ type: 'tasks', ts: T0 + 1000, tasks: [] }], elsewhere))).toBeUndefined();
    // Once this process's events speak for it, only they end it.
    const local = apply([{ type: 'job', kind: 'active', jobId: 'remote-job', attempt: 1, ts: T0 + 500 }, { type: 'tasks', ts: T0 + 1000, tasks: [] }], elsewhere);
    expect(rowOf('remote-job', local)).toMatchObject({ status: 'running', prompt: 'a cat on a roof' });
  });

  it('counts a failed job that is retried once, under its new job', () => {
    const retried = apply([{ type: 'tasks', ts: NOW, tasks: [{ ...task(`${JOB.moon}#2`, 'the moon over a desert', 'whatsapp:+15550007777', 'queued', T0), taskId: JOB.moon }] }], busy);
    expect(rowOf(JOB.moon, retried)).toBeUndefined();
    expect(rowOf(`${JOB.moon}#2`, retried)).toMatchObject({ status: 'queued', prompt: 'the moon over a desert' });
    expect(sessionCounts(retried).failed).toBe(0);
  });

  it('logs pauses and resumes with their times, once each', () => {
    const paused = apply(
      [
        { type: 'workers', running: 3, concurrency: 3, paused: true, ts: NOW },
        { type: 'workers', running: 3, concurrency: 3, paused: true, ts: NOW + 500 },
        { type: 'workers', running: 2, concurrency: 3, paused: false, ts: NOW + 9000 },
      ],
      busy,
    );
    expect(paused.log.slice(-2)).toEqual([
      { ts: NOW, level: 'warn', text: 'Workers paused: running jobs go on, no new job starts.' },
      { ts: NOW + 9000, level: 'info', text: 'Workers resumed.' },
    ]);
  });

  it('says on stopping what happens to the running jobs, and marks those handed back', () => {
    const stopping = apply([{ type: 'stopping', graceSec: 10, ts: NOW }], busy);
    expect(stopSummary(stopping)).toBe('Stopping: 3 running jobs get up to 10 s to finish; no new job starts.');
    const one = stopping.stop === undefined ? stopping : { ...stopping, stop: { ...stopping.stop, running: stopping.stop.running.slice(0, 1) } };
    expect(stopSummary(one)).toBe('Stopping: 1 running job gets up to 10 s to finish; no new job starts.');
    // Stopping pauses the workers: that is no pause of the user's.
    const paused = apply([{ type: 'workers', running: 3, concurrency: 3, paused: true, ts: NOW + 100 }], stopping);
    expect(paused.log).toEqual(stopping.log);
    const stopped = apply(
      [
        { type: 'job', kind: 'completed', jobId: JOB.sunset, durationMs: 3000, ts: NOW + 2000 },
        { type: 'stopped', handedBack: 2, ts: NOW + 10_000 },
      ],
      paused,
    );
    // The two queued all along and the one waiting to retry are said too, apart from the two handed back.
    expect(stopSummary(stopped)).toBe('Stopped. 1 job finished; 2 jobs were stopped and went back to the queue; they resume on the next start. 3 jobs wait in the queue.');
    expect(rowOf(JOB.storm, stopped)).toMatchObject({ status: 'queued', handedBack: true });
    expect(rowOf(JOB.storm, stopped)?.percent).toBeUndefined();
    expect(sessionCounts(stopped)).toMatchObject({ running: 0, queued: 4, done: 2 });
  });

  it('words the other endings of a stop', () => {
    const stop = (events: Parameters<typeof apply>[0], from = busy) => stopSummary(apply([{ type: 'stopping', graceSec: 10, ts: NOW }, ...events], from));
    const finishAll = [JOB.storm, JOB.neon, JOB.sunset].map((jobId) => ({ type: 'job' as const, kind: 'completed' as const, jobId, durationMs: 1, ts: NOW + 1 }));
    expect(stop([...finishAll, { type: 'stopped', handedBack: 0, ts: NOW + 2 }])).toBe('Stopped. All 3 running jobs finished first. 3 jobs wait in the queue.');
    expect(stop([{ type: 'stopped', handedBack: 0, ts: NOW + 2 }], initialState)).toBe('Stopped. No job was running.');
    expect(stop([{ type: 'stopped', handedBack: 1, ts: NOW + 2 }], apply([{ type: 'job', kind: 'active', jobId: 'x', attempt: 1, ts: T0 }]))).toBe(
      'Stopped. 1 job was stopped and went back to the queue; it resumes on the next start.',
    );
    expect(stop([{ type: 'stopped', handedBack: null, ts: NOW + 2 }])).toBe('Stopped. This server ran no jobs; its queue is worked elsewhere.');
    // The queue's own count when serve could read it: jobs from before the dashboard started, or sent
    // as it stopped, are counted too (the dashboard had seen 3; 8 waited).
    expect(stop([...finishAll, { type: 'stopped', handedBack: 0, waiting: 8, ts: NOW + 2 }])).toBe('Stopped. All 3 running jobs finished first. 8 jobs wait in the queue.');
  });

  it('counts queued jobs it cannot list (a remote viewer gets no task lists) from the queue', () => {
    const remote = apply([
      { type: 'counts', counts: { waiting: 4, delayed: 1, active: 1, completed: 30, failed: 2, canceled: 0 }, ts: T0 },
      { type: 'job', kind: 'active', jobId: JOB.fox, attempt: 1, ts: T0 },
    ]);
    expect(sessionCounts(remote)).toMatchObject({ queued: 5, unlisted: 5, running: 1, done: 0 });
  });

  it('moves the retry selection among failed jobs, newest first, and finds throughput and the median', () => {
    const two = apply([{ type: 'job', kind: 'failed', jobId: JOB.forest, error: 'no', ts: NOW }], busy);
    expect(failedRows(two).map((job) => job.jobId)).toEqual([JOB.forest, JOB.moon]);
    expect(selectedFailed(two)?.jobId).toBe(JOB.forest);
    expect(selectedFailed(moveSelection(two, 1, 2))?.jobId).toBe(JOB.moon);
    expect(selectedFailed(moveSelection(two, -1, 2))?.jobId).toBe(JOB.moon);
    expect(perMinute(busy, NOW)).toBe(1);
    expect(perMinute(busy, T0 + 104_000)).toBe(0);
    expect(medianSeconds(busy)).toBe(42);
  });

  it("fails a done job whose video a receipt failed later, for `r` to send again, and marks it done when it arrived after all", () => {
    const undelivered = apply([{ type: 'job', kind: 'undelivered', jobId: JOB.beach, error: 'The channel reported the result failed (error 63016).', ts: NOW }], busy);
    expect(rowOf(JOB.beach, undelivered)).toMatchObject({ status: 'failed', error: 'The channel reported the result failed (error 63016).', finishedAt: NOW });
    expect(selectedFailed(undelivered)?.jobId).toBe(JOB.beach);
    expect(sessionCounts(undelivered)).toMatchObject({ done: 0, failed: 2 });
    expect(undelivered.log.at(-1)).toEqual({ ts: NOW, level: 'error', text: 'bea0bea0 "waves on a beach" not delivered: The channel reported the result failed (error 63016).' });
    // r sends it again at once (no task list ever shows the new job): the failed row gives way to it, counted once.
    const resent = apply(
      [
        { type: 'job', kind: 'active', jobId: `${JOB.beach}#2`, attempt: 1, ts: NOW + 1_000 },
        { type: 'job', kind: 'completed', jobId: `${JOB.beach}#2`, durationMs: 20, ts: NOW + 1_020 },
      ],
      undelivered,
    );
    expect(rowOf(JOB.beach, resent)).toBeUndefined();
    expect(rowOf(`${JOB.beach}#2`, resent)).toMatchObject({ status: 'done' });
    expect(sessionCounts(resent)).toMatchObject({ done: 1, failed: 1 });
    expect(selectedFailed(resent)?.jobId).toBe(JOB.moon);
    const arrived = apply([{ type: 'job', kind: 'delivered', jobId: JOB.moon, ts: NOW }], busy);
    expect(rowOf(JOB.moon, arrived)).toMatchObject({ status: 'done' });
    expect(rowOf(JOB.moon, arrived)?.error).toBeUndefined();
    expect(arrived.log.at(-1)?.text).toMatch(/^\w{8} ("[^"]+" )?delivered after all$/);
  });

  it('keeps finished rows bounded without losing them from the counts', () => {
    const many = apply(Array.from({ length: 205 }, (_, n) => ({ type: 'job' as const, kind: 'completed' as const, jobId: `job-${n}`, durationMs: 1, ts: T0 + n })));
    expect(many.jobs).toHaveLength(200);
    expect(many.dropped.done).toBe(5);
    expect(sessionCounts(many).done).toBe(205);
  });

  it('keeps where each job runs, and who it is for from its start event when there is no task list (a remote viewer)', () => {
    expect(rowOf(JOB.fox, across)).toMatchObject({ status: 'running', origin: MACHINE.a, prompt: 'a fox running through the snow at night', sender: 'whatsapp:+15550001111', percent: 40 });
    expect(rowOf(JOB.neon, across)).toMatchObject({ status: 'done', origin: MACHINE.b, madeBy: 'replicate', cost: 0.5 });
    expect(across.log.map((entry) => entry.text)).toContain('0f0f0f0f "a fox running through the snow at night" started on worker-a');
    // Two worker processes on one host: the log names the process, as the table does.
    const oneHost = apply([
      { type: 'workers', running: 1, concurrency: 3, paused: false, processes: 2, machines: 1, ts: T0 },
      { type: 'job', kind: 'active', jobId: JOB.fox, attempt: 1, ts: T0 + 1000, origin: { host: 'vm', pid: 20367 } },
    ]);
    expect(oneHost.log.at(-1)?.text).toMatch(/ started on vm:20367$/);
    // A retry runs elsewhere: the row follows it. The task list's whole prompt is not replaced by the event's short one.
    const listed = apply([{ type: 'tasks', ts: T0 + 40_000, tasks: [task(JOB.fox, 'a fox running through the snow at night, in the style of an old film', 'whatsapp:+15550001111', 'processing', T0)] }], across);
    const moved = apply([{ type: 'job', kind: 'active', jobId: JOB.fox, attempt: 2, ts: T0 + 41_000, origin: MACHINE.b, prompt: 'a fox running through the snow at night' }], listed);
    expect(rowOf(JOB.fox, moved)).toMatchObject({ origin: MACHINE.b, prompt: 'a fox running through the snow at night, in the style of an old film' });
  });

  it('names machines only when jobs ran in more than one process, with the pid for processes sharing a host', () => {
    const label = machineLabels(across);
    expect(across.jobs.map((row) => label?.(row))).toEqual(expect.arrayContaining(['worker-a', '3f2a9c1b0d7e']));
    expect(machineLabels(busy)).toBeUndefined();
    const oneHost = apply([{ type: 'job', kind: 'active', jobId: JOB.storm, ts: T0 + 7000, origin: { host: 'worker-a', pid: 42 } }], across);
    const labels = oneHost.jobs.map((row) => machineLabels(oneHost)?.(row));
    expect(labels).toEqual(expect.arrayContaining(['worker-a:41', 'worker-a:42', '3f2a9c1b0d7e']));
  });

  it('words the workers of every process heard from', () => {
    expect(workersText(across.workers)).toBe('workers 2/4 on 2 machines');
    expect(workersText({ running: 3, concurrency: 4, paused: false, processes: 2, machines: 1 })).toBe('workers 3/4 in 2 processes');
    expect(workersText({ running: 1, concurrency: 4, paused: false, processes: 2, machines: 2, pausedProcesses: 1 })).toBe('workers 1/4 on 2 machines (1 of 2 paused)');
    expect(workersText({ running: 0, concurrency: 0, paused: false, processes: 0, machines: 0 })).toBe('no worker process heard from');
    expect(workersText({ running: 1, concurrency: 2, paused: false })).toBe('workers 1/2');
    expect(workersText({ running: 0, concurrency: 0, paused: false })).toBe('no workers in this process');
  });
});
