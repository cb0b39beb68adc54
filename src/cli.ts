import { Command, CommanderError, Option } from 'commander';
import { commandFlags, globalFlags, type FlagSpec } from './commands/flags.js';
import { interruptGraceMs, type RunContext } from './commands/run.js';
import { ExitCode, exitCodeMeanings, type FailureClass } from './exit-codes.js';
import type { ModeInput } from './render/mode.js';
import { TerminalView } from './render/terminal.js';
import type { ReportError } from './report/model.js';
import { inertOutput } from './safety/text.js';
import { version } from './version.js';

function exitCodeTable(): string {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).map((k) => `  ${String(ExitCode[k]).padStart(3)}  ${exitCodeMeanings[k]}`).join('\n');
}

/** Two or three command lines per command, for `--help` (the README has more). */
const examples = {
  mailcheck: ['mailcheck test --sandbox', 'mailcheck doctor --dotenv .env.production', 'mailcheck probe smtp.example.com'],
  test: [
    'mailcheck test --to you@example.com',
    'mailcheck test --dotenv .env.production --to you@example.com',
    'printf %s "$PASSWORD" | mailcheck test --password-stdin --to you@example.com',
  ],
  doctor: ['mailcheck doctor', 'mailcheck doctor --json > doctor.json', 'mailcheck doctor --strict --report mailcheck-report.md'],
  init: [
    'mailcheck init',
    'mailcheck init --provider gmail',
    'mailcheck init --provider resend --from app@example.com --to delivered@resend.dev --password-stdin --write',
  ],
  dns: ['mailcheck dns', 'mailcheck dns example.com --provider resend', 'mailcheck dns example.com --dkim-selector google --provider gmail'],
  probe: ['mailcheck probe', 'mailcheck probe smtp.example.com', 'mailcheck probe --auth --ports 465,587'],
} as const;

