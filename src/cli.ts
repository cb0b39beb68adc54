import { Command, CommanderError, Option } from 'commander';
import { UserError } from './errors.js';
import { ExitCode, exitCodeMeanings, type FailureClass } from './exit-codes.js';
import type { ReportError } from './report/model.js';
import { Scrubber } from './safety/secrets.js';
import { inertOutput, safeLine } from './safety/text.js';
import { version } from './version.js';
import { authMethods } from './diagnose/types.js';

function exitCodeTable(): string {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).map((k) => `  ${String(ExitCode[k]).padStart(3)}  ${exitCodeMeanings[k]}`).join('\n');
}

const oauth2Flag = '--oauth2-token-stdin';
const oauth2Help =
  'read an OAuth 2.0 access token from standard input and log in with XOAUTH2 where the server offers it (instead of SMTP_PASSWORD; never from a flag)';
const caFileFlag = '--ca-file <path>';
const dkimSelectorFlag = '--dkim-selector <name>';
const dkimSelectorHelp = "check DKIM at this selector (<name>._domainkey.<domain>; repeatable) instead of the provider's own";
const collect = (value: string, previous: string[] = []) => [...previous, value];
const caFileHelp = "trust the SMTP server's certificate if this PEM CA signed it (instead of Node's built-in roots, as curl --cacert)";

const sandboxHelp = 'run against a local SMTP server on loopback: see a complete session without credentials';

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

/** -4/-6, --ehlo, --auth-method: how the SMTP connection is made, the same on every command that makes one (commands/options.ts reads them). */
function addConnectionFlags(command: Command): Command {
  return command
    .option('-4, --ipv4', 'connect to the SMTP server over IPv4 only')
    .option('-6, --ipv6', 'connect to the SMTP server over IPv6 only')
    .option('--ehlo <name>', "the name sent in EHLO/HELO: a host name, or an address literal such as [192.0.2.1] (default: this machine's host name)")
    .option('--auth-method <mechanism>', `log in with this AUTH mechanism only: ${authMethods.join(', ')} (default: the best one the server offers)`);
}

/** The SMTP overrides shared by `test`, `doctor` and `init`. No --password: flags end up in shell history and `ps`. */
function addSmtpFlags(command: Command): Command {
  return addConnectionFlags(command)
    .option('--host <host>', 'override SMTP_HOST')
    .option('--port <port>', 'override SMTP_PORT')
    .option('--user <user>', 'override SMTP_USER')
    .addOption(new Option('--secure <0|1>', 'override SMTP_SECURE (1 = implicit TLS, 0 = STARTTLS)'))
    .option('--from <address>', 'override SMTP_SENDER')
    .option('--password-stdin', 'read the password from standard input (never from a flag)')
    .option(caFileFlag, caFileHelp);
}

