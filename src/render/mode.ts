import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** How to present output, decided once from flags, environment and the streams. */
export interface OutputMode {
  json: boolean;
  color: boolean;
  /** Spinners and prompts: only for a person at a terminal. */
  interactive: boolean;
  githubActions: boolean;
  /** --quiet: of the human report, only the verdict line. */
  quiet: boolean;
  /** --verbose: also the lint rules that passed and the time of each stage. */
  verbose: boolean;
  /** The terminal's width, to wrap human output at; undefined when stdout is not a terminal (nothing is wrapped). */
  width: number | undefined;
  /** --report: where the Markdown report goes. */
  markdownPath: string | undefined;
}

export interface ModeInput {
  json?: boolean;
  /** commander's --no-color gives color: false. */
  color?: boolean;
  /** commander's --no-input gives input: false. */
  input?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  report?: string;
}

export function detectOutputMode(
  flags: ModeInput,
  env: NodeJS.ProcessEnv,
  stdin: { isTTY?: boolean },
  stdout: { isTTY?: boolean; columns?: number },
): OutputMode {
  if (flags.quiet && flags.verbose) throw new UserError('--quiet and --verbose ask for opposite things', ExitCode.usage, 'give one of them');
  const ci = isSet(env.CI);
  const json = flags.json === true;
  const interactive = !json && !ci && flags.input !== false && stdin.isTTY === true && stdout.isTTY === true;
  const width = stdout.isTTY === true && stdout.columns ? stdout.columns : undefined;
  return {
    json,
    color: !json && flags.color !== false && colourWanted(env, stdout.isTTY === true && !ci),
    interactive,
    githubActions: env.GITHUB_ACTIONS === 'true',
    quiet: flags.quiet === true,
    verbose: flags.verbose === true,
    width,
    markdownPath: flags.report,
  };
}

/**
 * no-color.org: only a NON-EMPTY NO_COLOR turns colour off (`NO_COLOR=` is unset). FORCE_COLOR,
 * as Node and chalk read it, turns it on even when piped or in CI (`FORCE_COLOR=0` off), and
 * outranks NO_COLOR, as in Node. --no-color outranks both (checked by the caller).
 */
function colourWanted(env: NodeJS.ProcessEnv, onTerminal: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force === '' || isSet(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return onTerminal && env.TERM !== 'dumb';
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
