import { describe, expect, it } from 'vitest';
import { JobTable } from '../../src/cli/dashboard/JobTable.tsx';
import { shortId } from '../../src/cli/dashboard/format.ts';
import { tableColumns } from '../../src/cli/dashboard/layout.ts';
import { machineLabels, orderedRows } from '../../src/cli/dashboard/view.ts';
import { JOB, NOW, across, busy } from './fixtures.ts';
import { lines, renderAt, widest } from './render-at.tsx';

const table = (width: number, selectedJobId?: string) =>
  renderAt(
    width,
    <JobTable rows={orderedRows(busy, NOW)} columns={tableColumns(width)} now={NOW} {...(selectedJobId ? { selectedJobId } : {})} />,
  ).frame();

const rowFor = (frame: string, id: string) => lines(frame).find((line) => line.includes(shortId(id))) ?? '';

describe('JobTable', () => {
  it('labels its columns and shows each job on one line at 80 columns', () => {
    const frame = table(80);
    expect(lines(frame)[0]).toMatch(/^ job\s+sender\s+prompt\s+stage\s+%\s+ETA try$/);
    expect(lines(frame)).toHaveLength(1 + 8);
    expect(widest(frame)).toBeLessThanOrEqual(78);
    expect(rowFor(frame, JOB.storm)).toMatch(/^ 5757e757 \+4477…0123 a lighthouse in a storm, wav…\s+generate\s+62%\s+~1m\s*$/);
    expect(rowFor(frame, JOB.neon)).toMatch(/neon city at night\s+compress\s+25%/);
    expect(rowFor(frame, JOB.sunset)).toMatch(/an ocean sunset with a saili…\s+polish\s+~1m/);
    expect(rowFor(frame, JOB.forest)).toMatch(/a forest of tall pines in th…\s+queued\s+~3m\s*$/);
    // No room for a cost column: a done job's stage says what it cost.
    expect(rowFor(frame, JOB.beach)).toMatch(/waves on a beach\s+done · 0\.35\s*$/);
    expect(rowFor(frame, JOB.moon)).toMatch(/the moon over a desert\s+failed\s*$/);
  });

  it('shows a job waiting to retry with its countdown and next attempt, and no percent from the failed one', () => {
    const row = rowFor(table(80), JOB.fox);
    expect(row).toMatch(/a fox running through the sn…\s+retry in 6s\s+~2m\s+2$/);
    expect(row).not.toMatch(/%/);
  });

  it('adds the full masked sender, a bar and the elapsed time at 150 columns', () => {
    const frame = table(150);
    expect(lines(frame)[0]).toMatch(/^ job\s+sender\s+prompt\s+stage\s+progress\s+elapsed\s+ETA\s+cost try$/);
    expect(widest(frame)).toBeLessThanOrEqual(148);
    expect(rowFor(frame, JOB.storm)).toMatch(/whatsapp:\+4477…0123 a lighthouse in a storm, waves crashing over the rocks\s+generate\s+██████░░░░\s+62%\s+13s\s+~1m/);
    expect(rowFor(frame, JOB.beach)).toMatch(/done\s+42s\s+0\.35\s*$/);
    expect(rowFor(frame, JOB.fox)).not.toMatch(/[█░%]/);
  });

  it('marks the failed job r would retry, and says when rows did not fit', () => {
    const view = renderAt(80, <JobTable rows={orderedRows(busy, NOW).slice(0, 2)} columns={tableColumns(80)} now={NOW} selectedJobId={JOB.storm} more="+ 6 more: 2 queued, 1 done" />);
    expect(rowFor(view.frame(), JOB.storm)).toMatch(/^›5757e757/);
    expect(lines(view.frame()).at(-1)).toBe(' + 6 more: 2 queued, 1 done');
  });

  it("widens its id column for a retried job's run, whole with its number", () => {
    const retried = orderedRows({ ...busy, jobs: busy.jobs.map((row) => (row.jobId === JOB.fox ? { ...row, jobId: `${JOB.fox}#2` } : row)) }, NOW);
    const frame = renderAt(80, <JobTable rows={retried} columns={tableColumns(80, { longestId: 10 })} now={NOW} />).frame();
    expect(rowFor(frame, `${JOB.fox}#2`)).toMatch(/^ 0f0f0f0f#2 \+1555…1111 a fox running/);
    expect(widest(frame)).toBeLessThanOrEqual(78);
  });

  it('says when there is no job yet', () => {
    expect(renderAt(80, <JobTable rows={[]} columns={tableColumns(80)} now={NOW} />).frame()).toContain('No jobs yet');
  });

  describe('with jobs on more than one machine', () => {
    const machineOf = machineLabels(across);
    const acrossTable = (width: number) =>
      renderAt(width, <JobTable rows={orderedRows(across, NOW)} columns={tableColumns(width, { machine: true })} now={NOW} {...(machineOf ? { machineOf } : {})} />).frame();

    it('says where each job runs at 80 columns, a long host cut in the middle, and stays readable', () => {
      const frame = acrossTable(80);
      expect(lines(frame)[0]).toMatch(/^ job\s+sender\s+prompt\s+machine\s+stage\s+%\s+ETA try$/);
      expect(widest(frame)).toBeLessThanOrEqual(78);
      expect(rowFor(frame, JOB.fox)).toMatch(/^ 0f0f0f0f \+1555…1111 a fox running thr… worker-a\s+generate\s+40%/);
      expect(rowFor(frame, JOB.storm)).toMatch(/a lighthouse in a… 3f2a9…0d7e\s+compress/);
      expect(rowFor(frame, JOB.neon)).toMatch(/neon city at night\s+3f2a9…0d7e\s+done · 0\.50\s*$/);
    });

    it('shows whole host names at 150 columns', () => {
      const frame = acrossTable(150);
      expect(lines(frame)[0]).toMatch(/^ job\s+sender\s+prompt\s+machine\s+stage\s+progress\s+elapsed\s+ETA\s+cost try$/);
      expect(widest(frame)).toBeLessThanOrEqual(148);
      expect(rowFor(frame, JOB.storm)).toMatch(/whatsapp:\+4477…0123 a lighthouse in a storm, waves crashing over the… 3f2a9c1b0d7e\s+compress/);
      expect(rowFor(frame, JOB.fox)).toMatch(/worker-a\s+generate\s+████░░░░░░\s+40%/);
    });
  });
});