export function buildProgram(signal: AbortSignal): Command {
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
    .option('-e, --dotenv <path>', 'read variables from this file (repeatable; later files win; default ./.env)', addDotenv)
    .addOption(
      new Option(
        '--env-file <path>',
        'the same as --dotenv, but Node 20 acts on it too: a missing file ends the run with "node: <path>: not found" (exit 9)',
      ).argParser(addDotenv),
    )
    .option('--json', 'print one JSON document on stdout (see the README for its shape)')
    .option('--report <path>', 'also write the report as Markdown to this file, to paste into an issue (secrets masked)')
    .option('-q, --quiet', 'print only the verdict line (the exit code says the rest)')
    .option('-v, --verbose', 'also print the rules that passed and the time of each SMTP stage')
    .option('--no-color', 'never colour the output (also NO_COLOR=1; FORCE_COLOR=1 forces it on)')
    .option('--no-input', 'never prompt (implied when not on a terminal or when CI is set)')
    .option('--timeout <duration>', 'bound for each step, e.g. 5s or 1500ms', '5s')
    .option(
      '--dns-server <ip[:port]>',
      'send every DNS query to this server: the DNS checks, and the lookups of the SMTP host and the Resend API (for split-horizon DNS, or a test server)',
    )
    .addHelpText('after', `${withExamples('mailcheck')}\nExit codes:\n${exitCodeTable()}\n`)
    .showHelpAfterError('(run mailcheck --help for usage)')
    // Set before the commands are added, which copy it: each command's --help lists the global options too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  addSmtpFlags(
    program
      .command('test')
      .description('walk a whole SMTP session with a live transcript and send one test message')
      .option('--to <address>', 'recipient of the test message (asked for on a terminal; with Resend, delivered@resend.dev is a test inbox)')
      .option(oauth2Flag, oauth2Help)
      .option('--sandbox', sandboxHelp),
  )
    .addHelpText('after', withExamples('test'))
    .action(async (_opts, command: Command) => {
      const { runTest } = await import('./commands/test.js');
      process.exitCode = await runTest(command.optsWithGlobals(), signal);
    });

  addSmtpFlags(
    program
      .command('doctor')
      .description('check the configuration and the server without sending anything (for CI and deploy checks)')
      .option('--to <address>', 'recipient to probe with RCPT TO (default: the sender address itself)')
      .option('--send', 'also send one real test message (to --to, or to the sender)')
      .option(oauth2Flag, oauth2Help)
      .option('--strict', 'fail on warnings too (exit 11)')
      .option('--api-check', "with Resend's SMTP relay (smtp.resend.com): also check the SMTP password as a key against the Resend API")
      .option('--no-dns', "skip the DNS checks of the sender's domain (SPF, DKIM, DMARC, MX)")
      .option(dkimSelectorFlag, dkimSelectorHelp, collect)
      .option('--sandbox', sandboxHelp),
  )
    .addHelpText('after', withExamples('doctor'))
    .action(async (_opts, command: Command) => {
      const { runDoctor } = await import('./commands/doctor.js');
      process.exitCode = await runDoctor(command.optsWithGlobals(), signal);
    });

  addSmtpFlags(
    program
      .command('init')
      .description('set up email step by step: choose a provider, check it live, then write .env (after you confirm)')
      .option('--provider <id>', 'resend-api, resend (SMTP relay), gmail, sendgrid, ses, office365, mailgun, postmark, or other (asked for on a terminal)')
      .option('--region <region>', 'Amazon SES region, e.g. eu-west-1 (asked for on a terminal)')
      .option('--to <address>', 'recipient of the test message (asked for on a terminal)')
      .option('--write', 'without a terminal: write the values to .env (the last --dotenv) once the check passes'),
  )
    .addHelpText('after', withExamples('init'))
    .action(async (_opts, command: Command) => {
      const { runInit } = await import('./commands/init.js');
      process.exitCode = await runInit(command.optsWithGlobals(), signal);
    });

  program
    .command('dns [domain]')
    .description("check the sending domain's DNS (MX, SPF, DKIM, DMARC) for the provider in use: will the mail arrive? (domain defaults to the sender's)")
    .option('--provider <id>', 'judge the records for this provider instead of the configured one: resend, gmail, sendgrid, ses, office365, mailgun, postmark')
    .option(dkimSelectorFlag, dkimSelectorHelp, collect)
    .option('--strict', 'fail on warnings too (exit 11)')
    .addHelpText('after', withExamples('dns'))
    .action(async (domain: string | undefined, _opts, command: Command) => {
      const { runDns } = await import('./commands/dns.js');
      process.exitCode = await runDns(domain, command.optsWithGlobals(), signal);
    });

  addConnectionFlags(
    program
      .command('probe [host]')
      .description('try every submission port in every TLS mode at once and print the SMTP_PORT and SMTP_SECURE that work (host defaults to SMTP_HOST)')
      .option('--ports <list>', 'ports to try instead of 465,587,25,2465,2587,2525 (the configured port is always added)')
      .option('--auth', 'also log in with SMTP_USER and SMTP_PASSWORD on every combination that works over verified TLS')
      .option('--password-stdin', 'read the password for --auth from standard input (never from a flag)')
      .option(caFileFlag, caFileHelp)
      .option('--sandbox', 'probe a local SMTP server on loopback (STARTTLS with its own certificate): see what a probe shows without a server of your own'),
  )
    .addHelpText('after', withExamples('probe'))
    .action(async (host: string | undefined, _opts, command: Command) => {
      const { runProbe } = await import('./commands/probe.js');
      const options = command.optsWithGlobals();
      // The probe's own default (3 s) applies unless --timeout was typed; 5 s is the walk's.
      if (command.getOptionValueSourceWithGlobals('timeout') === 'default') delete options.timeout;
      process.exitCode = await runProbe(host, options, signal);
    });

  return program;
}

/** How long a Ctrl-C waits for a clean stop before leaving anyway. */
const interruptGraceMs = 500;

const commandNames = ['test', 'doctor', 'init', 'probe', 'dns'];

