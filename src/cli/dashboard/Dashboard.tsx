/** The live view of `vidbot serve` and `vidbot status --watch`, drawn with Ink. */
import { Box, Text, useInput } from 'ink';
import type { DashboardState, LogLine, RunningJob } from './state.ts';
import { medianSeconds, perMinute } from './state.ts';

export interface DashboardProps {
  readonly state: DashboardState;
  readonly urls: { readonly local?: string; readonly public?: string; readonly webhook?: string; readonly server?: string };
  readonly now: number;
  /** Which keys do something here (a remote viewer may not pause workers). */
  readonly keys: { readonly pause: boolean; readonly retry: boolean };
  readonly onQuit: () => void;
  readonly onTogglePause: () => void;
  readonly onRetry: (jobId: string) => void;
  readonly onSelect: (delta: number) => void;
  readonly notice?: string;
}

const BAR = 20;
const bar = (percent: number | undefined): string => {
  const filled = Math.round((Math.min(100, Math.max(0, percent ?? 0)) / 100) * BAR);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
};

const clock = (ts: number): string => new Date(ts).toISOString().slice(11, 19);
const short = (id: string): string => (id.length > 12 ? id.slice(0, 8) : id);
const levelColor = { info: undefined, warn: 'yellow', error: 'red' } as const;

const Count = ({ label, value, color }: { label: string; value: number; color?: string }) => (
  <Box marginRight={2}>
    <Text color={value > 0 ? color : 'gray'}>
      {label} <Text bold>{value}</Text>
    </Text>
  </Box>
);

const JobRow = ({ job, now }: { job: RunningJob; now: number }) => (
  <Box>
    <Box width={10}>
      <Text color="cyan">{short(job.jobId)}</Text>
    </Box>
    <Box width={10}>
      <Text>{job.stage ?? 'starting'}</Text>
    </Box>
    <Text>{bar(job.percent)} </Text>
    <Box width={6}>
      <Text>{job.percent === undefined ? '' : `${Math.round(job.percent)}%`}</Text>
    </Box>
    <Box width={7}>
      <Text color="gray">{Math.round((now - job.since) / 1000)} s</Text>
    </Box>
    <Text color="gray" wrap="truncate-end">
      {job.message ?? ''}
    </Text>
  </Box>
);

const Line = ({ line }: { line: LogLine }) => (
  <Text color={levelColor[line.level]} wrap="truncate-end">
    <Text color="gray">{clock(line.ts)} </Text>
    {line.text}
  </Text>
);

export const Dashboard = (props: DashboardProps) => {
  const { state, urls, now } = props;
  useInput((input, key) => {
    if (input === 'q') props.onQuit();
    else if (input === 'p' && props.keys.pause) props.onTogglePause();
    else if (input === 'r' && props.keys.retry) {
      const job = state.failed[state.selected];
      if (job) props.onRetry(job.jobId);
    } else if (key.upArrow) props.onSelect(-1);
    else if (key.downArrow) props.onSelect(1);
  });
  const median = medianSeconds(state.durations);
  const { workers } = state;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Box>
        <Text bold color="green">vidbot </Text>
        {urls.local ? <Text>{urls.local}</Text> : null}
        {urls.server ? <Text>watching {urls.server}</Text> : null}
        {urls.public ? <Text color="gray">  public {urls.public}</Text> : null}
      </Box>
      {urls.webhook ? (
        <Text>
          Twilio webhook (POST): <Text color="cyan">{urls.webhook}</Text>
        </Text>
      ) : null}
      <Box marginTop={1}>
        <Count label="waiting" value={state.counts.waiting + state.counts.delayed} color="yellow" />
        <Count label="active" value={state.counts.active} color="cyan" />
        <Count label="done" value={state.counts.completed} color="green" />
        <Count label="failed" value={state.counts.failed} color="red" />
        <Count label="canceled" value={state.counts.canceled} />
      </Box>
      <Text color="gray">
        workers {workers.running}/{workers.concurrency}
        {workers.paused ? <Text color="yellow"> PAUSED</Text> : null} · {perMinute(state, now)} done in the last minute
        {median === undefined ? '' : ` · median ${median.toFixed(1)} s`}
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {state.running.length === 0 ? <Text color="gray">No job running.</Text> : state.running.map((job) => <JobRow key={job.jobId} job={job} now={now} />)}
      </Box>
      {state.failed.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color="red">
            Failed {props.keys.retry ? '(↑/↓ select, r retry)' : ''}
          </Text>
          {state.failed.map((job, index) => (
            <Text key={job.jobId} color={index === state.selected ? 'red' : 'gray'} wrap="truncate-end">
              {index === state.selected ? '› ' : '  '}
              {short(job.jobId)} {job.error}
            </Text>
          ))}
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {state.log.slice(-8).map((line, index) => (
          <Line key={`${line.ts}-${index}`} line={line} />
        ))}
      </Box>
      {props.notice ? <Text color="yellow">{props.notice}</Text> : null}
      <Box marginTop={1}>
        <Text color="gray">
          q quit{props.keys.pause ? (workers.paused ? ' · p resume' : ' · p pause') : ''}
          {props.keys.retry && state.failed.length > 0 ? ' · r retry selected' : ''}
        </Text>
      </Box>
    </Box>
  );
};
