/** The counts of this session's jobs and what the workers are doing: two lines under the header. */
import { Box, Text } from 'ink';
import type { DashboardState } from './state.ts';
import { medianSeconds, perMinute, sessionCounts, workersText } from './view.ts';

const Count = ({ label, value, color, last }: { label: string; value: number; color: string; last?: boolean }) => (
  <Text color={value > 0 ? color : 'gray'}>
    {label} <Text bold>{value}</Text>
    {last ? '' : <Text color="gray"> · </Text>}
  </Text>
);

export const Summary = ({ state, now }: { state: DashboardState; now: number }) => {
  const counts = sessionCounts(state);
  const median = medianSeconds(state);
  const { workers } = state;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Count label="queued" value={counts.queued} color="yellow" />
        {counts.retrying > 0 ? <Count label="retrying" value={counts.retrying} color="yellow" /> : null}
        <Count label="running" value={counts.running} color="cyan" />
        <Count label="done" value={counts.done} color="green" />
        <Count label="failed" value={counts.failed} color="red" last={counts.canceled === 0} />
        {counts.canceled > 0 ? <Count label="canceled" value={counts.canceled} color="white" last /> : null}
      </Text>
      <Text color="gray" wrap="truncate-end">
        {workersText(workers)}
        {workers.paused && !state.stop ? <Text color="yellow"> PAUSED</Text> : null}
        {` · ${perMinute(state, now)} done in the last minute`}
        {median === undefined ? '' : ` · median ${median.toFixed(1)} s`}
      </Text>
    </Box>
  );
};
