/**
 * Lint rules on the rule engine (src/rule-engine.ts): the configuration in, a finding out. Each
 * check of lint.ts is a table whose first matching rule makes its one finding (or none matches,
 * and the check has nothing to say); this file holds what every rule reads and how it writes.
 */
import type { Detection } from './detect.js';
import { recogniseProvider, type ProviderInfo } from './providers.js';
import type { ResolvedConfig } from './resolve.js';
import { shownQuoted } from './shown.js';
import { parsePort, smtpNames } from './smtp-settings.js';
import { describeSource, type Setting, type Source } from './source.js';
import { settingKeyOf, type SmtpKey } from './variables.js';
import { FirstMatchTable, type Rule } from '../rule-engine.js';

type LintStatus = 'pass' | 'warn' | 'fail';

/**
 * Every id a lint finding can carry: public (JSON, README, the schema's enum), so spelled out once,
 * here. A rule cannot carry an id missing from it (lintRule takes a LintId), and lint.test.ts
 * reaches every id in it through a rule.
 */
export const lintIds = [
  'provider.detected',
  'provider.none',
  'provider.smtp-half-set',
  'provider.resend-half-set',
  'provider.both-set',
  'config.note',
  'smtp.host',
  'smtp.host.scheme',
  'smtp.host.spaces',
  'smtp.host.port',
  'smtp.host.invalid',
  'smtp.host.whitespace',
  'smtp.host.trailing-dot',
  'smtp.host.unicode',
  'smtp.port.not-number',
  'smtp.port.range',
  'smtp.secure.invalid',
  'smtp.secure.missing',
  'smtp.port-secure',
  'smtp.port-secure.mismatch',
  'smtp.user.whitespace',
  'smtp.password.whitespace',
  'smtp.sender',
  'smtp.sender.syntax',
  'smtp.sender.not-address',
  'resend.user',
  'resend.password',
  'resend.port',
  'sendgrid.user',
  'gmail.password',
  'resend.key',
  'resend.key.shape',
  'resend.key.placeholder',
  'resend.key.whitespace',
  'resend.sender',
  'resend.sender.syntax',
  'resend.sender.not-address',
  'resend.sender.testing-domain',
  'resend.sender.mailbox-provider',
] as const;
export type LintId = (typeof lintIds)[number];

/** One configuration rule's verdict: which variable, where it came from, and the fix. */
export interface LintFinding {
  /** Stable identifier (JSON, tests). */
  id: LintId;
  status: LintStatus;
  variable?: string;
  source?: Source;
  message: string;
  fix?: string;
}

/** What every lint rule reads: the resolved configuration, and what follows from it, worked out once. */
export interface LintInput {
  config: ResolvedConfig;
  settings: ResolvedConfig['settings'];
  detection: Detection;
  /** The variable names the user set (SMTP_PASS stays SMTP_PASS). */
  names: Record<SmtpKey, string>;
  /** SMTP_PORT as a port, when it is one. */
  port: number | undefined;
  /** The provider recognised from SMTP_HOST, whose conventions the rules apply. */
  provider: ProviderInfo | undefined;
}

export function lintInput(config: ResolvedConfig, detection: Detection): LintInput {
  const settings = config.settings;
  return {
    config,
    settings,
    detection,
    names: smtpNames(config),
    port: parsePort(settings.port?.value ?? ''),
    provider: recogniseProvider(settings.host?.value),
  };
}

/** What a rule writes; its id and status come from the rule itself. */
export type LintText = Omit<LintFinding, 'id' | 'status'>;

type LintRule = Rule<[LintInput], LintFinding, LintId>;

/** A check: its rules in order, the first that matches makes the finding. */
export type LintCheck = FirstMatchTable<[LintInput], LintFinding, LintId>;

/** A lint rule: its id, its status (fixed, or decided from the input), when it applies, and its words. */
export function lintRule(
  id: LintId,
  status: LintStatus | ((x: LintInput) => LintStatus),
  matches: (x: LintInput) => boolean,
  make: (x: LintInput) => LintText,
): LintRule {
  return { id, matches, make: (x) => ({ id, status: typeof status === 'function' ? status(x) : status, ...make(x) }) };
}

/** One check: its rules in order, the first that matches makes the finding; none matching, the check has nothing to say. */
export function lintCheck(...rules: LintRule[]): LintCheck {
  return new FirstMatchTable(rules);
}

/** The last rule of a check, which holds when no rule before it did (usually the pass). */
export const otherwise = () => true;

/**
 * Attaches variable name and origin, and says "SMTP_PORT=abc (from .env line 3)" in the message.
 * The value appears as config/shown.ts allows (a credential-shaped value is masked).
 */
export function about(setting: Setting | undefined, text: { message: string; fix?: string }, showValue = true): LintText {
  if (!setting) return text;
  const key = settingKeyOf(setting.name);
  const value = showValue && key ? `=${shownQuoted(key, { [key]: setting })}` : '';
  return {
    ...text,
    variable: setting.name,
    source: setting.source,
    message: `${setting.name}${value} (from ${describeSource(setting.source)}): ${text.message}`,
  };
}
