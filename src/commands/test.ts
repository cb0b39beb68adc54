import { runSmtpCheck } from '../checks/smtp.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { toSmtpSettings } from '../config/smtp-settings.js';
import { ExitCode } from '../exit-codes.js';
import { parseTimeout, readPasswordFromStdin, smtpFlags, type GlobalOptions, type SmtpFlagOptions } from './options.js';
import { sandboxConfig } from './sandbox-config.js';
import { Session } from './session.js';
import { askRecipient } from './recipient.js';
import { offerFixAfterFailure } from '../interactive/fix-offer.js';
import { resolveEndpoint } from '../resend/endpoint.js';
import { resendSettingsFromConfig, resendTestRecipient } from '../resend/settings.js';

export interface TestOptions extends GlobalOptions, SmtpFlagOptions {
  sandbox?: boolean;
}

/** `mailcheck test`: walk the whole session and send one real test message. */
export async function runTest(options: TestOptions, signal: AbortSignal): Promise<number> {
  const timeoutMs = parseTimeout(options.timeout);
  const sandbox = options.sandbox ? await (await import('../sandbox/server.js')).startSandbox() : undefined;
  try {
    const loaded: LoadedConfig = sandbox
      ? sandboxConfig(sandbox)
      : loadConfig({
          env: process.env,
          flags: smtpFlags(options),
          ...(options.envFile ? { envFiles: options.envFile } : {}),
          ...(options.passwordStdin ? { passwordFromStdin: await readPasswordFromStdin() } : {}),
        });
    const session = new Session('test', loaded, options);
    session.printHeader();
    const settings = loaded.detection.provider === 'smtp' ? toSmtpSettings(loaded.config) : undefined;
    if (loaded.detection.provider === 'none' && session.mode.interactive && !sandbox) {
      session.output.err('\nNo email provider is configured yet: let us set one up (this is `mailcheck init`).\n');
      return (await import('./init.js')).runInit(options, signal);
    }
    if (loaded.lint.some((f) => f.status === 'fail') || loaded.detection.provider === 'none') {
      const exitCode = session.finish({ checks: [], diagnoses: [] }).result.exitCode;
      return offerFixAfterFailure(session, loaded.lint.filter((f) => f.status === 'fail'), exitCode, () => runTest(options, signal));
    }
    if (loaded.detection.provider === 'resend') {
      // Loaded on demand: SMTP runs need not pay for importing the resend SDK.
      const { runResendChecks } = await import('../resend/checks.js');
      const resend = resendSettingsFromConfig(loaded.config);
      // Lint passed, so the key and sender parse; the guard only satisfies the types.
      if (!resend) return session.finish({ checks: [], diagnoses: [] }).result.exitCode;
      const endpoint = resolveEndpoint(process.env);
      const recipient = options.to ?? (await askRecipient(session.mode, resendTestRecipient));
      const progress = await session.startProgress();
      session.human?.transcriptTitle(`Resend API at ${endpoint.baseUrl}`);
      const outcome = await runResendChecks({ settings: resend, endpoint, recipient, timeoutMs, recorder: session.recorder, redactor: loaded.redactor, signal, onStep: (text) => progress.update(text) });
      if (outcome.aborted || signal.aborted) {
        progress.stop();
        return ExitCode.interrupted;
      }
      return session.finish(outcome).result.exitCode;
    }
    if (!settings) return session.finish({ checks: [], diagnoses: [] }).result.exitCode;
    const recipient = options.to ?? sandbox?.recipient ?? (await askRecipient(session.mode));
    const progress = await session.startProgress();
    session.human?.transcriptTitle(`session with ${settings.host}:${settings.port}`);
    const outcome = await runSmtpCheck({
      settings,
      recipient,
      deliver: true,
      timeoutMs,
      recorder: session.recorder,
      redactor: loaded.redactor,
      onStage: (stage, status) => status === 'start' && progress.update(`${stage}…`),
      signal,
      ...(sandbox ? { ca: sandbox.ca } : {}),
    });
    if (signal.aborted) return ExitCode.interrupted;
    const { walk } = outcome;
    const exitCode = session.finish({
      checks: outcome.checks,
      diagnoses: outcome.diagnoses,
      stages: walk.stages,
      ...(walk.tls ? { tls: walk.tls } : {}),
      ...(walk.ok ? { message: { ...(walk.messageId ? { id: walk.messageId } : {}), ...(walk.accepted ? { serverReply: walk.accepted } : {}) } } : {}),
    }).result.exitCode;
    return offerFixAfterFailure(session, outcome.diagnoses, exitCode, () => runTest({ ...options, to: recipient }, signal));
  } finally {
    await sandbox?.close();
  }
}
