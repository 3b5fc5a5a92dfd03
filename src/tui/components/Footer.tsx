// The last line: the keys, and what q will do now.
import { Text } from 'ink';

export interface FooterProps {
  /** What q does at this moment, in a few words (e.g. "stop the sweep", "quit"). */
  quit: string;
  sort: string;
  filter: string;
  /** false when there is no keyboard (no TTY on stdin): the footer says how to stop instead. */
  interactive: boolean;
}

export function Footer({ quit, sort, filter, interactive }: FooterProps) {
  if (!interactive) return <Text dimColor wrap="truncate">{`no keyboard input · Ctrl-C: ${quit}`}</Text>;
  return (
    <Text dimColor wrap="truncate">
      <Text bold>↑↓</Text> select  <Text bold>enter</Text> details  <Text bold>p</Text> params  <Text bold>s</Text>{` sort (${sort})  `}
      <Text bold>f</Text>{` filter (${filter})  `}
      <Text bold>q</Text>{` ${quit}`}
    </Text>
  );
}
