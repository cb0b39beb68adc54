import { loadConfig, loadedFrom, type LoadedConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Setting } from '../config/source.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Sandbox } from '../sandbox/server.js';
import type { GlobalOptions, SmtpFlagOptions } from './flags.js';
import { smtpFlags, stdinSecret } from './options.js';
import { noteSecrets, type RunContext } from './run.js';

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
    throw new UserError(
      `the sandbox cannot listen on IPv6 loopback (::1): ${error.code ?? error.message}`,
      ExitCode.network,
      'this machine has no IPv6 loopback; run the sandbox without -6',
    );
  });
}

/** The sandbox's own configuration, shaped exactly like one loaded from a .env file. */
export function sandboxConfig(sandbox: Sandbox): LoadedConfig {
  const setting = (name: string, value: string): Setting => ({ name, value, source: { kind: 'sandbox' } });
  const config: ResolvedConfig = {
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
  return loadedFrom(config);
}

/**
 * The configuration a command runs with: the sandbox's own, or what the .env files, the
 * environment (the process's, or the library caller's), the flags and stdin say (in that order of precedence; config/resolve.ts).
 * Its secrets are noted with the run (RunContext.secrets).
 */
export async function runConfig(options: GlobalOptions & SmtpFlagOptions, sandbox: Sandbox | undefined, run: RunContext): Promise<LoadedConfig> {
  const loaded = sandbox
    ? sandboxConfig(sandbox)
    : loadConfig({
        env: run.env,
        flags: smtpFlags(options),
        ...(options.dotenv ? { envFiles: options.dotenv } : {}),
        ...(await stdinSecret(options)),
      });
  noteSecrets(run, loaded.config);
  return loaded;
}
