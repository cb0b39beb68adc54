import type { ProviderKind } from '../config/detect.js';
import type { LintFinding } from '../config/lint.js';
import { shownValue } from '../config/shown.js';
import { describeSource, type Setting } from '../config/source.js';
import type { SettingKey } from '../config/variables.js';
import type { Diagnosis, SmtpStage } from '../diagnose/types.js';
import { ExitCode, exitCodeFor, type FailureClass } from '../exit-codes.js';
import type { ProbeReport } from './probe.js';
import type { TlsInfo } from './tls.js';
import { runtimeVersions, type Versions } from '../version.js';
import type { TranscriptLine } from './transcript.js';

/** Bumped only when a key is removed or changes meaning; adding keys keeps the version. */
export const schemaVersion = 1;

/** Time spent in one SMTP stage (`timings.stages`). */
export interface StageTiming {
  stage: SmtpStage;
  ms: number;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** Stable identifier, never reworded (e.g. "smtp.auth"). */
  id: string;
  status: CheckStatus;
  /** Human wording; free to change between versions. */
  title: string;
  detail?: string;
  ms?: number;
  /** What the check read (DNS records), each line terminal-safe. */
  records?: string[];
  /** For a warning: what to do, e.g. the DNS record to publish (a failure's fixes are in its diagnosis). */
  fix?: string;
}

export interface ConfigEntry {
  variable: string;
  /** Secrets appear masked (prefix and length only). */
  value: string;
  source: string;
}

/** A server that does not advertise AUTH accepts any password without checking it: machines need to know. */
export interface AuthReport {
  advertised: boolean;
  /** A login was attempted and accepted (235). */
  performed: boolean;
  mechanisms: string[];
}

/** A run that ended before its checks could (bad flag, unreadable file, interruption, a bug): what happened and what to do. */
export interface ReportError {
  message: string;
  hint?: string;
}

/** Which configuration files a run read, and which it saw beside them but did not read. */
export interface ReportFiles {
  /** In the order read (later files win). */
  read: string[];
  /** `.env.local`, `.env.production`, ... in the current directory: `--dotenv <name>` reads one. */
  candidates: string[];
}

export interface Report {
  schemaVersion: number;
  command: string;
  versions: Versions;
  /** `unknown` when the run ended before the configuration was read (see `error`). */
  provider: { kind: ProviderKind | 'unknown'; reason: string };
  config: ConfigEntry[];
  files: ReportFiles;
  lint: LintFinding[];
  checks: Check[];
  transcript: TranscriptLine[];
  tls?: TlsInfo;
  /** Whether the server offered AUTH and whether mailcheck really logged in (absent when the session never got that far). */
  auth?: AuthReport;
  diagnoses: Diagnosis[];
  timings: { totalMs: number; stages: StageTiming[] };
  message?: { id?: string; serverReply?: string };
  /** `mailcheck probe`: every port x mode tried, and the recommended combination. */
  probe?: ProbeReport;
  /** Present when the run ended early; the other keys are then empty. */
  error?: ReportError;
  result: { ok: boolean; exitCode: number; failureClass?: FailureClass };
}

/** Each setting as it may be shown: secrets and credential-shaped values masked (config/shown.ts). */
export function configEntries(settings: Partial<Record<SettingKey, Setting>>): ConfigEntry[] {
  return (Object.entries(settings) as [SettingKey, Setting][]).map(([key, setting]) => ({
    variable: setting.name,
    value: shownValue(key, settings),
    source: describeSource(setting.source),
  }));
}

/** The report of a run that ended before it had findings, so that --json still prints one document. */
export function earlyEndReport(command: string, failureClass: FailureClass, error: ReportError, totalMs: number): Report {
  return {
    schemaVersion,
    command,
    versions: runtimeVersions(),
    provider: { kind: 'unknown', reason: 'the run ended before the configuration was read' },
    config: [],
    files: { read: [], candidates: [] },
    lint: [],
    checks: [],
    transcript: [],
    diagnoses: [],
    timings: { totalMs, stages: [] },
    error,
    result: { ok: false, exitCode: ExitCode[failureClass], failureClass },
  };
}

/**
 * The exit code follows the failures present: a lint failure is a configuration problem, each
 * diagnosis carries its own class, and warnings count only under --strict.
 */
export function decideOutcome(report: Pick<Report, 'lint' | 'checks' | 'diagnoses'>, strict: boolean, interrupted = false): Report['result'] {
  const classes: FailureClass[] = report.diagnoses.map((d) => d.class);
  if (interrupted) classes.push('interrupted');
  if (report.lint.some((f) => f.status === 'fail')) classes.push('config');
  const warned = report.lint.some((f) => f.status === 'warn') || report.checks.some((c) => c.status === 'warn');
  if (strict && warned) classes.push('warnings');
  const exitCode = exitCodeFor(classes);
  const failureClass = (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).find((k) => k !== 'ok' && ExitCode[k] === exitCode) as FailureClass | undefined;
  return failureClass ? { ok: false, exitCode, failureClass } : { ok: true, exitCode };
}
