import { networkCheckFor, type NetworkFindings } from '../checks/network.js';
import type { DnsOptions } from './dns.js';
import { Live } from './live.js';
import { runConfig, sandboxFromFlag } from './sandbox-config.js';
import {
  checkAuthMethodCredentials,
  dnsServerFromFlag,
  parseTimeout,
  readCaFile,
  recipientFromFlag,
  sessionChoicesFromFlags,
  type GlobalOptions,
  type SmtpFlagOptions,
} from './options.js';

export interface DoctorOptions extends GlobalOptions, SmtpFlagOptions, DnsOptions {
  /** Walk through DATA and send one real message; without it nothing is ever sent. */
  send?: boolean;
  /** Warnings fail the run (exit 11). */
  strict?: boolean;
  /** Resend's SMTP relay: also check the SMTP password as a key against the Resend API. */
  apiCheck?: boolean;
  /** commander's --no-dns gives dns: false. */
  dns?: boolean;
  /** Against the embedded server on loopback (no DNS checks: its domain is reserved). */
  sandbox?: boolean;
}

/**
 * `mailcheck doctor`: lint, then one network check for the active provider, then a report for
 * people, machines (--json) and GitHub Actions. Nothing is sent unless --send is given.
 */
export async function runDoctor(options: DoctorOptions, signal: AbortSignal): Promise<number> {
  const timeoutMs = parseTimeout(options.timeout);
  const recipient = options.to === undefined ? undefined : recipientFromFlag(options.to);
  const caFile = readCaFile(options.caFile);
  const dnsServer = dnsServerFromFlag(options.dnsServer);
  const choices = sessionChoicesFromFlags(options);
  const sandbox = await sandboxFromFlag(options);
  try {
    const loaded = await runConfig(options, sandbox);
    checkAuthMethodCredentials(choices.authMethod, loaded);
    const ca = sandbox ? sandbox.ca : caFile;
    const live = new Live(options);
    const check = networkCheckFor(loaded, options.send === true, options.apiCheck === true);
    // Started before the report's modules load: they load while the server is still answering.
    const running =
      check &&
      live.start(check, {
        send: options.send === true,
        timeoutMs,
        signal,
        choices,
        reportFamilies: true,
        ...(recipient ? { recipient } : {}),
        ...(ca ? { ca } : {}),
        ...(dnsServer ? { dnsServer } : {}),
      });
    const { Session } = await import('./session.js');
    const session = new Session('doctor', loaded, live);
    session.printHeader();

    let findings: NetworkFindings = { checks: [], diagnoses: [] };
    if (check && running) {
      session.showTranscript(check.title);
      findings = await running;
      if (signal.aborted) return session.finishInterrupted(findings).result.exitCode;
      // The sandbox's sender domain (mailcheck.test) is reserved: no DNS anywhere has records for it.
      if (options.dns !== false && !sandbox) {
        const { withDnsFindings } = await import('./dns.js');
        findings = await withDnsFindings(
          findings,
          loaded,
          { timeoutMs, server: dnsServer, ...(options.dkimSelector ? { dkimSelector: options.dkimSelector } : {}) },
          live.recorder,
          signal,
        );
        if (signal.aborted) return session.finishInterrupted(findings).result.exitCode;
      }
    }
    const report = session.finish(findings, options.strict === true);
    if (session.mode.githubActions) {
      const { emitGithubActions } = await import('../render/github.js');
      emitGithubActions(report, { output: session.output, env: process.env, json: session.mode.json });
    }
    return report.result.exitCode;
  } finally {
    await sandbox?.close();
  }
}
