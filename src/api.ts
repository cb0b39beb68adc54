/**
 * The library: `import { doctor, test, probe } from 'mailcheck-cli'`. Each function runs the
 * command of its name inside the calling program and resolves to the report that `mailcheck
 * <command> --json` prints for the same input, `result.exitCode` included. It never prints,
 * prompts, reads stdin, exits, or reads or changes process.env or process.exitCode; it rejects
 * only when the options themselves are wrong (a TypeError). Every other outcome, a missing env
 * file, a bad value, a network failure, an abort, is in the report.
 *
 * Importing this module loads only the option tables: a command, and what it needs (nodemailer,
 * resend, ...), loads when its function is called.
 */
import { commandFlags, type FlagSpec, globalFlags, type LibraryOptionsOf, valueKind } from './commands/flags.js';
import type { Report } from './report/model.js';

export type { Check, CheckStatus, ConfigEntry, Report, ReportError } from './report/model.js';
export type { Diagnosis } from './diagnose/types.js';
export type { FailureClass } from './exit-codes.js';
export type { LintFinding } from './config/lint.js';
export type { ProbeReport } from './report/probe.js';
export type { TlsInfo } from './report/tls.js';
export type { TranscriptLine } from './report/transcript.js';

/** An AbortSignal (the DOM's or Node's): only what the library uses of one. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What every function takes besides the command's own options. */
export interface RunOptions {
  /**
   * The variables to read (SMTP_HOST, RESEND_API_KEY, ...), instead of process.env, which is never
   * read: pass `process.env` to use the process's own. Default: none.
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * .env files to read, as repeated `--dotenv` (later files win; `env` outranks them all). Default:
   * none; unlike the CLI, `./.env` is not read unless named. Relative paths are relative to
   * process.cwd(). A file that cannot be read is a configuration error in the report (exit 3).
   */
  envFiles?: readonly string[] | undefined;
  /** Aborting it interrupts the run as Ctrl-C does: the report of what was checked, exit code 130. */
  signal?: AbortSignalLike | undefined;
}

/** The flags every command takes that the library takes too: `timeout` ('5s', '1500ms') and `dnsServer`. */
type Common = LibraryOptionsOf<typeof globalFlags>;

/** `doctor`'s flags in camelCase (`caFile`, `strict: true`; `dns: false` is --no-dns). */
export type DoctorOptions = RunOptions & Common & LibraryOptionsOf<typeof commandFlags.doctor>;
/** `test`'s flags in camelCase; `to` is needed, except with `sandbox: true`. */
export type TestOptions = RunOptions & Common & LibraryOptionsOf<typeof commandFlags.test>;
export type ProbeOptions = RunOptions &
  Common &
  LibraryOptionsOf<typeof commandFlags.probe> & {
    /** The host to probe (the CLI's argument); default SMTP_HOST. */
    host?: string | undefined;
  };

/** `mailcheck doctor`: the configuration, the server and the sender's DNS; nothing is sent unless `send: true`. */
export async function doctor(options: DoctorOptions = {}): Promise<Report> {
  return run('doctor', options);
}

/** `mailcheck test`: a whole SMTP session (or Resend API call) that sends one test message to `to`. */
export async function test(options: TestOptions = {}): Promise<Report> {
  return run('test', options);
}

/** `mailcheck probe`: every submission port in every TLS mode, and the SMTP_PORT and SMTP_SECURE that work. */
export async function probe(options: ProbeOptions = {}): Promise<Report> {
  return run('probe', options);
}

type Command = 'doctor' | 'test' | 'probe';

/** Options of the library's own, beside the flags; `host` is probe's argument. */
const ownOptions = { env: 'env', envFiles: 'list', signal: 'signal' } as const;
const arguments_: Partial<Record<Command, Record<string, 'string'>>> = { probe: { host: 'string' } };

/** Checks the options' types (a TypeError rejects the call), then runs the command, loaded now. */
async function run(command: Command, options: unknown): Promise<Report> {
  checkOptions(command, options);
  const { env, envFiles, signal, ...flags } = options;
  // The command reads a copy: the caller may change its own objects while the run goes on.
  const variables = { ...env };
  const commandOptions = { ...copyLists(flags), dotenv: [...(envFiles ?? [])] };
  // The run's own signal, so that the commands see a real AbortSignal whatever the caller passed.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', onAbort);
  try {
    const { runEmbedded } = await import('./commands/embedded.js');
    // Checked above against the same tables the command's option types are derived from.
    return await runEmbedded(command, commandOptions as Parameters<typeof runEmbedded>[1], variables, controller.signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function copyLists(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).flatMap(([key, value]) => (value === undefined ? [] : [[key, Array.isArray(value) ? [...value] : value]])));
}

/** A programmer's mistake in the options is a TypeError, thrown before anything runs. */
function checkOptions(command: Command, options: unknown): asserts options is RunOptions & Record<string, unknown> {
  const where = `mailcheck ${command}()`;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${where}: options must be an object, not ${describe(options)}`);
  const flags: Record<string, FlagSpec> = { ...globalFlags, ...commandFlags[command] };
  const known = { ...ownOptions, ...arguments_[command] } as Record<string, string>;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const spec = Object.hasOwn(flags, key) ? flags[key] : undefined;
    const kind = Object.hasOwn(known, key) ? known[key] : spec && !spec.cliOnly ? valueKind(spec) : undefined;
    if (kind === undefined) {
      const accepted = [...Object.keys(known), ...Object.keys(flags).filter((k) => !flags[k]!.cliOnly)].sort().join(', ');
      throw new TypeError(
        spec
          ? `${where}: ${key} is a command-line flag only (${spec.flags.replace(/ <.*/, '')}): the library prints nothing, asks nothing and reads no stdin; secrets go in env`
          : `${where}: unknown option ${JSON.stringify(key)}; the options are ${accepted}`,
      );
    }
    const problem = mismatch(kind, value);
    // A flag's value is what the command line would hold: say which flag, as --help spells it.
    const asTyped = spec && kind === 'string' ? ` as on the command line (${spec.flags.replace(/^-\w, /, '')})` : '';
    if (problem) throw new TypeError(`${where}: ${key} must be ${problem}${asTyped}, not ${describe(value)}`);
  }
}

/** What `value` should have been, or undefined when it is of the kind. */
function mismatch(kind: string, value: unknown): string | undefined {
  const strings = (v: unknown) => Array.isArray(v) && v.every((item) => typeof item === 'string');
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'list':
      return strings(value) ? undefined : 'an array of strings';
    case 'env':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => v === undefined || typeof v === 'string')
        ? undefined
        : 'an object of string values (such as process.env)';
    default: {
      const signal = value as Partial<AbortSignalLike> | null;
      return typeof signal === 'object' &&
        signal !== null &&
        typeof signal.aborted === 'boolean' &&
        typeof signal.addEventListener === 'function' &&
        typeof signal.removeEventListener === 'function'
        ? undefined
        : 'an AbortSignal';
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}
