import { networkCheckFor, type NetworkFindings } from '../checks/network.js';
import { parseAddress } from '../config/address.js';
import { loadConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { Live } from './live.js';
import { parseTimeout, readPasswordFromStdin, readCaFile, smtpFlags, type GlobalOptions, type SmtpFlagOptions } from './options.js';

export interface DoctorOptions extends GlobalOptions, SmtpFlagOptions {
  /** Walk through DATA and send one real message; without it nothing is ever sent. */
  send?: boolean;
  /** Warnings fail the run (exit 11). */
  strict?: boolean;
  /** Resend's SMTP relay: also check the SMTP password as a key against the Resend API. */
  apiCheck?: boolean;
}

/**
 * `mailcheck doctor`: lint, then one network check for the active provider, then a report for
 * people, machines (--json) and GitHub Actions. Nothing is sent unless --send is given.
 */
export async function runDoctor(options: DoctorOptions, signal: AbortSignal): Promise<number> {
  const timeoutMs = parseTimeout(options.timeout);
  const recipient = options.to === undefined ? undefined : recipientFromFlag(options.to);
  const ca = readCaFile(options.caFile);
  const loaded = loadConfig({
    env: process.env,
    flags: smtpFlags(options),
    ...(options.envFile ? { envFiles: options.envFile } : {}),
    ...(options.passwordStdin ? { passwordFromStdin: await readPasswordFromStdin() } : {}),
  });
  const live = new Live(options, loaded.redactor);
  const check = networkCheckFor(loaded, options.send === true, options.apiCheck === true);
  // Started before the report's modules load: they load while the server is still answering.
  const running = check && live.start(check, { send: options.send === true, timeoutMs, redactor: loaded.redactor, signal, ...(recipient ? { recipient } : {}), ...(ca ? { ca } : {}) });
  const { Session } = await import('./session.js');
  const session = new Session('doctor', loaded, live);
  session.printHeader();

  let findings: NetworkFindings = { checks: [], diagnoses: [] };
  if (check && running) {
    session.showTranscript(check.title);
    findings = await running;
    if (signal.aborted) {
      session.progress.stop();
      return ExitCode.interrupted;
    }
  }
  const report = session.finish(findings, options.strict === true);
  if (session.mode.githubActions) {
    const { emitGithubActions } = await import('../render/github.js');
    emitGithubActions(report, { output: session.output, redactor: loaded.redactor, env: process.env, json: session.mode.json });
  }
  return report.result.exitCode;
}

/** `--to` is only probed with RCPT unless --send; either way it must be an address. */
function recipientFromFlag(text: string): string {
  const parsed = parseAddress(text);
  if (!parsed) throw new UserError(`--to ${JSON.stringify(text)} is not an email address`, ExitCode.usage, 'write it as you@example.com, or leave --to out to probe the sender address itself');
  return parsed.address;
}
