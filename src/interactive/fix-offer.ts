/**
 * Some problems have exactly one right fix: port 587 with SMTP_SECURE=1 needs SMTP_SECURE=0, and
 * Resend's username is `resend` whatever else is wrong. For those, mailcheck offers to make the
 * change itself. Only files can be edited: a value from the environment or a flag is named, with
 * how to change it there.
 */
import type { LintId } from '../config/lint.js';
import type { LoadedConfig } from '../config/load.js';
import { implicitTlsPorts, type KnownProvider, recogniseProvider, secureValue, tlsModeForPort } from '../config/providers.js';
import { parsePort } from '../config/smtp-settings.js';
import { describeSource, type Source } from '../config/source.js';
import { variableNames, type SettingKey } from '../config/variables.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../render/output.js';
import type { View } from '../render/view.js';
import type { Report } from '../report/model.js';
import type { DiagnosisId } from '../checks/diagnosis-ids.js';
import type { EnvChange } from './env-edit.js';
import { terminalPrompter, type Prompter } from './prompter.js';
import { proposeEnvChanges } from './propose-env.js';

/** A diagnosis or a lint finding: both carry a stable id. */
export interface Problem {
  id: string;
}

export type FixPlan =
  /** Every value involved lives in this file: the change can be offered. */
  | { kind: 'edit'; path: string; changes: EnvChange[]; summary: string }
  /** The fix is known but lives where mailcheck cannot write; `message` says where and how. */
  | { kind: 'elsewhere'; message: string };

/** The values a fix sets, by setting (the variable names come from the configuration). */
export type FixValues = Partial<Record<SettingKey, string>>;

/** The values a problem's one right fix sets, or undefined when there is a choice to make. */
export function concreteFix(problem: Problem, loaded: LoadedConfig): FixValues | undefined {
  const settings = loaded.config.settings;
  const port = parsePort(settings.port?.value ?? '');
  const tls = tlsModeForPort(port);
  const modeForPort = tls && secureValue(tls);
  // Typed, so a case naming an id that no lint rule or diagnosis has does not compile.
  switch (problem.id as LintId | DiagnosisId) {
    case 'smtp.port-secure.mismatch':
    case 'smtp.secure.invalid':
      // The port is what the provider documents; the mode follows from it.
      return modeForPort ? { secure: modeForPort } : undefined;
    case 'tls.implicit-on-starttls-port':
      // On an implicit-TLS port the server itself is odd, so there is no one right change.
      return port !== undefined && !implicitTlsPorts.includes(port) ? { secure: '0' } : undefined;
    case 'tls.plaintext-on-implicit-port':
      return { secure: '1' };
  }
  const owner = fixedUsernameProblems[problem.id as LintId | DiagnosisId];
  const provider = recogniseProvider(settings.host?.value);
  if (owner && provider?.id === owner && provider.fixedUser) return { user: provider.fixedUser };
  return undefined;
}

/** The findings that a provider's fixed username is wrong (lint, or the server's 535): the username itself is the fix. */
const fixedUsernameProblems: Partial<Record<LintId | DiagnosisId, KnownProvider>> = {
  'resend.user': 'resend',
  'auth.resend-username': 'resend',
  'sendgrid.user': 'sendgrid',
  'auth.sendgrid-username': 'sendgrid',
};

/** Where the fix's values live, and so whether mailcheck can make the change itself. */
export function planFix(values: FixValues, loaded: LoadedConfig): FixPlan | undefined {
  const edits: { path: string; change: EnvChange; where: string }[] = [];
  const elsewhere: string[] = [];
  for (const [key, value] of Object.entries(values) as [SettingKey, string][]) {
    const setting = loaded.config.settings[key];
    const name = setting?.name ?? variableNames[key][0]!;
    const source = setting?.source;
    if (source?.kind === 'file') {
      edits.push({ path: source.path, change: { name, value }, where: `${source.path} line ${source.line}` });
    } else if (source === undefined) {
      // Not set anywhere: it belongs with the rest of the block, in the last file read.
      const path = loaded.config.files.at(-1);
      if (path) edits.push({ path, change: { name, value }, where: path });
      else elsewhere.push(`set ${name}=${value}`);
    } else if (source.kind === 'env' || source.kind === 'flag' || source.kind === 'stdin') {
      elsewhere.push(`${name} comes from ${describeSource(source)}, which mailcheck cannot edit: ${changeThere(source, name, value)}`);
    } else {
      return undefined; // the sandbox's or setup's own values: nothing for the user to fix
    }
  }
  const paths = new Set(edits.map((e) => e.path));
  if (elsewhere.length === 0 && paths.size === 1) {
    return {
      kind: 'edit',
      path: edits[0]!.path,
      changes: edits.map((e) => e.change),
      summary: edits.map((e) => `set ${e.change.name}=${'value' in e.change ? e.change.value : ''} (${e.where})`).join(' and '),
    };
  }
  return { kind: 'elsewhere', message: [...edits.map((e) => `set ${e.change.name} in ${e.where}`), ...elsewhere].join('; ') };
}

