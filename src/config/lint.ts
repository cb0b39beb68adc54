import type { Detection } from './detect.js';
import { type LintCheck, lintCheck, type LintFinding, lintInput, type LintInput, lintRule, otherwise } from './lint-kit.js';
import { resendChecks } from './lint-resend.js';
import { smtpChecks } from './lint-smtp.js';
import type { ConfigNote, ResolvedConfig } from './resolve.js';
import { describeSource, type Setting } from './source.js';
import { resendKeys, smtpKeys, type SettingKey } from './variables.js';

export { type LintFinding, type LintId, lintIds } from './lint-kit.js';

/**
 * Every configuration rule, run before any network traffic: rule tables on the rule engine
 * (src/rule-engine.ts), one table per check, whose first matching rule makes the check's finding.
 * Pure: the same config always gives the same findings, so each rule is a row in a table test.
 * The SMTP block's checks are in lint-smtp.ts, the Resend block's in lint-resend.ts.
 */

// --- which provider the configuration selects --------------------------------------------------

/** The settings of one block that hold a non-empty value, in the order the block lists them. */
function setSettings(x: LintInput, keys: readonly SettingKey[]): Setting[] {
  return keys.map((k) => x.settings[k]).filter((s): s is Setting => s !== undefined && s.value.trim() !== '');
}
const where = (settings: Setting[]) => settings.map((s) => `${s.name} (from ${describeSource(s.source)})`).join(', ');
const first = (settings: Setting[]) => (settings[0] ? { variable: settings[0].name, source: settings[0].source } : {});
const isAre = (list: readonly unknown[]) => (list.length === 1 ? 'is' : 'are');
const emailDisabled = (d: Detection) => d.provider === 'none';

const detectionCheck = lintCheck(
  // The classic silent fall-through: the app ends up on Resend (or nothing) and says nothing.
  lintRule(
    'provider.smtp-half-set',
    (x) => (emailDisabled(x.detection) ? 'fail' : 'warn'),
    (x) => x.detection.smtpHalfSet && x.detection.provider !== 'smtp',
    (x) => {
      const set = setSettings(x, smtpKeys);
      const { smtpMissing: missing } = x.detection;
      const disabled = emailDisabled(x.detection);
      return {
        ...first(set),
        message: `the SMTP block is half set: ${where(set)} ${isAre(set)} set, but ${missing.join(', ')} ${isAre(missing)} missing or empty, so detection falls through to Resend${disabled ? ', which is not set either: email is disabled' : ', and mail goes out through Resend, not SMTP'}`,
        fix: `set ${missing.join(', ')} to use SMTP${disabled ? '' : ', or remove the other SMTP_* variables to make Resend the explicit choice'}`,
      };
    },
  ),
  lintRule(
    'provider.resend-half-set',
    'fail',
    (x) => x.detection.resendHalfSet && emailDisabled(x.detection),
    (x) => {
      const set = setSettings(x, resendKeys);
      const { resendMissing: missing } = x.detection;
      return {
        ...first(set),
        message: `the Resend block is half set: ${where(set)} ${isAre(set)} set, but ${missing.join(', ')} ${isAre(missing)} missing or empty, and SMTP is not set: email is disabled`,
        fix: `set ${missing.join(', ')}`,
      };
    },
  ),
  lintRule(
    'provider.none',
    'fail',
    (x) => emailDisabled(x.detection),
    (x) => ({
      message: `email is disabled: ${x.detection.reason}`,
      fix: 'set SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_SENDER and SMTP_SECURE (or RESEND_API_KEY and RESEND_SENDER_EMAIL): `mailcheck init` sets them up step by step, and `mailcheck test --sandbox` shows a working session first, with no account needed',
    }),
  ),
  lintRule(
    'provider.both-set',
    'warn',
    (x) => x.detection.provider === 'smtp' && x.detection.resendMissing.length === 0,
    (x) => {
      const set = setSettings(x, resendKeys);
      return {
        ...first(set),
        message: `both the SMTP and the Resend blocks are set; SMTP wins, so ${where(set)} ${isAre(set)} ignored`,
        fix: 'remove RESEND_API_KEY and RESEND_SENDER_EMAIL (or the SMTP_* variables) so the choice is explicit',
      };
    },
  ),
  lintRule('provider.detected', 'pass', otherwise, (x) => ({ message: `provider ${x.detection.provider}: ${x.detection.reason}` })),
);

/** What the resolver noticed about the files themselves (duplicate keys, shadowed aliases): one finding per note, not a rule's verdict. */
const noteFinding = (note: ConfigNote): LintFinding => ({ id: 'config.note', status: 'warn', message: note.message, fix: note.fix });

/** The findings of every check that applies: the detection, then the selected block's, then the notes. */
export function lintConfig(config: ResolvedConfig, detection: Detection): LintFinding[] {
  const x = lintInput(config, detection);
  const applying: readonly LintCheck[] = [
    detectionCheck,
    ...(detection.provider === 'smtp' ? smtpChecks : []),
    ...(detection.provider === 'resend' ? resendChecks : []),
  ];
  return [...applying.map((check) => check.first(x)).filter((f): f is LintFinding => f !== undefined), ...config.notes.map(noteFinding)];
}