function withExamples(command: keyof typeof examples): string {
  return `\nExamples:\n${examples[command].map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** Adds each flag of a table (commands/flags.ts) to a command, in the table's order. */
function addFlags(command: Command, flags: Readonly<Record<string, FlagSpec>>): Command {
  for (const spec of Object.values(flags)) {
    const option = new Option(spec.flags, spec.help);
    if (spec.repeat) option.argParser(collect);
    if (spec.default !== undefined) option.default(spec.default);
    command.addOption(option);
  }
  return command;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * What each command's action runs with: the Ctrl-C signal, the process's environment, and a
 * terminal view built from the command's flags. The last view is kept, so that main can tell
 * whether a report was already shown before it ends a run early.
 */
export class CliRuns {
  view: TerminalView | undefined;
  /** What the run has read that is secret (RunContext.secrets): the CLI runs one command. */
  readonly secrets = new Set<string>();

  constructor(readonly signal: AbortSignal) {}

  /** `annotate`: in GitHub Actions, the command's report also becomes annotations and a step summary. */
  context(options: ModeInput, annotate = false): RunContext {
    this.view = new TerminalView(options, process.env, annotate);
    return { signal: this.signal, env: process.env, view: this.view, secrets: this.secrets };
  }
}

export function buildProgram(runs: CliRuns): Command {
  // --dotenv and --env-file fill one list, in the order they were typed, so that a later file
  // wins whichever spelling named it; commands read it as `dotenv` whichever spelling was used.
  const dotenvFiles: string[] = [];
  const addDotenv = (value: string) => {
    dotenvFiles.push(value);
    program.setOptionValueWithSource('dotenv', dotenvFiles, 'cli');
    return dotenvFiles;
  };
  const program = new Command('mailcheck')
    .description('Tells you why your email sending does not work, and how to fix it.')
    .version(version, '-V, --version')
    .addHelpText('after', `${withExamples('mailcheck')}\nExit codes:\n${exitCodeTable()}\n`)
    .showHelpAfterError('(run mailcheck --help for usage)')
    .exitOverride();
  addFlags(program, globalFlags);
  for (const name of ['dotenv', 'envFile']) program.options.find((o) => o.attributeName() === name)!.argParser(addDotenv);
  // Set before the commands are added, which copy it: each command's --help lists the global options too.
  program.configureHelp({ showGlobalOptions: true });

  addFlags(program.command('test').description('walk a whole SMTP session with a live transcript and send one test message'), commandFlags.test)
    .addHelpText('after', withExamples('test'))
    .action(async (_opts, command: Command) => {
      const { runTest } = await import('./commands/test.js');
      const options = command.optsWithGlobals();
      process.exitCode = (await runTest(options, runs.context(options))).result.exitCode;
    });

  addFlags(
    program.command('doctor').description('check the configuration and the server without sending anything (for CI and deploy checks)'),
    commandFlags.doctor,
  )
    .addHelpText('after', withExamples('doctor'))
    .action(async (_opts, command: Command) => {
      const { runDoctor } = await import('./commands/doctor.js');
      const options = command.optsWithGlobals();
      process.exitCode = (await runDoctor(options, runs.context(options, true))).result.exitCode;
    });

  addFlags(
    program.command('init').description('set up email step by step: choose a provider, check it live, then write .env (after you confirm)'),
    commandFlags.init,
  )
    .addHelpText('after', withExamples('init'))
    .action(async (_opts, command: Command) => {
      const { runInit } = await import('./commands/init.js');
      const options = command.optsWithGlobals();
      process.exitCode = (await runInit(options, runs.context(options))).result.exitCode;
    });

  addFlags(
    program
      .command('dns [domain]')
      .description("check the sending domain's DNS (MX, SPF, DKIM, DMARC) for the provider in use: will the mail arrive? (domain defaults to the sender's)"),
    commandFlags.dns,
  )
    .addHelpText('after', withExamples('dns'))
    .action(async (domain: string | undefined, _opts, command: Command) => {
      const { runDns } = await import('./commands/dns.js');
      const options = command.optsWithGlobals();
      process.exitCode = (await runDns(domain, options, runs.context(options, true))).result.exitCode;
    });

  addFlags(
    program
      .command('probe [host]')
      .description('try every submission port in every TLS mode at once and print the SMTP_PORT and SMTP_SECURE that work (host defaults to SMTP_HOST)'),
    commandFlags.probe,
  )
    .addHelpText('after', withExamples('probe'))
    .action(async (host: string | undefined, _opts, command: Command) => {
      const { runProbe } = await import('./commands/probe.js');
      const options = command.optsWithGlobals();
      // The probe's own default (3 s) applies unless --timeout was typed; 5 s is the walk's.
      if (command.getOptionValueSourceWithGlobals('timeout') === 'default') delete options.timeout;
      process.exitCode = (await runProbe(host, options, runs.context(options))).result.exitCode;
    });

  return program;
}

const commandNames = ['test', 'doctor', 'init', 'probe', 'dns'];

/**
 * What the bin saw before main ran: a Ctrl-C while the bundle loaded, remembered by a listener
 * that stays until main's own is in place (with no listener at all, a signal still waiting to be
 * delivered would be dropped), and how to take that listener away.
 */
export interface EarlyStart {
  interrupted: boolean;
  stopRemembering?: () => void;
}

/** Entry point: parses argv, runs the command, and maps every way of ending to an exit code. */
export async function main(argv: string[], early: EarlyStart = { interrupted: false }): Promise<void> {
  // Read before commander parses, so that even a usage error ends in the document --json
  // promises and the file --report names.
  const args = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const start: Start = {
    json: args.includes('--json'),
    markdownPath: reportPathIn(args),
    command: args.find((a) => commandNames.includes(a)) ?? 'mailcheck',
    started: performance.now(),
  };
  // A reader that left (`mailcheck doctor | head -1`) or a full disk must not decide the exit code:
  // the rest of the output is dropped, the check runs to its end, and its verdict is the exit code.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const controller = new AbortController();
  const runs = new CliRuns(controller.signal);
  let interrupted = false;
  const onInterrupt = () => {
    // First Ctrl-C: close sockets and stop cleanly. Second: leave now.
    if (interrupted) process.exit(ExitCode.interrupted);
    interrupted = true;
    controller.abort();
    process.exitCode = ExitCode.interrupted;
    setTimeout(() => {
      void endEarly(start, runs, 'interrupted', { message: 'interrupted (Ctrl-C)' }).finally(() => process.exit(ExitCode.interrupted));
    }, interruptGraceMs).unref();
  };
  process.on('SIGINT', onInterrupt);
  early.stopRemembering?.();
  if (early.interrupted) onInterrupt();

  const program = buildProgram(runs);
  // commander's own messages (usage errors) pass the same gate as everything else: argv is text too.
  program.configureOutput({ writeOut: (text) => process.stdout.write(inertOutput(text)), writeErr: (text) => process.stderr.write(inertOutput(text)) });
  try {
    await program.parseAsync(argv);
    if (interrupted) process.exitCode = ExitCode.interrupted;
  } catch (error) {
    process.exitCode = await handleError(error, start, runs);
  }
}

/** What main knows before commander has parsed anything: enough to end a run that fails there. */
interface Start {
  json: boolean;
  markdownPath: string | undefined;
  command: string;
  started: number;
}

/** The path of --report, read as commander reads it (the next word is its value; the last one wins). */
function reportPathIn(args: string[]): string | undefined {
  let path: string | undefined;
  args.forEach((arg, i) => {
    if (arg === '--report') path = args[i + 1];
    else if (arg.startsWith('--report=')) path = arg.slice('--report='.length);
  });
  return path;
}

async function handleError(error: unknown, start: Start, runs: CliRuns): Promise<number> {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0; commander printed the message.
    if (error.exitCode === 0) return ExitCode.ok;
    // No command: commander printed the help, and its error's message is its own placeholder.
    if (error.code === 'commander.help')
      return endEarly(start, runs, 'usage', { message: 'no command given', hint: 'run mailcheck --help for the commands' }, false);
    return endEarly(start, runs, 'usage', { message: error.message.replace(/^error: /, '') }, false);
  }
  if (isPromptAbort(error)) return endEarly(start, runs, 'interrupted', { message: 'interrupted (Ctrl-C)' }, false);
  // A user error carries its class; anything else is a bug: kept short, the stack only on request.
  const { endingOfError, secretScrubber } = await import('./commands/ending.js');
  const debug = process.env.MAILCHECK_DEBUG;
  const secrets = secretScrubber(process.env, runs.secrets);
  const end = endingOfError(error, secrets, `This is a bug. Please report it with the command you ran${debug ? '' : ' (set MAILCHECK_DEBUG=1 for details)'}.`);
  const exitCode = await endEarly(start, runs, end.failureClass, end.error);
  if (debug && end.failureClass === 'internal') process.stderr.write(`${secrets.scrub((error as Error)?.stack ?? '')}\n`);
  return exitCode;
}

/**
 * The end of a run that has no report of its own: a message on stderr for people (unless commander
 * already printed one), and the report of the early end as --json and --report ask, unless the
 * command already showed its own.
 */
async function endEarly(start: Start, runs: CliRuns, failureClass: FailureClass, untrusted: ReportError, printMessage = true): Promise<number> {
  const { ending, endingReport } = await import('./commands/ending.js');
  const end = ending(failureClass, untrusted);
  if (printMessage) process.stderr.write(inertOutput(`mailcheck: ${end.error.message}\n${end.error.hint ? `  ${end.error.hint}\n` : ''}`));
  // Once a command has its view, the flags are parsed: its mode says what was asked for.
  const view = runs.view;
  const asked = view ? { json: view.mode.json, markdownPath: view.mode.markdownPath } : start;
  if ((asked.json || asked.markdownPath !== undefined) && !view?.reportShown) {
    const [{ printEarlyEnd }, { Output }] = await Promise.all([import('./render/printer.js'), import('./render/output.js')]);
    printEarlyEnd(view?.output ?? new Output(), endingReport(start.command, end, start.started), asked);
  }
  return ExitCode[failureClass];
}

/** @inquirer/prompts rejects with ExitPromptError when the user presses Ctrl-C in a prompt. */
function isPromptAbort(error: unknown): boolean {
  return (error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError';
}
