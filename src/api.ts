/**
 * The library: `import { doctor, test, probe } from 'mailcheck-cli'`. Each function runs the
 * command of its name inside the calling program and resolves to the report that `mailcheck
 * <command> --json` prints for the same input, `result.exitCode` included. It never prints,
 * prompts, reads stdin, exits, or reads or changes process.env or process.exitCode; it rejects
 * only when the options themselves are wrong (a TypeError). Every other outcome, a missing env
 * file, a bad value, a network failure, an abort, is in the report.
 *
 * Importing this module loads nothing else: the option checks, the command and what it needs
 * (nodemailer, resend, ...) load when a function is called.
 */
import type { commandFlags, globalFlags, LibraryOptionsOf } from './commands/flags.js';
import type { Report } from './report/model.js';
import type { AbortSignalLike } from './commands/run.js';

export type { AbortSignalLike } from './commands/run.js';

export type { Check, CheckStatus, ConfigEntry, Report, ReportError } from './report/model.js';
export type { Diagnosis } from './diagnose/types.js';
export type { FailureClass } from './exit-codes.js';
export type { LintFinding } from './config/lint.js';
export type { ProbeReport } from './report/probe.js';
export type { TlsInfo } from './report/tls.js';
export type { TranscriptLine } from './report/transcript.js';

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

/** The command runs in commands/embedded.ts, loaded only now: importing the library costs almost nothing. */
async function run(command: 'doctor' | 'test' | 'probe', options: unknown): Promise<Report> {
  const taken = snapshot(options);
  const { runForLibrary } = await import('./commands/embedded.js');
  return runForLibrary(command, taken);
}

/** Copies taken at the call, before anything loads: the caller may change its own objects while the run goes on. */
function snapshot(options: unknown): unknown {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return options;
  const copy = (key: string, value: unknown) =>
    Array.isArray(value) ? [...value] : key === 'env' && typeof value === 'object' && value !== null ? { ...value } : value;
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key, copy(key, value)]));
}