function changeThere(source: Source, name: string, value: string): string {
  if (source.kind === 'flag') return `run again with ${source.flag} ${value}`;
  if (source.kind === 'env')
    return `set ${name}=${value} where it is exported (shell profile, CI or deployment settings), or unset it there and let the .env file decide`;
  return `pass the right value on standard input`;
}

/** The plans for the problems that have one right fix, in the order given. */
export function planFixes(problems: readonly Problem[], loaded: LoadedConfig): FixPlan[] {
  return problems.flatMap((problem) => {
    const values = concreteFix(problem, loaded);
    const plan = values && planFix(values, loaded);
    return plan ? [plan] : [];
  });
}

export interface FixOfferOptions {
  /** Diagnoses first, then lint failures: the edits to the first file are offered together. */
  plans: readonly FixPlan[];
  output: Output;
  color: boolean;
  prompter: Prompter;
}

/**
 * On a terminal, after a failed check: offers the concrete fixes for one file as a single change
 * (diff, explicit yes, atomic write with backup), then offers to run the check again.
 */
export async function offerFix(o: FixOfferOptions): Promise<'rerun' | 'done'> {
  const elsewhere = new Set(o.plans.flatMap((p) => (p.kind === 'elsewhere' ? [p.message] : [])));
  for (const message of elsewhere) o.output.err(`\nThe fix: ${message}.\n`);
  const edits = o.plans.filter((p): p is Extract<FixPlan, { kind: 'edit' }> => p.kind === 'edit');
  const path = edits[0]?.path;
  if (!path) return 'done';
  const same = edits.filter((e) => e.path === path);
  const changes = [...new Map(same.flatMap((e) => e.changes).map((c) => [c.name, c])).values()];
  o.output.err(`\nmailcheck can make this change: ${[...new Set(same.map((e) => e.summary))].join('; ')}.\n`);
  const outcome = await proposeEnvChanges({
    path,
    changes,
    output: o.output,
    color: o.color,
    confirm: () => o.prompter.confirm({ message: `Apply this change to ${path}?`, default: false }),
    ask: (message) => o.prompter.confirm({ message, default: true }),
  });
  if (outcome.kind !== 'written') return 'done';
  const values = changes.length > 1 ? 'values' : 'value';
  return (await o.prompter.confirm({ message: `Run the check again with the new ${values}?`, default: true })) ? 'rerun' : 'done';
}

/** What a fix offer needs of the command that failed (commands/session.ts provides it). */
export interface FailedRun {
  view: Pick<View, 'interactive' | 'color' | 'output'>;
  loaded: LoadedConfig;
}

/**
 * For a command that just failed: on a terminal, offer the concrete fixes, and run the check
 * again through `rerun` when the person asks (its report then counts); otherwise, or when
 * nothing applies, the failed run's `report` stands.
 */
export async function offerFixAfterFailure(run: FailedRun, problems: readonly Problem[], report: Report, rerun: () => Promise<Report>): Promise<Report> {
  if (report.result.exitCode === ExitCode.ok || !run.view.interactive) return report;
  const plans = planFixes(problems, run.loaded);
  if (plans.length === 0) return report;
  const next = await offerFix({ plans, output: run.view.output, color: run.view.color, prompter: await terminalPrompter() });
  return next === 'rerun' ? rerun() : report;
}
