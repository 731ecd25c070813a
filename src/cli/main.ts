import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { defaults, settings } from '../lib/config/settings.ts';
import { vidbotError } from '../lib/errors.ts';
import type { CliContext } from './context.ts';
import { handleError } from './handle-error.ts';
import { type UsageState, usageErrorsOf } from './usage-errors.ts';

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
};

const EXAMPLES = `
Examples:
  $ vidbot generate "a fox running through a neon city at night"
  $ vidbot generate "ocean waves at dawn" --landscape -o waves.mp4 --json
  $ vidbot compress big.mov -o small.mp4 --max-bytes 16000000
  $ vidbot serve --port 3000
  $ vidbot sign --url http://127.0.0.1:3000/whatsapp/webhook \\
    -d From=whatsapp:+15551234567 -d Body=hi -d MessageSid=SM1 --curl
  $ vidbot config set WORKER_COUNT 4
  $ vidbot config list`;

/** "(default: PORT, else 3000)": where an option's value comes from when it is not given. */
const byDefault = (key: keyof typeof defaults & keyof typeof settings): string => `(default: ${settings[key].env}, else ${defaults[key]})`;

/** What the error handler learns as the command line is read: flags that change how errors print, and the command. */
export interface CliState extends UsageState {
  verbose: boolean;
  json: boolean;
  /** The command being run ("generate", "config set"), for hints that name it. */
  command?: string;
}

/** "config set" for `vidbot config set ...`. */
const commandPath = (command: Command): string => {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
};

