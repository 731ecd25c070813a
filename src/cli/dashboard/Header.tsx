/** The pinned header: where the server listens and the URLs a person pastes elsewhere; never scrolled away. */
import { Box, Text } from 'ink';
import { type DashboardUrls, headerLines } from './layout.ts';

export const Header = ({ urls, width }: { urls: DashboardUrls; width: number }) => (
  <Box flexDirection="column">
    {headerLines(urls, width).map((line, index) => (
      <Text key={index} wrap="truncate-end">
        {line.tone === 'title' ? (
          <Text bold color="green">
            {line.label}
          </Text>
        ) : (
          <Text color="gray">{line.label}</Text>
        )}
        {line.tone === 'title' && line.value ? ' ' : ''}
        <Text color={line.tone === 'warn' ? 'yellow' : line.tone === 'url' ? 'cyan' : undefined}>{line.value}</Text>
        {line.note ? <Text color="gray">{line.note}</Text> : null}
      </Text>
    ))}
  </Box>
);
