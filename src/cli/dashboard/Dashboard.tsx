/** The live view of `vidbot serve` and `vidbot status --watch`, drawn with Ink to fit the terminal. */
import { Box, useInput } from 'ink';
import { Footer, type FooterProps, footerLines } from './Footer.tsx';
import { Header } from './Header.tsx';
import { JobTable } from './JobTable.tsx';
import { shortId } from './format.ts';
import { type DashboardUrls, PADDING, headerLines, lineBudget, tableColumns } from './layout.ts';
import { LogPane } from './LogPane.tsx';
import type { DashboardState, JobRow } from './state.ts';
import { Summary } from './Summary.tsx';
import { type ShownRow, machineLabels, orderedRows, selectedFailed, sessionCounts, stopSummary } from './view.ts';

export type { DashboardUrls };

export interface DashboardProps {
  readonly state: DashboardState;
  readonly urls: DashboardUrls;
  readonly now: number;
  /** The terminal's size: the frame never grows wider, and stays a line shorter. */
  readonly width: number;
  readonly height: number;
  /** Which keys do something here (a remote viewer may not pause workers). */
  readonly keys: { readonly pause: boolean; readonly retry: boolean };
  readonly onQuit: () => void;
  readonly onTogglePause: () => void;
  readonly onRetry: (jobId: string) => void;
  readonly onSelect: (delta: number) => void;
  readonly notice?: string;
}

const WORDS: Readonly<Record<JobRow['status'], string>> = {
  queued: 'queued',
  retrying: 'retrying',
  running: 'running',
  done: 'done',
  failed: 'failed',
  canceled: 'canceled',
};

/** "+ 4 more: 3 queued, 1 done": the rows left out, by status, so the table still adds up to the counts. */
const moreText = (hidden: readonly ShownRow[], unlisted: number, total: { done: number; failed: number; canceled: number }, shown: readonly ShownRow[]): string => {
  const byStatus = new Map<JobRow['status'], number>();
  for (const { row } of hidden) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
  // Finished rows dropped from memory still count.
  for (const status of ['done', 'failed', 'canceled'] as const) {
    const listed = shown.filter(({ row }) => row.status === status).length + (byStatus.get(status) ?? 0);
    if (total[status] > listed) byStatus.set(status, (byStatus.get(status) ?? 0) + total[status] - listed);
  }
  if (unlisted > 0) byStatus.set('queued', (byStatus.get('queued') ?? 0) + unlisted);
  const parts = [...byStatus].map(([status, n]) => `${n} ${WORDS[status]}`);
  const count = [...byStatus.values()].reduce((sum, n) => sum + n, 0);
  return `+ ${count} more: ${parts.join(', ')}${unlisted > 0 ? ' (this viewer cannot list queued jobs)' : ''}`;
};

export const Dashboard = (props: DashboardProps) => {
  const { state, urls, now, width, height } = props;
  const stopping = state.stop !== undefined;
  const failed = selectedFailed(state);
  useInput((input, key) => {
    if (input === 'q') props.onQuit();
    if (stopping) return;
    if (input === 'p' && props.keys.pause) props.onTogglePause();
    else if (input === 'r' && props.keys.retry && failed) props.onRetry(failed.jobId);
    else if (key.upArrow) props.onSelect(-1);
    else if (key.downArrow) props.onSelect(1);
  });

  const summary = stopSummary(state);
  const footer: FooterProps = {
    width,
    keys: props.keys,
    paused: state.workers.paused,
    ...(failed ? { selectedFailed: failed.jobId } : {}),
    ...(props.notice ? { notice: props.notice } : {}),
    ...(summary ? { stop: { done: state.stop?.phase === 'stopped', text: summary } } : {}),
  };
  const counts = sessionCounts(state);
  const rows = orderedRows(state, now);
  const active = rows.filter(({ row }) => row.status === 'running' || row.status === 'retrying' || row.status === 'queued');
  const finished = rows.slice(active.length);
  // Header, summary (2) and footer, a blank line before each part after the header, and the table's labels.
  const fixed = headerLines(urls, width).length + 1 + 2 + 1 + 1 + 1 + 1 + footerLines(footer).length;
  const budget = lineBudget({ height, fixed, active: active.length, finished: finished.length, unlisted: counts.unlisted > 0 });
  const shown = [...active.slice(0, budget.active), ...finished.slice(0, budget.finished)];
  const hidden = [...active.slice(budget.active), ...finished.slice(budget.finished)];
  const more = budget.more ? moreText(hidden, counts.unlisted, counts, shown) : undefined;
  const machineOf = machineLabels(state);

  return (
    <Box flexDirection="column" paddingX={PADDING} width={width}>
      <Header urls={urls} width={width} />
      <Box marginTop={1}>
        <Summary state={state} now={now} />
      </Box>
      <Box marginTop={1}>
        <JobTable
          rows={shown}
          columns={tableColumns(width, { machine: machineOf !== undefined, longestId: Math.max(0, ...shown.map(({ row }) => shortId(row.jobId).length)) })}
          now={now}
          {...(failed ? { selectedJobId: failed.jobId } : {})}
          {...(more ? { more } : {})}
          {...(machineOf ? { machineOf } : {})}
        />
      </Box>
      <Box marginTop={1}>
        <LogPane lines={state.log} width={width} height={budget.log} />
      </Box>
      <Box marginTop={1}>
        <Footer {...footer} />
      </Box>
    </Box>
  );
};
