import type { Report } from '../report/model.js';
import { silentView } from '../render/view.js';
import { ending, endingOfError, endingReport, secretScrubber } from './ending.js';
import { type CommandOptions, commandFlags, type FlagSpec, globalFlags, numberAsFlagText, valueKind } from './flags.js';
import { type AbortSignalLike, type Env, interruptGraceMs, type RunContext } from './run.js';

/**
 * A command run inside another program: the library (api.ts) loads this module when one of its
 * functions is called. It checks the caller's options (a TypeError is the only rejection), then
 * runs the command with the caller's variables, a view that shows nothing and asks nothing, and
 * every way of ending a report, the one `--json` would print for the same input. Nothing here
 * prints, exits, reads stdin, or reads or changes process.env.
 */

/** The commands the library runs, each loaded only when called. */
const commands = {
  doctor: async (options: CommandOptions<'doctor'>, run: RunContext) => (await import('./doctor.js')).runDoctor(options, run),
  test: async (options: CommandOptions<'test'>, run: RunContext) => (await import('./test.js')).runTest(options, run),
  probe: async ({ host, ...options }: CommandOptions<'probe'> & { host?: string }, run: RunContext) =>
    (await import('./probe.js')).runProbe(host, options, run),
};

type Command = keyof typeof commands;

/** The library's options beside the flags: where variables come from, and when to stop. */
interface RunOptions {
  env?: Env;
  envFiles?: readonly string[];
  signal?: AbortSignalLike;
}

const bugHint = 'This is a bug in mailcheck. Please report it with the options you passed (secrets left out).';
const interrupted = { message: 'interrupted (the signal was aborted)' };

/** `doctor(options)` and its siblings: checks the options, then runs the command. */
export async function runForLibrary(command: Command, options: unknown = {}): Promise<Report> {
  const specs = flagSpecsOf(command);
  checkOptions(command, specs, options);
  // api.ts took copies of env and the lists when the function was called.
  const { env = {}, envFiles = [], signal, ...flags } = options;
  const commandOptions = { ...asFlagValues(specs, given(flags)), dotenv: [...envFiles] };
  // The run's own signal, so that the command sees a real AbortSignal whatever the caller passed.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', onAbort);
  try {
    // Checked above against the same tables the command's option types are derived from.
    return await runEmbedded(command, commandOptions as Parameters<(typeof commands)[Command]>[0], env, controller.signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function runEmbedded(command: Command, options: Parameters<(typeof commands)[Command]>[0], env: Env, signal: AbortSignal): Promise<Report> {
  const started = performance.now();
  // Aborted before it began: nothing is started, as a Ctrl-C before the CLI's first step.
  if (signal.aborted) return endingReport(command, ending('interrupted', interrupted), started);
  const run: RunContext = { signal, env, view: silentView, secrets: new Set() };
  const runCommand = commands[command] as (options: Parameters<(typeof commands)[Command]>[0], run: RunContext) => Promise<Report>;
  const work = runCommand(options, run).catch((error: unknown) =>
    endingReport(command, endingOfError(error, secretScrubber(env, run.secrets), bugHint), started),
  );
  return withinGrace(work, signal, () => endingReport(command, ending('interrupted', interrupted), started));
}

/**
 * The command's report, or, when it has not reported within the grace period after an abort,
 * `late()`: the caller's await must end soon after its abort, as a Ctrl-C ends the CLI.
 */
function withinGrace(work: Promise<Report>, signal: AbortSignal, late: () => Report): Promise<Report> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(late()), interruptGraceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then((report) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(report);
    });
  });
}

/** Undefined counts as not given, as for an optional property. */
function given(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

/** Numbers the library takes for a flag's value (FlagSpec.number), spelt as on the command line, which the command parses. */
function asFlagValues(specs: Record<string, FlagSpec>, flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(flags).map(([key, value]) => {
      const kind = Object.hasOwn(specs, key) ? specs[key]!.number : undefined;
      return [key, kind && typeof value === 'number' ? numberAsFlagText(kind, value) : value];
    }),
  );
}

/** Every flag a command takes, global ones included, by the name of its value. */
function flagSpecsOf(command: Command): Record<string, FlagSpec> {
  return { ...globalFlags, ...commandFlags[command] };
}

/** The library's own options, and probe's argument, beside the flags of the tables. */
const ownOptions = { env: 'env', envFiles: 'list', signal: 'signal' } as const;
const commandArguments: Partial<Record<Command, Record<string, 'string'>>> = { probe: { host: 'string' } };

/** A programmer's mistake in the options is a TypeError, thrown before anything runs. */
function checkOptions(command: Command, flags: Record<string, FlagSpec>, options: unknown): asserts options is RunOptions & Record<string, unknown> {
  const where = `mailcheck ${command}()`;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${where}: options must be an object, not ${describe(options)}`);
  const known: Record<string, string> = { ...ownOptions, ...commandArguments[command] };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const spec = Object.hasOwn(flags, key) ? flags[key] : undefined;
    const kind = Object.hasOwn(known, key) ? known[key] : spec && !spec.cliOnly ? valueKind(spec) : undefined;
    if (kind === undefined) {
      const accepted = [...Object.keys(known), ...Object.keys(flags).filter((k) => !flags[k]!.cliOnly)].sort().join(', ');
      throw new TypeError(
        spec
          ? `${where}: ${key} is a command-line flag only (${spec.flags.replace(/ <.*/, '')}): the library prints nothing, asks nothing and reads no stdin; secrets go in env`
          : `${where}: unknown option ${JSON.stringify(key)}; the options are ${accepted}`,
      );
    }
    const problem = spec?.number ? numberOrString(spec.number, value) : mismatch(kind, value);
    // A flag's value is what the command line would hold: say which flag, as --help spells it.
    const asTyped = spec && kind === 'string' ? ` as on the command line (${spec.flags.replace(/^-\w, /, '')})` : '';
    if (problem) throw new TypeError(`${where}: ${key} must be ${problem}${asTyped}, not ${describe(value)}`);
  }
}

/** What a value that may be a number (FlagSpec.number) or a string should have been, or undefined when it is one. */
function numberOrString(kind: NonNullable<FlagSpec['number']>, value: unknown): string | undefined {
  if (typeof value === 'string') return undefined;
  const ok = typeof value === 'number' && (kind === 'integer' ? Number.isSafeInteger(value) && value >= 1 : Number.isFinite(value) && value > 0);
  return ok ? undefined : kind === 'integer' ? 'a whole number above 0 or a string' : 'a number of milliseconds above 0 or a string';
}

/** What `value` should have been, or undefined when it is of the kind. */
function mismatch(kind: string, value: unknown): string | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string') ? undefined : 'an array of strings';
    case 'env':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => v === undefined || typeof v === 'string')
        ? undefined
        : 'an object of string values (such as process.env)';
    default: {
      const signal = value as Partial<AbortSignalLike> | null;
      const isSignal =
        typeof signal === 'object' &&
        signal !== null &&
        typeof signal.aborted === 'boolean' &&
        typeof signal.addEventListener === 'function' &&
        typeof signal.removeEventListener === 'function';
      return isSignal ? undefined : 'an AbortSignal';
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}
