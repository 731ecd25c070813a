/** The jobs of this session, one line each under labelled columns that adapt to the terminal's width. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { formatCost } from '../../lib/cost/prices.ts';
import { aboutSeconds, bar, elapsed, inSeconds, maskSender, middleTruncate, oneLine, shortId } from './format.ts';
import type { TableColumns } from './layout.ts';
import type { JobRow } from './state.ts';
import type { ShownRow } from './view.ts';

export interface JobTableProps {
  readonly rows: readonly ShownRow[];
  readonly columns: TableColumns;
  readonly now: number;
  /** The failed job `r` would retry. */
  readonly selectedJobId?: string;
  /** Closes the table when rows did not fit: "+ 4 more: 3 queued, 1 done". */
  readonly more?: string;
  /** Where each job runs, for the machine column (machineLabels). */
  readonly machineOf?: (row: JobRow) => string;
}

const STATUS_COLOR: Readonly<Record<JobRow['status'], string | undefined>> = {
  running: 'cyan',
  queued: undefined,
  retrying: 'yellow',
  done: 'green',
  failed: 'red',
  canceled: 'gray',
};

/** A video's estimated cost; none for the free local preview or a model without a price. */
const costText = (row: JobRow): string => (row.cost ? formatCost(row.cost) : '');

/** The stage column: what the job does now, or why it waits; without a cost column, a done job's cost. */
export const stageText = ({ row, retryInSeconds }: ShownRow, costColumn = true): string => {
  switch (row.status) {
    case 'running':
      return row.stage ?? 'starting';
    case 'queued':
      return row.handedBack ? 'handed back' : 'queued';
    case 'retrying':
      // Due, and waiting for a free worker.
      return retryInSeconds !== undefined && retryInSeconds > 0 ? `retry in ${inSeconds(retryInSeconds)}` : 'waiting';
    case 'done':
      return costColumn || !costText(row) ? 'done' : `done · ${costText(row)}`;
    default:
      return row.status;
  }
};

const progressText = (row: JobRow, cells: number): string => {
  // Only a running attempt has progress: a job waiting or finished shows none, never a stale figure.
  if (row.status !== 'running' || row.percent === undefined) return '';
  const percent = `${Math.round(row.percent)}%`.padStart(4);
  return cells >= 15 ? `${bar(row.percent)} ${percent}` : percent;
};

const Cell = ({ width, last, color, right, children }: { width: number; last?: boolean; color?: string | undefined; right?: boolean; children: ReactNode }) =>
  width > 0 ? (
    <Box width={width} flexShrink={0} marginRight={last ? 0 : 1} justifyContent={right ? 'flex-end' : 'flex-start'}>
      <Text color={color} wrap="truncate-end">
        {children}
      </Text>
    </Box>
  ) : null;

const HeaderRow = ({ columns }: { columns: TableColumns }) => (
  <Box>
    <Cell width={columns.job} color="gray">
      {' job'}
    </Cell>
    <Cell width={columns.sender} color="gray">
      sender
    </Cell>
    <Cell width={columns.prompt} color="gray">
      prompt
    </Cell>
    <Cell width={columns.machine} color="gray">
      machine
    </Cell>
    <Cell width={columns.stage} color="gray">
      stage
    </Cell>
    <Cell width={columns.progress} color="gray" right>
      {columns.progress >= 15 ? 'progress' : '%'}
    </Cell>
    <Cell width={columns.elapsed} color="gray" right>
      elapsed
    </Cell>
    <Cell width={columns.eta} color="gray" right>
      ETA
    </Cell>
    <Cell width={columns.cost} color="gray" right>
      cost
    </Cell>
    <Cell width={columns.attempt} color="gray" right last>
      try
    </Cell>
  </Box>
);

interface RowProps {
  readonly shown: ShownRow;
  readonly columns: TableColumns;
  readonly now: number;
  readonly selected: boolean;
  readonly machineOf: ((row: JobRow) => string) | undefined;
}

const Row = ({ shown, columns, now, selected, machineOf }: RowProps) => {
  const { row } = shown;
  const took = row.status === 'done' ? row.durationMs : row.status === 'running' && row.startedAt !== undefined ? now - row.startedAt : undefined;
  // Cut in the middle: a host's end (or its pid) tells machines apart as often as its start.
  const machine = machineOf && columns.machine > 0 ? middleTruncate(machineOf(row), columns.machine) : '';
  return (
    <Box>
      <Cell width={columns.job} color={selected ? 'red' : 'cyan'}>
        {`${selected ? '›' : ' '}${shortId(row.jobId)}`}
      </Cell>
      <Cell width={columns.sender}>{row.sender ? maskSender(row.sender, columns.senderCompact) : '—'}</Cell>
      <Cell width={columns.prompt} color={row.prompt ? undefined : 'gray'}>
        {row.prompt ? oneLine(row.prompt) : '—'}
      </Cell>
      <Cell width={columns.machine} color="gray">
        {machine}
      </Cell>
      <Cell width={columns.stage} color={STATUS_COLOR[row.status]}>
        {stageText(shown, columns.cost > 0)}
      </Cell>
      <Cell width={columns.progress} right>
        {progressText(row, columns.progress)}
      </Cell>
      <Cell width={columns.elapsed} color="gray" right>
        {took === undefined ? '' : elapsed(took)}
      </Cell>
      <Cell width={columns.eta} right>
        {shown.etaSeconds === undefined ? '' : aboutSeconds(shown.etaSeconds)}
      </Cell>
      <Cell width={columns.cost} right>
        {costText(row)}
      </Cell>
      <Cell width={columns.attempt} right last>
        {row.attempt > 1 ? String(row.attempt) : ''}
      </Cell>
    </Box>
  );
};

export const JobTable = ({ rows, columns, now, selectedJobId, more, machineOf }: JobTableProps) => (
  <Box flexDirection="column">
    <HeaderRow columns={columns} />
    {rows.length === 0 && !more ? <Text color="gray"> No jobs yet: send the bot a prompt.</Text> : null}
    {rows.map((shown) => (
      <Row key={shown.row.jobId} shown={shown} columns={columns} now={now} selected={shown.row.jobId === selectedJobId} machineOf={machineOf} />
    ))}
    {more ? (
      <Text color="gray" wrap="truncate-end">
        {` ${more}`}
      </Text>
    ) : null}
  </Box>
);
