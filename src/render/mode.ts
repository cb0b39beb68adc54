/** How to present output, decided once from flags, environment and the streams. */
export interface OutputMode {
  json: boolean;
  color: boolean;
  /** Spinners and prompts: only for a person at a terminal. */
  interactive: boolean;
  githubActions: boolean;
}

export interface ModeInput {
  json?: boolean;
  /** commander's --no-color gives color: false. */
  color?: boolean;
  /** commander's --no-input gives input: false. */
  input?: boolean;
}

export function detectOutputMode(flags: ModeInput, env: NodeJS.ProcessEnv, stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }): OutputMode {
  const ci = isSet(env.CI);
  const json = flags.json === true;
  const color = !json && flags.color !== false && stdout.isTTY === true && !ci && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const interactive = !json && !ci && flags.input !== false && stdin.isTTY === true && stdout.isTTY === true;
  return { json, color, interactive, githubActions: env.GITHUB_ACTIONS === 'true' };
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
