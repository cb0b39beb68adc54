import { networkCheckFor, type NetworkFindings } from '../checks/network.js';
import type { Report } from '../report/model.js';
import type { CommandOptions } from './flags.js';
import { Live } from './live.js';
import { checkAuthMethodCredentials, walkFlagsFrom } from './options.js';
import type { RunContext } from './run.js';
import { runConfig, sandboxFromFlag } from './sandbox-config.js';
import { Session } from './session.js';

/** Without --send nothing is ever sent; --no-dns gives `dns: false`; --sandbox has no DNS checks (its domain is reserved). */
export type DoctorOptions = CommandOptions<'doctor'>;

/**
 * `mailcheck doctor`: lint, then one network check for the active provider, then the DNS checks
 * of the sender's domain, all in one report (for people, machines and GitHub Actions: the view
 * decides). Nothing is sent unless --send is given.
 */
export async function runDoctor(options: DoctorOptions, run: RunContext): Promise<Report> {
  const { signal } = run;
  const { timeoutMs, recipient, caFile, dnsServer, choices } = walkFlagsFrom(options);
  const sandbox = await sandboxFromFlag(options);
  try {
    const loaded = await runConfig(options, sandbox, run);
    checkAuthMethodCredentials(choices.authMethod, loaded);
    const ca = sandbox ? sandbox.ca : caFile;
    const live = new Live(run.view);
    const check = networkCheckFor(loaded, options.send === true, options.apiCheck === true);
    // Started before the view has loaded its printer: that loads while the server is still answering.
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
    const session = await Session.open('doctor', loaded, live);
    session.showHeader();

    let findings: NetworkFindings = { checks: [], diagnoses: [] };
    if (check && running) {
      session.showTranscript(check.title);
      findings = await running;
      if (signal.aborted) return session.finishInterrupted(findings);
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
        if (signal.aborted) return session.finishInterrupted(findings);
      }
    }
    return session.finish(findings, options.strict === true);
  } finally {
    await sandbox?.close();
  }
}
