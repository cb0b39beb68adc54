import { isAbsolute } from 'node:path';
import { detectProvider, type Detection } from './detect.js';
import { EnvFileError } from './env-file.js';
import { lintConfig, type LintFinding } from './lint.js';
import { resolveConfig, type ResolveInput, type ResolvedConfig } from './resolve.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

export interface LoadedConfig {
  config: ResolvedConfig;
  detection: Detection;
  lint: LintFinding[];
}

/** Everything a command needs to know about the configuration before touching the network. */
export function loadConfig(input: ResolveInput): LoadedConfig {
  return loadedFrom(readConfig(input));
}

/**
 * The settings the files, environment and flags give, before detection and lint read them: a
 * command that notes its secrets (commands/options.ts noteSecrets) does so here, first.
 */
export function readConfig(input: ResolveInput): ResolvedConfig {
  try {
    return resolveConfig(input);
  } catch (error) {
    if (error instanceof EnvFileError) {
      // A relative path is relative to where mailcheck runs, which under npx, CI or a script is often not where the user thinks.
      const where = isAbsolute(error.path) ? '' : ` (looked in ${process.cwd()})`;
      throw new UserError(
        `cannot read the env file ${error.path}: ${error.reason}${where}`,
        ExitCode.config,
        'check the --dotenv path, or leave it out to read ./.env',
      );
    }
    throw error;
  }
}

/** Detection and lint for settings from anywhere: files and environment, the sandbox, or `init`'s answers. */
export function loadedFrom(config: ResolvedConfig): LoadedConfig {
  const detection = detectProvider(config);
  return { config, detection, lint: lintConfig(config, detection) };
}
