/**
 * The four questions guided setup and fix offers ask, as one small interface. On a terminal it is
 * @inquirer/prompts writing to stderr (stdout carries the result); tests drive the very same
 * prompts through @inquirer/testing. Callers only ever get a Prompter when the session is
 * interactive, so "never prompt without a terminal" is decided in one place.
 */
export interface Choice<V> {
  value: V;
  name: string;
  description?: string;
}

export type Validate = (value: string) => true | string;

export interface Prompter {
  select<V>(config: { message: string; choices: Choice<V>[]; default?: V }): Promise<V>;
  input(config: { message: string; default?: string; validate?: Validate }): Promise<string>;
  /** Typed masked: each character shows as `*`. */
  password(config: { message: string; validate?: Validate }): Promise<string>;
  confirm(config: { message: string; default: boolean }): Promise<boolean>;
}

export async function terminalPrompter(): Promise<Prompter> {
  // Loaded only when someone is actually at a terminal.
  const prompts = await import('@inquirer/prompts');
  const context = { output: process.stderr };
  return {
    select: (config) => prompts.select(config, context),
    input: (config) => prompts.input(config, context),
    password: (config) => prompts.password({ ...config, mask: '*' }, context),
    confirm: (config) => prompts.confirm(config, context),
  };
}
