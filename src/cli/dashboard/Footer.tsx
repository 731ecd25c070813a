/** The bottom of the screen: a notice (a retry's outcome), the keys, or while stopping what happens to the jobs. */
import { Box, Text } from 'ink';
import { shortId, wrapText } from './format.ts';
import { PADDING } from './layout.ts';

export interface FooterProps {
  readonly width: number;
  readonly keys: { readonly pause: boolean; readonly retry: boolean };
  readonly paused: boolean;
  /** The failed job `r` retries, if any. */
  readonly selectedFailed?: string;
  readonly notice?: string;
  /** While stopping and after: what happened to the running jobs (replaces the keys). */
  readonly stop?: { readonly done: boolean; readonly text: string };
}

/** The lines a footer takes, so the log can have the rest. */
export const footerLines = (props: FooterProps): string[] => {
  const inner = props.width - 2 * PADDING;
  if (props.stop) return wrapText(props.stop.text, inner);
  const keys = ['q quit'];
  if (props.keys.pause) keys.push(props.paused ? 'p resume' : 'p pause');
  if (props.keys.retry && props.selectedFailed) keys.push(`↑/↓ select · r retry ${shortId(props.selectedFailed)}`);
  return [...(props.notice ? [props.notice] : []), keys.join(' · ')];
};

export const Footer = (props: FooterProps) => {
  const lines = footerLines(props);
  const color = props.stop ? (props.stop.done ? 'green' : 'yellow') : undefined;
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => (
        <Text key={index} wrap="truncate-end" color={color ?? (props.notice && index === 0 ? 'yellow' : 'gray')}>
          {line}
        </Text>
      ))}
    </Box>
  );
};
