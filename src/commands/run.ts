import type { View } from '../render/view.js';

/** Environment variables as a plain object: the process's own in the CLI, the caller's in the library. */
export type Env = Readonly<Record<string, string | undefined>>;

/** An AbortSignal (the DOM's or Node's): only what the library uses of one, so its types need neither. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * What a command runs with besides its options. The CLI passes the process's environment and
 * its terminal view; the library passes the caller's variables and a view that shows nothing.
 * Commands read no other environment and print through nothing but the view.
 */
export interface RunContext {
  /** Aborted on Ctrl-C (the CLI) or by the caller's signal (the library): the run ends with what it has, exit 130. */
  signal: AbortSignal;
  env: Env;
  view: View;
  /**
   * The secret values the run has read so far (from files, flags, stdin, a prompt), noted as they
   * are read (options.ts noteSecrets): should the run end in a bug, whose message may quote
   * anything, the message is scrubbed of these as well as of the environment's
   * (commands/ending.ts). Values only, so that creating it loads nothing.
   */
  secrets: Set<string>;
}

/**
 * How long an interrupted run may take to report what it has. Sockets close on abort and a
 * command reports within milliseconds; whatever does not listen to the signal (a --password-stdin
 * pipe that stays open) must not hold the run longer: it then ends with a report of its own.
 */
export const interruptGraceMs = 500;
