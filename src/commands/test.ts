import { networkCheckFor, type NetworkCheck } from '../checks/network.js';
import { ExitCode } from '../exit-codes.js';
import type { Problem } from '../interactive/fix-offer.js';
import type { Report } from '../report/model.js';
import { resendTestRecipient } from '../resend/settings.js';
import type { CommandOptions } from './flags.js';
import { Live } from './live.js';
import { checkAuthMethodCredentials, walkFlagsFrom } from './options.js';
import { askRecipient } from './recipient.js';
import type { RunContext } from './run.js';
import { runConfig, sandboxFromFlag } from './sandbox-config.js';
import { Session } from './session.js';

export type TestOptions = CommandOptions<'test'>;

/** `mailcheck test`: walk the whole session and send one real test message. */
export async function runTest(options: TestOptions, run: RunContext): Promise<Report> {
  const { signal } = run;
  const { timeoutMs, recipient: toFlag, caFile, dnsServer, choices } = walkFlagsFrom(options);
  const sandbox = await sandboxFromFlag(options);
  try {
    const loaded = await runConfig(options, sandbox, run);
    checkAuthMethodCredentials(choices.authMethod, loaded);
    const live = new Live(run.view);
    const check = networkCheckFor(loaded, true);
    const ca = sandbox ? sandbox.ca : caFile;
    const start = (networkCheck: NetworkCheck, recipient: string) =>
      live.start(networkCheck, { send: true, recipient, timeoutMs, signal, choices, ...(ca ? { ca } : {}), ...(dnsServer ? { dnsServer } : {}) });
    // The server's first answer is the slowest part of a session (a network round trip, and many
    // servers pause before greeting), so with the recipient known the session starts now and
    // the modules that print the report load while the server is still answering.
    let recipient = toFlag ?? sandbox?.recipient;
    let running = check && recipient !== undefined ? start(check, recipient) : undefined;

    const session = await Session.open('test', loaded, live);
    session.showHeader();
    if (loaded.detection.provider === 'none' && run.view.interactive && !sandbox) {
      run.view.output.err('\nNo email provider is configured yet: let us set one up (this is `mailcheck init`).\n');
      return (await import('./init.js')).runInit(options, run);
    }
    if (!check) {
      const report = session.finish({ checks: [], diagnoses: [] });
      return offerFix(
        session,
        loaded.lint.filter((f) => f.status === 'fail'),
        report,
        () => runTest(options, run),
      );
    }
    if (running === undefined) {
      recipient = await askRecipient(run.view, loaded.detection.provider === 'resend' ? resendTestRecipient : undefined);
      running = start(check, recipient);
    }
    session.showTranscript(check.title);
    const findings = await running;
    if (signal.aborted) return session.finishInterrupted(findings);
    const report = session.finish(findings);
    return offerFix(session, findings.diagnoses, report, () => runTest({ ...options, ...(recipient !== undefined ? { to: recipient } : {}) }, run));
  } finally {
    await sandbox?.close();
  }
}

/**
 * The fix offer and its prompts load only when a run failed at a terminal (it asks what to
 * change). After a fix and a run again, the new run's report is the one that counts.
 */
async function offerFix(session: Session, problems: readonly Problem[], report: Report, rerun: () => Promise<Report>): Promise<Report> {
  if (report.result.exitCode === ExitCode.ok || !session.view.interactive) return report;
  const { offerFixAfterFailure } = await import('../interactive/fix-offer.js');
  return offerFixAfterFailure(session, problems, report, rerun);
}
