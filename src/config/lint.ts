import { parseAddress } from './address.js';
import type { Detection } from './detect.js';
import { implicitTlsPorts, recogniseProvider, starttlsPorts } from './providers.js';
import type { ResolvedConfig } from './resolve.js';
import { parsePort, smtpNames } from './smtp-settings.js';
import { describeSource, type Setting, type Source } from './source.js';
import { maskSecret } from '../report/redact.js';

export type LintStatus = 'pass' | 'warn' | 'fail';

/** One configuration rule's verdict: which variable, where it came from, and the fix. */
export interface LintFinding {
  /** Stable identifier (JSON, tests). */
  id: string;
  status: LintStatus;
  variable?: string;
  source?: Source;
  message: string;
  fix?: string;
}

type Finding = Omit<LintFinding, 'variable' | 'source'>;

/** Attaches variable name and origin, and says "SMTP_PORT=abc (from .env line 3)" in the message. */
function about(setting: Setting | undefined, finding: Finding, showValue = true): LintFinding {
  if (!setting) return finding;
  const value = showValue ? `=${JSON.stringify(setting.value)}` : '';
  return {
    ...finding,
    variable: setting.name,
    source: setting.source,
    message: `${setting.name}${value} (from ${describeSource(setting.source)}): ${finding.message}`,
  };
}

/**
 * Every configuration rule, run before any network traffic. Pure: the same config always gives
 * the same findings, so each rule is a row in a table test.
 */
export function lintConfig(config: ResolvedConfig, detection: Detection): LintFinding[] {
  const findings: LintFinding[] = [...lintDetection(detection)];
  if (detection.provider === 'smtp') findings.push(...lintSmtp(config));
  if (detection.provider === 'resend') findings.push(...lintResend(config));
  for (const note of config.notes) findings.push({ id: 'config.note', status: 'warn', message: note });
  return findings;
}

function lintDetection(detection: Detection): LintFinding[] {
  const findings: LintFinding[] = [];
  if (detection.provider === 'none') {
    findings.push({
      id: 'provider.none',
      status: 'fail',
      message: `email is disabled: ${detection.reason}`,
      fix: detection.smtpHalfSet
        ? `set ${detection.smtpMissing.join(', ')}`
        : detection.resendHalfSet
          ? `set ${detection.resendMissing.join(', ')}`
          : 'set the SMTP_* variables (or RESEND_API_KEY and RESEND_SENDER_EMAIL), or run `mailcheck init`',
    });
  } else if (detection.provider === 'resend' && detection.smtpHalfSet) {
    findings.push({
      id: 'provider.smtp-half-set',
      status: 'warn',
      message: `the SMTP block is half set (missing ${detection.smtpMissing.join(', ')}), so detection falls through to Resend`,
      fix: `set ${detection.smtpMissing.join(', ')} to use SMTP, or remove the other SMTP_* variables to use Resend`,
    });
  } else if (detection.provider === 'smtp' && detection.resendMissing.length === 0) {
    findings.push({
      id: 'provider.both-set',
      status: 'warn',
      message: 'both the SMTP and the Resend blocks are set; SMTP wins and RESEND_* are ignored',
      fix: 'remove RESEND_API_KEY and RESEND_SENDER_EMAIL, or the SMTP_* variables, so the choice is explicit',
    });
  } else {
    findings.push({ id: 'provider.detected', status: 'pass', message: `provider ${detection.provider}: ${detection.reason}` });
  }
  return findings;
}

