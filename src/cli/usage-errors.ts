/**
 * The parser's usage errors in vidbot's own shape: "✖ unknown option '--colour'", a suggestion on the
 * same line, the hint of the command that raised it; kept for --json, which prints them as an error
 * document.
 */
import type { Command } from 'commander';

/** What the usage errors read, and leave for the error handler (main.ts's CliState extends it). */
export interface UsageState {
  /** The first word typed: the command asked for, when it is not a known one. */
  first?: string;
  /** The parser's usage error, as printed, with the hint of the command that raised it. */
  usage?: { message: string; hint: string };
}

/**
 * The parser's "(Did you mean send?)" on the error's line, and for a command typed short (`gen`)
 * the command it begins, where commander's spelling distance picks another (`send`).
 */
const withSuggestion = (text: string, program: Command, firstWord: string | undefined): string => {
  const typed = /^error: unknown command '([^']+)'/.exec(text)?.[1];
  const theirs = /\n\(Did you mean ([^)?]*)\??\)/.exec(text);
  // Only for the first word: a subcommand's group (`config ge`) has commands of its own.
  const started = typed === undefined || typed !== firstWord ? [] : program.commands.map((command) => command.name()).filter((name) => name.startsWith(typed));
  const name = started.length === 1 ? started[0] : theirs?.[1];
  const [first = '', ...rest] = text.replace(theirs?.[0] ?? '', '').split('\n');
  return [name === undefined ? first : `${first} (did you mean ${name}?)`, ...rest].join('\n');
};

/**
 * The parser's errors look like vidbot's own ("✖ unknown option '--colour'", a suggestion on the same
 * line, then the command's hint), and are kept for --json, which prints them as an error document.
 */
export const usageErrorsOf = (command: Command, hint: string, state: UsageState): void => {
  let root = command;
  while (root.parent) root = root.parent;
  command.showHelpAfterError(`  hint: ${hint}`).configureOutput({
    ...command.configureOutput(),
    outputError: (text, write) => {
      const line = withSuggestion(text, root, state.first).replace(/^error: /, '');
      state.usage = { message: line.trim(), hint };
      write(`✖ ${line}`);
    },
  });
};
