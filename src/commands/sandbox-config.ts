import { loadedFrom, readConfig, type LoadedConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Setting } from '../config/source.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Sandbox } from '../sandbox/server.js';
import type { GlobalOptions, SmtpFlagOptions } from './flags.js';
import { noteSecrets, smtpFlags, stdinSecret } from './options.js';
import type { RunContext } from './run.js';

/**
 * --sandbox (test, doctor, probe): the embedded server on loopback, started only with the flag
 * (smtp-server loads then). It trusts its own certificate, so --ca-file is a contradiction.
 */
export async function sandboxFromFlag(options: { sandbox?: boolean; caFile?: string; ipv6?: boolean }): Promise<Sandbox | undefined> {
  if (!options.sandbox) return undefined;
  if (options.caFile !== undefined)
    throw new UserError('--ca-file does not apply to --sandbox: the sandbox trusts its own certificate', ExitCode.usage, 'leave out one of the two');
  const { startSandbox } = await import('../sandbox/server.js');
  if (!options.ipv6) return startSandbox();
  return startSandbox(6).catch((error: NodeJS.ErrnoException) => {
    // Only a machine without IPv6 loopback; anything else is not this flag's doing.
    if (error.code !== 'EADDRNOTAVAIL' && error.code !== 'EAFNOSUPPORT') throw error;
    throw new UserError(
      `the sandbox cannot listen on IPv6 loopback (::1): ${error.code}`,
      ExitCode.network,
      'this machine has no IPv6 loopback; run the sandbox without -6',
    );
  });
}

/** The sandbox's own settings, shaped exactly like those read from a .env file. */
function sandboxSettings(sandbox: Sandbox): ResolvedConfig {
  const setting = (name: string, value: string): Setting => ({ name, value, source: { kind: 'sandbox' } });
  return {
    settings: {
      host: setting('SMTP_HOST', sandbox.host),
      port: setting('SMTP_PORT', String(sandbox.port)),
      user: setting('SMTP_USER', sandbox.user),
      password: setting('SMTP_PASSWORD', sandbox.password),
      sender: setting('SMTP_SENDER', sandbox.sender),
      secure: setting('SMTP_SECURE', '0'),
    },
    files: [],
    candidates: [],
    notes: [],
  };
}

/**
 * The configuration a command runs with: the sandbox's own, or what the .env files, the
 * environment (the process's, or the library caller's), the flags and stdin say (in that order of precedence; config/resolve.ts).
 * Its secrets are noted with the run (RunContext.secrets) before detection and lint read them.
 */
export async function runConfig(options: GlobalOptions & SmtpFlagOptions, sandbox: Sandbox | undefined, run: RunContext): Promise<LoadedConfig> {
  const config = sandbox
    ? sandboxSettings(sandbox)
    : readConfig({
        env: run.env,
        flags: smtpFlags(options),
        ...(options.dotenv ? { envFiles: options.dotenv } : {}),
        ...(await stdinSecret(options, run.secrets)),
      });
  noteSecrets(run.secrets, config);
  return loadedFrom(config);
}