/** Entry point: parses argv, runs the command, and maps every way of ending to an exit code. */
export async function main(argv: string[], early: { interrupted: boolean } = { interrupted: false }): Promise<void> {
  const started = performance.now();
  // Read before commander parses, so that even a usage error under --json ends in a document.
  const args = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const ending = { json: args.includes('--json'), command: args.find((a) => commandNames.includes(a)) ?? 'mailcheck', started };
  // A reader that left (`mailcheck doctor | head -1`) or a full disk must not decide the exit code:
  // the rest of the output is dropped, the check runs to its end, and its verdict is the exit code.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const controller = new AbortController();
  let interrupted = false;
  const onInterrupt = () => {
    // First Ctrl-C: close sockets and stop cleanly. Second: leave now.
    if (interrupted) process.exit(ExitCode.interrupted);
    interrupted = true;
    controller.abort();
    process.exitCode = ExitCode.interrupted;
    // Sockets close on abort and the command reports within milliseconds. Whatever does not
    // listen to the signal (a --password-stdin pipe that stays open) must not keep it alive.
    setTimeout(() => {
      void endEarly(ending, 'interrupted', { message: 'interrupted (Ctrl-C)' }).finally(() => process.exit(ExitCode.interrupted));
    }, interruptGraceMs).unref();
  };
  process.on('SIGINT', onInterrupt);
  if (early.interrupted) onInterrupt();

  const program = buildProgram(controller.signal);
  // commander's own messages (usage errors) pass the same gate as everything else: argv is text too.
  program.configureOutput({ writeOut: (text) => process.stdout.write(inertOutput(text)), writeErr: (text) => process.stderr.write(inertOutput(text)) });
  try {
    await program.parseAsync(argv);
    if (interrupted) process.exitCode = ExitCode.interrupted;
  } catch (error) {
    process.exitCode = await handleError(error, ending);
  }
}

interface Ending {
  json: boolean;
  command: string;
  started: number;
}

async function handleError(error: unknown, ending: Ending): Promise<number> {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0; commander printed the message.
    if (error.exitCode === 0) return ExitCode.ok;
    return endEarly(ending, 'usage', { message: error.message.replace(/^error: /, '') }, false);
  }
  if (error instanceof UserError) {
    const failureClass = failureClassOf(error.exitCode);
    return endEarly(ending, failureClass, { message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
  }
  if (isPromptAbort(error)) return endEarly(ending, 'interrupted', { message: 'interrupted (Ctrl-C)' }, false);
  // A bug. Keep it short; the stack only on request. The message may quote anything: scrub what is known.
  const scrubber = new Scrubber().add(process.env.SMTP_PASSWORD).add(process.env.SMTP_PASS).add(process.env.RESEND_API_KEY);
  const message = safeLine(scrubber.scrub(String((error as Error)?.message ?? error)));
  const hint = `This is a bug. Please report it with the command you ran${process.env.MAILCHECK_DEBUG ? '' : ' (set MAILCHECK_DEBUG=1 for details)'}.`;
  const exitCode = await endEarly(ending, 'internal', { message: `unexpected error: ${message}`, hint });
  if (process.env.MAILCHECK_DEBUG) process.stderr.write(`${scrubber.scrub((error as Error)?.stack ?? '')}\n`);
  return exitCode;
}

/**
 * The end of a run that has no report of its own: a message on stderr for people (unless commander
 * already printed one), and under --json the one document stdout promises, unless a command
 * already wrote its report.
 */
async function endEarly(ending: Ending, failureClass: FailureClass, untrusted: ReportError, printMessage = true): Promise<number> {
  // Messages quote paths and values from flags: one line each, whatever those hold.
  const error: ReportError = { message: safeLine(untrusted.message, 2000), ...(untrusted.hint ? { hint: safeLine(untrusted.hint, 2000) } : {}) };
  if (printMessage) process.stderr.write(inertOutput(`mailcheck: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`));
  if (ending.json) {
    const [{ jsonDocumentWritten, renderJson }, { earlyEndReport }, { Output }] = await Promise.all([
      import('./render/json.js'),
      import('./report/model.js'),
      import('./render/output.js'),
    ]);
    if (!jsonDocumentWritten()) renderJson(new Output(), earlyEndReport(ending.command, failureClass, error, Math.round(performance.now() - ending.started)));
  }
  return ExitCode[failureClass];
}

function failureClassOf(exitCode: number): FailureClass {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).find((k): k is FailureClass => k !== 'ok' && ExitCode[k] === exitCode) ?? 'internal';
}

/** @inquirer/prompts rejects with ExitPromptError when the user presses Ctrl-C in a prompt. */
function isPromptAbort(error: unknown): boolean {
  return (error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError';
}
