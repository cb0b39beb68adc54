import { secretKeys, variableNames } from '../config/variables.js';
import { UserError } from '../errors.js';
import { ExitCode, type FailureClass } from '../exit-codes.js';
import { earlyEndReport, type Report, type ReportError } from '../report/model.js';
import { Scrubber } from '../safety/secrets.js';
import { safeLine } from '../safety/text.js';
import type { Env } from './run.js';

/**
 * How a run ends when it cannot finish its checks: a usage or configuration error (UserError), a
 * bug, or an interruption that the command did not answer in time. The CLI and the library end
 * such runs alike, with the same report; only the CLI prints it.
 */
export interface Ending {
  failureClass: FailureClass;
  error: ReportError;
}

/** Messages quote paths and values from flags and files: one line each, whatever those hold. */
export function ending(failureClass: FailureClass, untrusted: ReportError): Ending {
  const error: ReportError = { message: safeLine(untrusted.message, 2000), ...(untrusted.hint ? { hint: safeLine(untrusted.hint, 2000) } : {}) };
  return { failureClass, error };
}

/**
 * What a thrown error means for the run: a UserError carries its class, anything else is a bug.
 * A bug's message may quote anything, so `secrets` (secretScrubber) are scrubbed from it;
 * `bugHint` says how to report it (the CLI and the library say it differently).
 */
export function endingOfError(error: unknown, secrets: Scrubber, bugHint: string): Ending {
  if (error instanceof UserError) return ending(failureClassOf(error.exitCode), { message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
  const message = safeLine(secrets.scrub(String((error as Error)?.message ?? error)));
  return ending('internal', { message: `unexpected error: ${message}`, hint: bugHint });
}

/**
 * The secrets a run may have been given, for scrubbing a bug's message and stack: those in its
 * environment, read or not, and those it read elsewhere (RunContext.secrets).
 */
export function secretScrubber(env: Env, read: Iterable<string>): Scrubber {
  const scrubber = new Scrubber();
  for (const key of secretKeys) for (const name of variableNames[key]) scrubber.add(env[name]);
  for (const secret of read) scrubber.add(secret);
  return scrubber;
}

export function endingReport(command: string, end: Ending, started: number): Report {
  return earlyEndReport(command, end.failureClass, end.error, Math.round(performance.now() - started));
}

function failureClassOf(exitCode: number): FailureClass {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).find((k): k is FailureClass => k !== 'ok' && ExitCode[k] === exitCode) ?? 'internal';
}
