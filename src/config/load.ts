import { detectProvider, type Detection } from './detect.js';
import { EnvFileError } from './env-file.js';
import { lintConfig, type LintFinding } from './lint.js';
import { resolveConfig, type ResolveInput, type ResolvedConfig } from './resolve.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { Redactor } from '../report/redact.js';

export interface LoadedConfig {
  config: ResolvedConfig;
  detection: Detection;
  lint: LintFinding[];
  /** Knows every secret of this configuration. */
  redactor: Redactor;
}

/** Everything a command needs to know about the configuration before touching the network. */
export function loadConfig(input: ResolveInput): LoadedConfig {
  let config: ResolvedConfig;
  try {
    config = resolveConfig(input);
  } catch (error) {
    if (error instanceof EnvFileError) {
      throw new UserError(`cannot read the env file ${error.path}: ${error.reason}`, ExitCode.config, 'check the --env-file path, or leave it out to read ./.env');
    }
    throw error;
  }
  const detection = detectProvider(config);
  const redactor = new Redactor()
    .add(config.settings.password?.value, config.settings.user?.value)
    .add(config.settings.apiKey?.value);
  return { config, detection, lint: lintConfig(config, detection), redactor };
}