function lintSmtp(config: ResolvedConfig): LintFinding[] {
  const s = config.settings;
  const names = smtpNames(config);
  const findings: LintFinding[] = [];
  const add = (setting: Setting | undefined, finding: Finding, showValue = true) => findings.push(about(setting, finding, showValue));

  findings.push(...lintHost(s.host));

  const port = parsePort(s.port?.value ?? '');
  if (port === undefined) {
    add(s.port, {
      id: 'smtp.port.invalid',
      status: 'fail',
      message: /^\s*\d+\s*$/.test(s.port?.value ?? '') ? 'not a port (1 to 65535)' : 'not a number',
      fix: `set ${names.port}=587 (STARTTLS) or ${names.port}=465 (implicit TLS)`,
    });
  }

  const secureText = s.secure?.value.trim();
  if (secureText === undefined || secureText === '') {
    findings.push({
      id: 'smtp.secure.missing',
      status: 'warn',
      variable: names.secure,
      message: `${names.secure} is not set; apps read that as 0 (STARTTLS)`,
      fix: `set ${names.secure}=${port !== undefined && implicitTlsPorts.includes(port) ? 1 : 0} explicitly`,
    });
  } else if (secureText !== '0' && secureText !== '1') {
    const readAs = Boolean(Number(secureText)) ? 1 : 0;
    add(s.secure, {
      id: 'smtp.secure.invalid',
      status: 'fail',
      message: `must be 0 or 1; apps that read it as a number (\`!!Number(value)\`) take this as ${readAs} (${readAs ? 'implicit TLS' : 'STARTTLS'}), others as the opposite`,
      fix: `set ${names.secure}=1 for implicit TLS (port 465) or ${names.secure}=0 for STARTTLS (port 587)`,
    });
  } else if (port !== undefined) {
    const secure = secureText === '1';
    if (secure && starttlsPorts.includes(port)) {
      add(s.secure, {
        id: 'smtp.port-secure.mismatch',
        status: 'fail',
        message: `implicit TLS on port ${port}, which speaks STARTTLS; the client would fail with "wrong version number"`,
        fix: `set ${names.secure}=0, or ${names.port}=465 with ${names.secure}=1`,
      });
    } else if (!secure && implicitTlsPorts.includes(port)) {
      add(s.secure, {
        id: 'smtp.port-secure.mismatch',
        status: 'fail',
        message: `STARTTLS on port ${port}, which expects implicit TLS; the server would wait silently for a TLS handshake ("Greeting never received")`,
        fix: `set ${names.secure}=1, or ${names.port}=587 with ${names.secure}=0`,
      });
    } else {
      findings.push({ id: 'smtp.port-secure', status: 'pass', message: `port ${port} with ${names.secure}=${secureText} (${secure ? 'implicit TLS' : 'STARTTLS'})` });
    }
  }

  findings.push(...lintProviderConventions(config, port));
  findings.push(...lintSender(s.sender, 'smtp.sender', names.sender));

  const user = s.user?.value;
  if (user !== undefined && user !== user.trim()) {
    add(s.user, { id: 'smtp.user.whitespace', status: 'warn', message: 'has leading or trailing spaces', fix: `remove the spaces around ${names.user}` });
  }
  return findings;
}

function lintHost(host: Setting | undefined): LintFinding[] {
  const value = host?.value ?? '';
  const name = host?.name ?? 'SMTP_HOST';
  const trimmed = value.trim();
  const fail = (id: string, message: string, fix: string): LintFinding[] => [about(host, { id, status: 'fail', message, fix })];
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme) {
    const bare = trimmed.slice(scheme[0].length).replace(/[:/].*$/, '');
    return fail('smtp.host.scheme', `has a scheme (${scheme[1]}://); SMTP_HOST is a bare hostname`, `set ${name}=${bare}`);
  }
  if (/\s/.test(trimmed)) return fail('smtp.host.spaces', 'contains spaces', `remove the spaces from ${name}`);
  const withPort = /^([^:\s]+):(\d+)$/.exec(trimmed);
  if (withPort) {
    return fail('smtp.host.port', 'includes a port; the port belongs in SMTP_PORT', `set ${name}=${withPort[1]} and SMTP_PORT=${withPort[2]}`);
  }
  if (trimmed !== value) {
    return [about(host, { id: 'smtp.host.whitespace', status: 'warn', message: 'has leading or trailing spaces', fix: `remove the spaces around ${name}` })];
  }
  if (trimmed.endsWith('.')) {
    return [about(host, { id: 'smtp.host.trailing-dot', status: 'warn', message: 'ends with a dot; TLS certificates never do, so verification may fail', fix: `set ${name}=${trimmed.slice(0, -1)}` })];
  }
  if (/[^\x00-\x7f]/.test(trimmed)) {
    const ascii = safeDomainToAscii(trimmed);
    return [about(host, { id: 'smtp.host.unicode', status: 'warn', message: `contains non-ASCII characters${ascii ? ` (its ASCII form is ${ascii})` : ''}; check it is not a look-alike of the real name`, fix: `type ${name} by hand in ASCII` })];
  }
  return [{ id: 'smtp.host', status: 'pass', variable: name, message: `host ${trimmed}` }];
}

