import { networkCheckFor, type NetworkCheck } from '../checks/network.js';
import { ExitCode } from '../exit-codes.js';
import type { Problem } from '../interactive/fix-offer.js';
import { resendTestRecipient } from '../resend/settings.js';
import { Live } from './live.js';
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
import { askRecipient } from './recipient.js';
import { runConfig, sandboxFromFlag } from './sandbox-config.js';
import type { Session } from './session.js';

export interface TestOptions extends GlobalOptions, SmtpFlagOptions {
  sandbox?: boolean;
}

/** `mailcheck test`: walk the whole session and send one real test message. */
export async function runTest(options: TestOptions, signal: AbortSignal): Promise<number> {
  const timeoutMs = parseTimeout(options.timeout);
  const toFlag = options.to === undefined ? undefined : recipientFromFlag(options.to);
  const caFile = readCaFile(options.caFile);
  const dnsServer = dnsServerFromFlag(options.dnsServer);
  const choices = sessionChoicesFromFlags(options);
  const sandbox = await sandboxFromFlag(options);
  try {
    const loaded = await runConfig(options, sandbox);
    checkAuthMethodCredentials(choices.authMethod, loaded);
    const live = new Live(options);
    const check = networkCheckFor(loaded, true);
    const ca = sandbox ? sandbox.ca : caFile;
    const start = (networkCheck: NetworkCheck, recipient: string) =>
      live.start(networkCheck, { send: true, recipient, timeoutMs, signal, choices, ...(ca ? { ca } : {}), ...(dnsServer ? { dnsServer } : {}) });
    // The server's first answer is the slowest part of a session (a network round trip, and many
    // servers pause before greeting), so with the recipient known the session starts now and
    // the modules that print the report load while the server is still answering.
    let recipient = toFlag ?? sandbox?.recipient;
    let running = check && recipient !== undefined ? start(check, recipient) : undefined;

    const { Session } = await import('./session.js');
    const session = new Session('test', loaded, live);
    session.printHeader();
    if (loaded.detection.provider === 'none' && session.mode.interactive && !sandbox) {
      session.output.err('\nNo email provider is configured yet: let us set one up (this is `mailcheck init`).\n');
      return (await import('./init.js')).runInit(options, signal);
    }
    if (!check) {
      const exitCode = session.finish({ checks: [], diagnoses: [] }).result.exitCode;
      return offerFix(
        session,
        loaded.lint.filter((f) => f.status === 'fail'),
        exitCode,
        () => runTest(options, signal),
      );
    }
    if (running === undefined) {
      recipient = await askRecipient(session.mode, loaded.detection.provider === 'resend' ? resendTestRecipient : undefined);
      running = start(check, recipient);
    }
    session.showTranscript(check.title);
    const findings = await running;
    if (signal.aborted) return session.finishInterrupted(findings).result.exitCode;
    const exitCode = session.finish(findings).result.exitCode;
    return offerFix(session, findings.diagnoses, exitCode, () => runTest({ ...options, ...(recipient !== undefined ? { to: recipient } : {}) }, signal));
  } finally {
    await sandbox?.close();
  }
}

/** The fix offer and its prompts load only when a run failed at a terminal (it asks what to change). */
async function offerFix(session: Session, problems: readonly Problem[], exitCode: number, rerun: () => Promise<number>): Promise<number> {
  if (exitCode === ExitCode.ok || !session.mode.interactive) return exitCode;
  const { offerFixAfterFailure } = await import('../interactive/fix-offer.js');
  return offerFixAfterFailure(session, problems, exitCode, rerun);
}