/** Builds the command tree. Command modules are imported only when their command runs. */
export const buildProgram = (context: CliContext, state: CliState): Command => {
  const program = new Command('vidbot')
    .description('Turn an AI text-to-video model into a WhatsApp bot, and generate WhatsApp-ready videos from a shell.')
    .version(version(), '-v, --version')
    .option('--verbose', 'print stack traces and tool output on errors')
    .addHelpText('after', EXAMPLES)
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .exitOverride();
  usageErrorsOf(program, '`vidbot --help` lists the commands.', state);
  program.hook('preAction', (_root, action) => {
    state.verbose = Boolean(program.opts().verbose);
    state.json = Boolean(action.opts().json);
    state.command = commandPath(action);
  });

  program
    .command('generate')
    .description('generate a WhatsApp-ready video from a prompt, in this process')
    .argument('<prompt>', 'what the video should show')
    .option('-o, --output <file>', 'where to write the MP4: a name ending in .mp4, or a folder to put it in under a name from the prompt (default: that name, in the current folder)')
    .option('-f, --force', 'replace the output file if it exists (on a terminal, vidbot asks instead)')
    .option(
      '--provider <name>',
      'video provider: auto, local, replicate, fal or cog, or a list to fail over through such as replicate,fal (default: VIDBOT_PROVIDER, else auto: the first of replicate, fal, cog that is configured, else local)',
    )
    .option('--model <id>', `model id, for providers that host several (default: REPLICATE_MODEL on Replicate, FAL_MODEL on fal); see \`vidbot models\``)
    .option('--input <key=value>', 'a raw model input, over the catalogue\'s mapping (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option('--image <file>', 'a first-frame image to animate (image-to-video models)')
    .option('--no-polish', 'use the prompt exactly as written')
    .option('--no-cache', 'generate again even when the same prompt was made before')
    .addOption(new Option('--portrait', `portrait 720x1280 ${byDefault('orientation')}`).conflicts('landscape'))
    .addOption(new Option('--landscape', 'landscape 1280x720'))
    .option('--duration <seconds>', `video length in seconds, ${settings.videoSeconds.min ?? 1} to ${settings.videoSeconds.max ?? 60} ${byDefault('videoSeconds')}`)
    .option('--json', 'print the result as JSON (progress goes to stderr)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ vidbot generate "a paper boat in the rain" --landscape -o boat.mp4\n  $ vidbot generate "waves" --provider replicate --model minimax/hailuo-02 \\\n    --input resolution=768p',
    )
    .action(async (prompt: string, options) => {
      const { generateCommand } = await import('./commands/generate.ts');
      await generateCommand(context, prompt, options);
    });

  program
    .command('models')
    .description('the models vidbot maps by name, on Replicate and fal (any other model works with --input)')
    .option('--json', 'print as JSON')
    .action(async (options) => {
      const { modelsCommand } = await import('./commands/models.ts');
      await modelsCommand(context, options);
    });

  program
    .command('media')
    .description('manage hosted media')
    .command('prune')
    .description('delete uploaded videos older than N days from the media host (Cloudinary)')
    .option('--older-than <days>', 'age in days (default: VIDBOT_MEDIA_RETENTION_DAYS; one of the two is needed)')
    .option('--json', 'print as JSON')
    .action(async (options) => {
      const { mediaPruneCommand } = await import('./commands/media.ts');
      await mediaPruneCommand(context, options);
    });

  program
    .command('compress')
    .description('fit a video to WhatsApp: MP4, H.264 + AAC, at most WHATSAPP_MAX_BYTES')
    .argument('<input>', 'video file to compress')
    .option('-o, --output <file>', "output file, a name ending in .mp4, or a folder to put it in (default: the input's name with .whatsapp.mp4, beside it: clip.mov -> clip.whatsapp.mp4)")
    .option('-f, --force', 'replace the output file if it exists (on a terminal, vidbot asks instead)')
    .option('--max-bytes <n>', `size limit in bytes ${byDefault('whatsappMaxBytes')}`)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ vidbot compress clip.mov -o clip.mp4 --max-bytes 16000000')
    .action(async (input: string, options) => {
      const { compressCommand } = await import('./commands/compress.ts');
      await compressCommand(context, input, options);
    });

  program
    .command('serve')
    .description('run the WhatsApp webhook server and the workers')
    .option('-p, --port <port>', `port to listen on ${byDefault('port')}`)
    .option('--host <address>', `address to bind, 0.0.0.0 for all ${byDefault('host')}`)
    .option('--workers <n>', `jobs processed at once ${byDefault('workerCount')}`)
    .option('--no-workers', 'run only the web side (jobs wait for a process with workers)')
    .option('--trust-proxy', 'trust X-Forwarded-Proto/Host when checking signatures (behind a proxy or tunnel)')
    .option('--insecure-skip-signature', 'accept unsigned webhooks (local experiments only; logs a warning each time)')
    .option('--queue <redis-url>', 'use BullMQ on this Redis (default: REDIS_URL; else the embedded SQLite queue)')
    .option('--no-tui', 'plain log lines instead of the live dashboard (the default when not on a terminal, or in CI)')
    .option('--tunnel', 'open an ngrok tunnel and use its URL as the public URL (default when NGROK_AUTHTOKEN is set)')
    .option('--no-tunnel', 'do not open a tunnel even when NGROK_AUTHTOKEN is set')
    .option('--domain <name>', 'reserved ngrok domain for the tunnel (default: NGROK_DOMAIN)')
    .option('--simulator', 'WhatsApp simulator at /simulator (default: on without Twilio credentials)')
    .option('--no-simulator', 'no simulator, even without Twilio credentials')
    .addHelpText('after', '\nExamples:\n  $ vidbot serve --port 3000\n  $ PUBLIC_BASE_URL=https://bot.example.com vidbot serve --host 0.0.0.0')
    .action(async (options) => {
      const { serveCommand } = await import('./commands/serve.ts');
      await serveCommand(context, options);
    });

  program
    .command('worker')
    .description('run only workers (beside `vidbot serve --no-workers`), on any machine that reaches the queue and store')
    .option('-c, --concurrency <n>', `jobs processed at once ${byDefault('workerCount')}`)
    .option('--queue <redis-url>', 'BullMQ on this Redis (default: REDIS_URL; else the embedded SQLite queue, this machine only)')
    .addHelpText('after', '\nExample:\n  $ REDIS_URL=redis://10.0.0.5:6379 vidbot worker --concurrency 4')
    .action(async (options) => {
      const { workerCommand } = await import('./commands/worker.ts');
      await workerCommand(context, options);
    });

  program
    .command('doctor')
    .description('check the setup: Node, ffmpeg, store, queue, service credentials, the public URL, signatures, media and a test clip')
    .option('--server <url>', "the server's public URL to check (default: PUBLIC_BASE_URL)")
    .option('--json', 'print the report as JSON')
    .action(async (options) => {
      const { doctorCommand } = await import('./commands/doctor.ts');
      await doctorCommand(context, options);
    });

  program
    .command('status [task-id]')
    .description('queue counts, workers and recent tasks, or one task in full, from the local store or a running server')
    .option('--server <url>', 'ask a running server instead of the local store (default: the local store)')
    .option('-w, --watch', 'follow a running server live (the serve dashboard; default server: this machine\'s PORT)')
    .option('--limit <n>', 'how many recent tasks (default: 10)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ vidbot status\n  $ vidbot status 3f9a1c2e       one task in full (the id as the list shows it)\n  $ vidbot status --server http://127.0.0.1:3000 --limit 20')
    .action(async (taskId: string | undefined, options) => {
      const { statusCommand } = await import('./commands/status.ts');
      await statusCommand(context, options, taskId);
    });

  program
    .command('retry <task-id>')
    .description('make a failed or canceled task again (a made video is only sent again), on the local store')
    .option('--json', 'print the task as JSON')
    .addHelpText('after', '\nExamples:\n  $ vidbot retry 3f9a1c2e    the id as `vidbot status` lists it, or the whole id')
    .action(async (taskId: string, options) => {
      const { retryCommand } = await import('./commands/retry.ts');
      await retryCommand(context, options, taskId);
    });

  program
    .command('send')
    .description('send a WhatsApp message (text and/or media) through the configured messenger')
    .requiredOption('--to <address>', 'recipient, whatsapp:+<number>')
    .option('--message <text>', 'text to send')
    .option('--media <url-or-file>', 'media URL, or a local file (published first; uploaded on cloud-api)')
    .option('--channel <name>', 'twilio, cloud-api or local (default: the first configured)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ vidbot send --to whatsapp:+15551234567 --media fox.mp4 --message "Hi"\n  $ vidbot send --channel cloud-api --to +15551234567 --media fox.mp4')
    .action(async (options) => {
      const { sendCommand } = await import('./commands/send.ts');
      await sendCommand(context, options);
    });

  program
    .command('sign')
    .description('compute the X-Twilio-Signature Twilio would send for a webhook request')
    .requiredOption('--url <url>', 'the full public URL Twilio posts to')
    .option('-d, --data <Key=Value>', 'a form field (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option('--token <token>', 'auth token (default: TWILIO_AUTH_TOKEN, else the local token of `vidbot serve`)')
    .option('--curl', 'print a ready-to-run curl command that posts the signed form')
    .option('--json', 'print as JSON')
    .addHelpText('after', "\nExample:\n  $ vidbot sign --url http://127.0.0.1:3000/whatsapp/webhook \\\n    -d From=whatsapp:+15551234567 -d Body='a fox' -d MessageSid=SM1 --curl | sh")
    .action(async (options) => {
      const { signCommand } = await import('./commands/sign.ts');
      await signCommand(context, options);
    });

  const config = program
    .command('config')
    .description('show and change saved settings (secrets are masked)')
    .addHelpText('after', '\nExamples:\n  $ vidbot config set REPLICATE_API_TOKEN r8_...\n  $ vidbot config list --json');
  const configAction =
    (name: 'set' | 'get' | 'list' | 'unset' | 'path') =>
    async (...args: unknown[]) => {
      const { configCommand } = await import('./commands/config.ts');
      await configCommand(context, name, args);
    };
  config.command('set').description('save a setting').argument('<key>').argument('<value>').action(configAction('set'));
  config.command('get').description('print a setting (masked)').argument('<key>').option('--show-secret', 'print secrets in full').action(configAction('get'));
  config.command('list').description('every setting with its value and where it came from').option('--json', 'as JSON').action(configAction('list'));
  config.command('unset').description('remove a saved setting').argument('<key>').action(configAction('unset'));
  config.command('path').description('print the saved settings file').action(configAction('path'));
  // A usage error names where its own command's options (or, for `config` and `media`, commands) are listed.
  const nameHelp = (command: Command): void => {
    for (const sub of command.commands) {
      usageErrorsOf(sub, `\`vidbot ${commandPath(sub)} --help\` lists its ${sub.commands.length > 0 ? 'commands' : 'options'}.`, state);
      nameHelp(sub);
    }
  };
  nameHelp(program);
  return program;
};

/**
 * `vidbot help <word>` where no command is called <word>: run as `vidbot <word>`, whose error names
 * it and what was meant (the parser printed the whole help, with no word of why).
 */
const helpOfNoCommand = (argv: readonly string[], program: Command): readonly string[] => {
  const [first, asked] = argv.filter((arg) => !arg.startsWith('-'));
  if (first !== 'help' || asked === undefined || program.commands.some((command) => command.name() === asked)) return argv;
  const helpAt = argv.indexOf('help');
  return argv.filter((_, i) => i !== helpAt);
};

/** Runs the CLI and returns its exit code; bin/vidbot.js sets process.exitCode from it. */
export const main = async (given: readonly string[], context: CliContext): Promise<number> => {
  const state: CliState = { verbose: given.includes('--verbose'), json: given.includes('--json') };
  const program = buildProgram(context, state);
  const argv = helpOfNoCommand(given, program);
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first !== undefined) state.first = first;
  // Bare `vidbot` (with --verbose at most) asks what it can do: the help, on stdout, as a success;
  // and so does a group alone (`vidbot config`), as `vidbot` does, not as a usage error.
  const words = argv.filter((arg) => arg !== '--verbose');
  const group = words.length === 1 ? program.commands.find((command) => command.name() === words[0] && command.commands.length > 0) : undefined;
  if (words.length === 0 || group !== undefined) {
    (group ?? program).outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; usage errors were already printed.
      if (error.exitCode === 0) return 0;
      if (state.json && state.usage !== undefined) {
        const { message, hint } = state.usage;
        context.stdout.write(`${JSON.stringify({ ok: false, error: { ...vidbotError('VIDBOT_INPUT_INVALID', message).toJSON(), hint } })}\n`);
      }
      return 2;
    }
    return handleError(error, { ...state, stderr: context.stderr, stdout: context.stdout });
  }
};