function safeDomainToAscii(host: string): string | undefined {
  try {
    return new URL(`smtp://${host}`).hostname || undefined;
  } catch {
    return undefined;
  }
}

function lintProviderConventions(config: ResolvedConfig, port: number | undefined): LintFinding[] {
  const s = config.settings;
  const names = smtpNames(config);
  const provider = recogniseProvider(s.host?.value);
  if (!provider) return [];
  const findings: LintFinding[] = [];
  const user = s.user?.value;
  const password = s.password?.value ?? '';
  if (provider.fixedUser && user !== provider.fixedUser) {
    findings.push(about(s.user, {
      id: `${provider.id}.user`,
      status: 'fail',
      message: `${provider.label} expects the username to be the literal \`${provider.fixedUser}\`${user?.includes('@') ? ', not an email address' : ''}`,
      fix: `set ${names.user}=${provider.fixedUser}`,
    }));
  }
  if (provider.id === 'resend') {
    if (!password.startsWith('re_')) {
      findings.push(about(s.password, {
        id: 'resend.password',
        status: 'fail',
        message: `is ${maskSecret(password)}, not a Resend API key (they start with re_); the SMTP password is the API key, not the account password`,
        fix: `set ${names.password} to your Resend API key (re_...)`,
      }, false));
    }
    if (port === 25) {
      findings.push(about(s.port, {
        id: 'resend.port',
        status: 'fail',
        message: "Resend's relay does not support port 25",
        fix: `set ${names.port}=465 with ${names.secure}=1 (recommended), or ${names.port}=587 with ${names.secure}=0`,
      }));
    }
  }
  if (provider.id === 'gmail' && !/^([a-z]{4} ?){3}[a-z]{4}$/i.test(password.trim())) {
    findings.push(about(s.password, {
      id: 'gmail.password',
      status: 'warn',
      message: `is ${maskSecret(password)}, which does not look like a Google App Password (16 letters); Gmail rejects the account password with 535-5.7.8`,
      fix: `create an App Password (Google Account > Security > App passwords) and put it in ${names.password}`,
    }, false));
  }
  return findings;
}

export function lintSender(sender: Setting | undefined, idPrefix: string, name: string): LintFinding[] {
  const value = sender?.value ?? '';
  const parsed = parseAddress(value);
  if (parsed) return [{ id: idPrefix, status: 'pass', variable: name, message: `sender ${parsed.address}` }];
  const looksLikeAddress = /@/.test(value);
  return [about(sender, {
    id: looksLikeAddress ? `${idPrefix}.syntax` : `${idPrefix}.not-address`,
    status: 'fail',
    message: looksLikeAddress ? 'is not a valid email address' : 'is not an email address at all',
    fix: `set ${name}=noreply@yourdomain.com (or "Your App <noreply@yourdomain.com>")`,
  })];
}

function lintResend(config: ResolvedConfig): LintFinding[] {
  const key = config.settings.apiKey;
  const keyName = key?.name ?? 'RESEND_API_KEY';
  const senderName = config.settings.senderEmail?.name ?? 'RESEND_SENDER_EMAIL';
  const keyFinding: LintFinding = /^re_[A-Za-z0-9_]{8,}$/.test(key?.value.trim() ?? '')
    ? { id: 'resend.key', status: 'pass', variable: keyName, message: `API key ${maskSecret(key?.value)}` }
    : about(key, {
        id: 'resend.key.shape',
        status: 'fail',
        message: `is ${maskSecret(key?.value)}, which is not shaped like a Resend API key (re_ followed by letters, digits and _)`,
        fix: `create a key at https://resend.com/api-keys and set ${keyName} to it`,
      }, false);
  return [keyFinding, ...lintSender(config.settings.senderEmail, 'resend.sender', senderName)];
}
