import { runSmtpCheck } from '../checks/smtp.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { toSmtpSettings } from '../config/smtp-settings.js';
import { ExitCode } from '../exit-codes.js';
import { parseTimeout, readPasswordFromStdin, smtpFlags, type GlobalOptions, type SmtpFlagOptions } from './options.js';
import { sandboxConfig } from './sandbox-config.js';
import { Session } from './session.js';
import { askRecipient } from './recipient.js';

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
    if (loaded.lint.some((f) => f.status === 'fail') || loaded.detection.provider === 'none') {
      return session.finish({ checks: [], diagnoses: [] }).result.exitCode;
    }
    if (loaded.detection.provider === 'resend' || !settings) {
      // The Resend REST path is checked by its own module once it lands; say so instead of failing.
      session.output.err('Resend is the active provider. `mailcheck test` checks the Resend configuration above; the API check is not available in this version.\n');
      return session.finish({ checks: [], diagnoses: [] }).result.exitCode;
    }
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
    return session.finish({
      checks: outcome.checks,
      diagnoses: outcome.diagnoses,
      stages: walk.stages,
      ...(walk.tls ? { tls: walk.tls } : {}),
      ...(walk.ok ? { message: { ...(walk.messageId ? { id: walk.messageId } : {}), ...(walk.accepted ? { serverReply: walk.accepted } : {}) } } : {}),
    }).result.exitCode;
  } finally {
    await sandbox?.close();
  }
}
