import type { Report } from '../report/model.js';
import { silentView } from '../render/view.js';
import { ending, endingOfError, endingReport } from './ending.js';
import type { CommandOptions } from './flags.js';
import { interruptGraceMs, type Env, type RunContext } from './run.js';

/** The commands the library runs, each loaded only when called. */
const commands = {
  doctor: async (options: CommandOptions<'doctor'>, run: RunContext) => (await import('./doctor.js')).runDoctor(options, run),
  test: async (options: CommandOptions<'test'>, run: RunContext) => (await import('./test.js')).runTest(options, run),
  probe: async ({ host, ...options }: CommandOptions<'probe'> & { host?: string }, run: RunContext) =>
    (await import('./probe.js')).runProbe(host, options, run),
};

export type EmbeddedCommand = keyof typeof commands;

const bugHint = 'This is a bug in mailcheck. Please report it with the options you passed (secrets left out).';
const interrupted = { message: 'interrupted (the signal was aborted)' };

/**
 * A command run inside another program (the library, api.ts): the caller's variables, a view
 * that shows nothing and asks nothing, and every way of ending a report, the one `--json` would
 * print for the same input. Nothing here prints, exits, reads stdin or touches process.env.
 */
export async function runEmbedded<C extends EmbeddedCommand>(
  command: C,
  options: Parameters<(typeof commands)[C]>[0],
  env: Env,
  signal: AbortSignal,
): Promise<Report> {
  const started = performance.now();
  // Aborted before it began: nothing is started, as a Ctrl-C before the CLI's first step.
  if (signal.aborted) return endingReport(command, ending('interrupted', interrupted), started);
  const run: RunContext = { signal, env, view: silentView };
  const runCommand = commands[command] as (options: Parameters<(typeof commands)[C]>[0], run: RunContext) => Promise<Report>;
  const work = runCommand(options, run).catch((error: unknown) => endingReport(command, endingOfError(error, env, bugHint), started));
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
