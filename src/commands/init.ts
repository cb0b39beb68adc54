import { existsSync } from 'node:fs';
import { networkCheckFor, type NetworkFindings } from '../checks/network.js';
import { parseAddress } from '../config/address.js';
import { loadedFrom, readConfig, type LoadedConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { implicitTlsPorts, recogniseProvider, secureValue, starttlsPorts, tlsModeForPort } from '../config/providers.js';
import { parsePort } from '../config/smtp-settings.js';
import type { Setting, Source } from '../config/source.js';
import { smtpKeys, variableNames, type SettingKey } from '../config/variables.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { EnvChange } from '../interactive/env-edit.js';
import { explainPreset, findPreset, isRegion, presetIds, presets, type Preset, type PresetId, type SmtpPreset } from '../interactive/presets.js';
import { terminalPrompter, type Prompter, type Validate } from '../interactive/prompter.js';
import { proposeEnvChanges } from '../interactive/propose-env.js';
import type { Output } from '../render/output.js';
import type { Report } from '../report/model.js';
import type { CommandOptions } from './flags.js';
import { Live } from './live.js';
import {
  checkAuthMethodCredentials,
  dnsServerFromFlag,
  noteSecrets,
  parseTimeout,
  readCaFile,
  readPasswordFromStdin,
  sessionChoicesFromFlags,
} from './options.js';
import type { Env, RunContext } from './run.js';
import { Session } from './session.js';

/** Without a terminal, `write` is the explicit yes to writing the .env file. */
export type InitOptions = CommandOptions<'init'>;

export interface InitDeps {
  /** Who answers the questions; on a terminal it is created here. Tests drive the real prompts. */
  prompter?: Prompter;
  /** A CA to trust for the live check, ahead of --ca-file (tests' loopback servers). */
  ca?: string;
}

type Values = Partial<Record<SettingKey, Setting>>;

/**
 * `mailcheck init`: choose a provider, let its preset fill in host, port, TLS mode and username
 * (each explained), ask for the rest, check it live, and on success offer to write `.env`.
 * Every question has a flag, so the same setup runs without a terminal; writing then needs --write.
 */
export async function runInit(options: InitOptions, run: RunContext, deps: InitDeps = {}): Promise<Report> {
  const { signal, env, view } = run;
  const timeoutMs = parseTimeout(options.timeout);
  const ca = deps.ca ?? readCaFile(options.caFile);
  const dnsServer = dnsServerFromFlag(options.dnsServer);
  const choices = sessionChoicesFromFlags(options);
  const prompter = deps.prompter ?? (view.interactive ? await terminalPrompter() : undefined);
  const target = options.dotenv?.at(-1) ?? '.env';
  // What is configured already: the variable names in use (SMTP_PASS stays SMTP_PASS) and the
  // provider to suggest. A missing target is fine: init creates it.
  const currentSettings = readConfig({ env, envFiles: (options.dotenv ?? [target]).filter((file) => existsSync(file)) });
  noteSecrets(run.secrets, currentSettings);
  const current = loadedFrom(currentSettings);
  const secretFromStdin = options.passwordStdin ? await readPasswordFromStdin() : undefined;
  if (secretFromStdin !== undefined) run.secrets.add(secretFromStdin);
  const questions = new Questions(prompter, secretFromStdin, env, run.secrets);
  const guide = view.output;

  const preset = await questions.choosePreset(options.provider, suggestedPreset(current));
  const values = preset.kind === 'smtp' ? await askSmtp(preset, options, questions, current, guide) : await askResendApi(options, questions, current, guide);
  const recipient = await questions.ask('--to', options.to, validAddress, (p) =>
    p.input({
      message: `Send the test message to which address?${preset.id.startsWith('resend') ? ' (delivered@resend.dev accepts anything)' : ''}`,
      validate: validAddress,
    }),
  );
  questions.failIfMissing();

  const answers: ResolvedConfig = { settings: values, files: [], candidates: [], notes: [] };
  // An answer that is a credential (a token given as --user) is as secret as the password.
  noteSecrets(run.secrets, answers);
  const loaded = loadedFrom(answers);
  checkAuthMethodCredentials(choices.authMethod, loaded);
  const live = new Live(view);
  const session = await Session.open('init', loaded, live);
  session.showHeader();
  const check = networkCheckFor(loaded, true);
  let findings: NetworkFindings = { checks: [], diagnoses: [] };
  if (check) {
    session.showTranscript(check.title);
    findings = await live.start(check, {
      send: true,
      timeoutMs,
      signal,
      choices,
      ...(recipient ? { recipient: recipient.value } : {}),
      ...(ca ? { ca } : {}),
      ...(dnsServer ? { dnsServer } : {}),
    });
    if (signal.aborted) return session.finishInterrupted(findings);
  }
  const report = session.finish(findings);
  if (!report.result.ok) {
    view.output.err(`\nNothing was written to ${target}. Change what the diagnosis names and run \`mailcheck init\` again.\n`);
    return report;
  }

  const changes = changesFor(preset, values);
  warnAboutEnvironment(changes, target, view.output, env);
  const outcome = await proposeEnvChanges({
    path: target,
    changes,
    output: view.output,
    color: view.color,
    confirm: prompter ? () => prompter.confirm({ message: `Write these values to ${target}?`, default: false }) : async () => options.write === true,
    ...(preset.kind === 'smtp' && preset.user.kind === 'secret' ? { secretNames: [values.user!.name] } : {}),
    ...(prompter ? { ask: (message: string) => prompter.confirm({ message, default: true }) } : {}),
  });
  if (!prompter && outcome.kind === 'declined') view.output.err('Run again with --write to save them.\n');
  return report;
}

// --- questions --------------------------------------------------------------------------------

type Answer = { value: string; source: Source };

const yourAnswer: Source = { kind: 'setup', detail: 'your answer' };

/**
 * Each value comes from its flag when given, else from a question on a terminal; without a
 * terminal the missing flags are collected and named together, so nothing ever waits for input.
 */
class Questions {
  private readonly missing: string[] = [];

  constructor(
    private readonly prompter: Prompter | undefined,
    private readonly secretFromStdin: string | undefined,
    private readonly env: Env,
    /** Where each secret answer is noted (RunContext.secrets). */
    private readonly secrets: Set<string>,
  ) {}

  /** The flag's value, checked like a typed answer would be; undefined when the flag was not given. */
  given(flag: string, value: string | undefined, validate: Validate): Answer | undefined {
    if (value === undefined) return undefined;
    const verdict = validate(value);
    if (verdict !== true) throw new UserError(`${flag} ${JSON.stringify(value)}: ${verdict}`, ExitCode.usage);
    return { value, source: { kind: 'flag', flag } };
  }

  async ask(flag: string, value: string | undefined, validate: Validate, question: (p: Prompter) => Promise<string>): Promise<Answer | undefined> {
    const given = this.given(flag, value, validate);
    if (given) return given;
    if (this.prompter) return { value: (await question(this.prompter)).trim(), source: yourAnswer };
    this.missing.push(flag);
    return undefined;
  }

  /** The secret: from --password-stdin, else typed masked on a terminal, else from its variable. */
  async secret(variables: readonly string[], message: string, validate: Validate): Promise<Answer | undefined> {
    const answer = await this.secretAnswer(variables, message, validate);
    if (answer) this.secrets.add(answer.value);
    return answer;
  }

  private async secretAnswer(variables: readonly string[], message: string, validate: Validate): Promise<Answer | undefined> {
    if (this.secretFromStdin !== undefined) return { value: this.secretFromStdin, source: { kind: 'stdin', flag: '--password-stdin' } };
    if (this.prompter) return { value: await this.prompter.password({ message, validate }), source: yourAnswer };
    const name = variables.find((v) => this.env[v] !== undefined && this.env[v] !== '');
    if (name) return { value: this.env[name]!, source: { kind: 'env' } };
    this.missing.push(`--password-stdin (or ${variables[0]})`);
    return undefined;
  }

  async choosePreset(given: string | undefined, suggested: PresetId | undefined): Promise<Preset> {
    const choice = await this.ask(
      '--provider',
      given,
      (id) => (findPreset(id) ? true : `not a provider; choose one of ${presetIds.join(', ')}`),
      (p) =>
        p.select({
          message: 'Which provider sends your email?',
          choices: presets.map((preset) => ({ value: preset.id as string, name: preset.label, description: preset.summary })),
          ...(suggested ? { default: suggested } : {}),
        }),
    );
    if (!choice) this.failIfMissing();
    return findPreset(choice!.value)!;
  }

  failIfMissing(): void {
    if (this.missing.length === 0) return;
    throw new UserError(
      `mailcheck init has no terminal to ask on, and these answers are missing: ${this.missing.join(', ')}`,
      ExitCode.usage,
      `run it on a terminal, or give every answer, e.g.: printf %s "$KEY" | mailcheck init --provider resend --from you@yourdomain.com --to delivered@resend.dev --password-stdin --write (providers: ${presetIds.join(', ')})`,
    );
  }
}

const required: Validate = (value) => (value.trim() ? true : 'required');
const validAddress: Validate = (value) => (parseAddress(value) ? true : 'enter an email address, e.g. you@example.com');
const validPort: Validate = (value) => (parsePort(value) !== undefined ? true : 'a port number: 587 (STARTTLS) or 465 (implicit TLS)');
const validSecure: Validate = (value) => (/^[01]$/.test(value.trim()) ? true : '1 for implicit TLS or 0 for STARTTLS');
const validRegion: Validate = (value) => (isRegion(value.trim()) ? true : 'a region name such as us-east-1 or eu-west-1');
const validHost: Validate = (value) => {
  const host = value.trim();
  if (!host) return 'required';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return 'only the host name, without smtp:// or https://';
  if (/\s/.test(host)) return 'a host name has no spaces';
  if (/^[^:]+:\d+$/.test(host)) return 'only the host name: the port is asked next';
  return true;
};

/** The provider the current configuration points at, as the list's default. */
function suggestedPreset(current: LoadedConfig): PresetId | undefined {
  if (current.detection.provider === 'resend') return 'resend-api';
  return recogniseProvider(current.config.settings.host?.value)?.id;
}

/** SMTP_SECURE for a port with a fixed convention (465 -> 1, 587 -> 0), else undefined. */
function secureForPort(port: number | undefined): string | undefined {
  const tls = tlsModeForPort(port);
  return tls && secureValue(tls);
}

async function askSmtp(preset: SmtpPreset, o: InitOptions, q: Questions, current: LoadedConfig, guide: Output): Promise<Values> {
  const fromPreset: Source = { kind: 'setup', detail: `the ${preset.label} preset` };
  const region = preset.region
    ? await q.ask('--region', o.region, validRegion, (p) =>
        p.input({ message: preset.region!.message, default: preset.region!.default, validate: validRegion }),
      )
    : undefined;
  if (preset.region && !region) q.failIfMissing();
  explain(preset, guide, region?.value);

  const host = preset.host
    ? (q.given('--host', o.host, validHost) ?? { value: preset.host(region?.value), source: fromPreset })
    : await q.ask('--host', o.host, validHost, (p) => p.input({ message: 'SMTP server host name (e.g. smtp.example.com)', validate: validHost }));
  const port = preset.host
    ? (q.given('--port', o.port, validPort) ?? { value: String(preset.port), source: fromPreset })
    : await q.ask('--port', o.port, validPort, (p) =>
        p.input({ message: 'Port (587 for STARTTLS, 465 for implicit TLS)', default: String(preset.port), validate: validPort }),
      );
  const portNumber = parsePort(port?.value ?? '');
  const derived = secureForPort(portNumber);
  const secure =
    o.secure !== undefined || !preset.host
      ? await q.ask('--secure', o.secure, validSecure, (p) =>
          p.select({
            message: 'TLS mode (SMTP_SECURE)',
            choices: [
              { value: '0', name: 'STARTTLS (SMTP_SECURE=0)', description: `plain text first, upgraded before login: ports ${starttlsPorts.join(', ')}` },
              { value: '1', name: 'implicit TLS (SMTP_SECURE=1)', description: `encrypted from the first byte: ports ${implicitTlsPorts.join(', ')}` },
            ],
            default: derived ?? '0',
          }),
        )
      : o.port !== undefined && derived !== undefined
        ? { value: derived, source: { kind: 'setup', detail: `matching --port ${portNumber}` } as Source }
        : { value: preset.secure ? '1' : '0', source: fromPreset };

  const rule = preset.user;
  let user: Answer | undefined =
    rule.kind === 'fixed'
      ? (q.given('--user', o.user, required) ?? { value: rule.value, source: fromPreset })
      : rule.kind === 'ask'
        ? await q.ask('--user', o.user, required, (p) =>
            p.input({ message: `${rule.message}${rule.placeholder ? ` (e.g. ${rule.placeholder})` : ''}`, validate: required }),
          )
        : undefined;
  const password = await q.secret(variableNames.password, preset.secret.message, preset.secret.validate ?? required);
  if (rule.kind === 'secret' && password) user = { value: password.value, source: { kind: 'setup', detail: `the ${preset.label} preset: same as the token` } };
  // Mailbox providers send as the login address; offer it as the sender.
  const suggestedSender = user && parseAddress(user.value) ? user.value : undefined;
  const sender = await q.ask('--from', o.from, validAddress, (p) =>
    p.input({
      message: `Sender address (From)${preset.id === 'resend' ? ', on a domain verified in Resend' : ''}`,
      ...(suggestedSender ? { default: suggestedSender } : {}),
      validate: validAddress,
    }),
  );
  return settingsFrom(current, { host, port, secure, user, password, sender });
}

async function askResendApi(o: InitOptions, q: Questions, current: LoadedConfig, guide: Output): Promise<Values> {
  const preset = findPreset('resend-api')!;
  explain(preset, guide);
  const apiKey = await q.secret(variableNames.apiKey, preset.secret.message, preset.secret.validate ?? required);
  const senderEmail = await q.ask('--from', o.from, validAddress, (p) =>
    p.input({ message: 'Sender address, on a domain verified in Resend', validate: validAddress }),
  );
  return settingsFrom(current, { apiKey, senderEmail });
}

function explain(preset: Preset, guide: Output, region?: string): void {
  const lines = explainPreset(preset, region);
  const width = Math.max(...lines.map((l) => (l.value === undefined ? l.variable.length : l.variable.length + 1 + l.value.length)));
  const shown = lines.map((l) => `  ${(l.value === undefined ? l.variable : `${l.variable}=${l.value}`).padEnd(width)}  ${l.why}`);
  guide.err(`\n${preset.label}:\n${shown.join('\n')}\n\n`);
}

/** Answers under the names the configuration already uses (an alias such as SMTP_PASS stays). */
function settingsFrom(current: LoadedConfig, answers: Partial<Record<SettingKey, Answer | undefined>>): Values {
  const values: Values = {};
  for (const [key, answer] of Object.entries(answers) as [SettingKey, Answer | undefined][]) {
    if (!answer) continue;
    values[key] = { name: current.config.settings[key]?.name ?? variableNames[key][0]!, value: answer.value, source: answer.source };
  }
  return values;
}

/** The variables to write; choosing the Resend API also drops SMTP_*, which would otherwise win. */
function changesFor(preset: Preset, values: Values): EnvChange[] {
  const set: EnvChange[] = Object.values(values).map((s) => ({ name: s.name, value: s.value }));
  if (preset.kind === 'smtp') return set;
  const smtpNames = smtpKeys.flatMap((key) => variableNames[key]);
  return [...set, ...smtpNames.map((name): EnvChange => ({ name, remove: true }))];
}

/** A variable exported in the shell wins over the file: say so, or the new value seems ignored. */
function warnAboutEnvironment(changes: readonly EnvChange[], target: string, output: Output, env: Env): void {
  for (const change of changes) {
    const exported = env[change.name];
    if (exported === undefined || ('value' in change && exported === change.value)) continue;
    output.err(
      `Note: ${change.name} is also set in the environment, which wins over ${target}; unset it there (unset ${change.name}) for the file to take effect.\n`,
    );
  }
}
