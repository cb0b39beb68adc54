import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parseAddress } from './address.js';
import type { Detection } from './detect.js';
import {
  hasSecretShapeOf,
  implicitTlsPorts,
  providerInfo,
  recogniseProvider,
  secureValue,
  startsLikeSecretOf,
  starttlsPorts,
  type PortMode,
} from './providers.js';
import type { ResolvedConfig } from './resolve.js';
import { parsePort, smtpNames } from './smtp-settings.js';
import { describeSource, type Setting, type Source } from './source.js';
import { resendKeys, settingKeyOf, smtpKeys, type SettingKey, type SmtpKey } from './variables.js';
import { maskSecret } from '../safety/secrets.js';
import { mustMask, shownQuoted } from './shown.js';

type LintStatus = 'pass' | 'warn' | 'fail';

/** One configuration rule's verdict: which variable, where it came from, and the fix. */
/** Every id a lint finding can carry: public (JSON, README), so typed and listed once. */
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

export interface LintFinding {
  /** Stable identifier (JSON, tests). */
  id: LintId;
  status: LintStatus;
  variable?: string;
  source?: Source;
  message: string;
  fix?: string;
}

type Finding = Omit<LintFinding, 'variable' | 'source'>;

/**
 * Attaches variable name and origin, and says "SMTP_PORT=abc (from .env line 3)" in the message.
 * The value appears as config/shown.ts allows (a credential-shaped value is masked).
 */
function about(setting: Setting | undefined, finding: Finding, showValue = true): LintFinding {
  if (!setting) return finding;
  const key = settingKeyOf(setting.name);
  const value = showValue && key ? `=${shownQuoted(key, { [key]: setting })}` : '';
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
  const findings: LintFinding[] = [...lintDetection(config, detection)];
  if (detection.provider === 'smtp') findings.push(...lintSmtp(config));
  if (detection.provider === 'resend') findings.push(...lintResend(config));
  for (const note of config.notes) findings.push({ id: 'config.note', status: 'warn', message: note.message, fix: note.fix });
  return findings;
}

function lintDetection(config: ResolvedConfig, detection: Detection): LintFinding[] {
  const smtpSet = setSettings(config, smtpKeys);
  const resendSet = setSettings(config, resendKeys);
  const where = (settings: Setting[]) => settings.map((s) => `${s.name} (from ${describeSource(s.source)})`).join(', ');
  const first = (settings: Setting[]) => (settings[0] ? { variable: settings[0].name, source: settings[0].source } : {});

  if (detection.smtpHalfSet && detection.provider !== 'smtp') {
    // The classic silent fall-through: the app ends up on Resend (or nothing) and says nothing.
    const disabled = detection.provider === 'none';
    return [
      {
        id: 'provider.smtp-half-set',
        status: disabled ? 'fail' : 'warn',
        ...first(smtpSet),
        message: `the SMTP block is half set: ${where(smtpSet)} ${smtpSet.length === 1 ? 'is' : 'are'} set, but ${detection.smtpMissing.join(', ')} ${detection.smtpMissing.length === 1 ? 'is' : 'are'} missing or empty, so detection falls through to Resend${disabled ? ', which is not set either: email is disabled' : ', and mail goes out through Resend, not SMTP'}`,
        fix: `set ${detection.smtpMissing.join(', ')} to use SMTP${disabled ? '' : ', or remove the other SMTP_* variables to make Resend the explicit choice'}`,
      },
    ];
  }
  if (detection.resendHalfSet && detection.provider === 'none') {
    return [
      {
        id: 'provider.resend-half-set',
        status: 'fail',
        ...first(resendSet),
        message: `the Resend block is half set: ${where(resendSet)} ${resendSet.length === 1 ? 'is' : 'are'} set, but ${detection.resendMissing.join(', ')} ${detection.resendMissing.length === 1 ? 'is' : 'are'} missing or empty, and SMTP is not set: email is disabled`,
        fix: `set ${detection.resendMissing.join(', ')}`,
      },
    ];
  }
  if (detection.provider === 'none') {
    return [
      {
        id: 'provider.none',
        status: 'fail',
        message: `email is disabled: ${detection.reason}`,
        fix: 'set SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_SENDER and SMTP_SECURE (or RESEND_API_KEY and RESEND_SENDER_EMAIL): `mailcheck init` sets them up step by step, and `mailcheck test --sandbox` shows a working session first, with no account needed',
      },
    ];
  }
  if (detection.provider === 'smtp' && detection.resendMissing.length === 0) {
    return [
      {
        id: 'provider.both-set',
        status: 'warn',
        ...first(resendSet),
        message: `both the SMTP and the Resend blocks are set; SMTP wins, so ${where(resendSet)} ${resendSet.length === 1 ? 'is' : 'are'} ignored`,
        fix: 'remove RESEND_API_KEY and RESEND_SENDER_EMAIL (or the SMTP_* variables) so the choice is explicit',
      },
    ];
  }
  return [{ id: 'provider.detected', status: 'pass', message: `provider ${detection.provider}: ${detection.reason}` }];
}

/** The settings of one block that hold a non-empty value, in the order the block lists them. */
function setSettings(config: ResolvedConfig, keys: readonly SettingKey[]): Setting[] {
  return keys.map((k) => config.settings[k]).filter((s): s is Setting => s !== undefined && s.value.trim() !== '');
}

function lintSmtp(config: ResolvedConfig): LintFinding[] {
  const s = config.settings;
  const names = smtpNames(config);
  const port = parsePort(s.port?.value ?? '');
  const findings: LintFinding[] = [
    ...lintHost(s.host),
    ...lintPort(s.port, port, names),
    ...lintSecure(s.secure, s.port, port, names),
    ...lintProviderConventions(config, port),
    ...lintSender(s.sender, 'smtp.sender', names.sender),
  ];
  // Copy-pasted credentials often carry a space or a line end the app then sends as is.
  const user = s.user?.value;
  if (user !== undefined && user !== user.trim()) {
    findings.push(
      about(
        s.user,
        {
          id: 'smtp.user.whitespace',
          status: 'warn',
          message: 'has leading or trailing spaces, which the server sees as part of the username',
          fix: `remove the spaces around ${names.user}`,
        },
        !mustMask('user', s),
      ),
    );
  }
  const password = s.password?.value;
  if (password !== undefined && password !== password.trim()) {
    findings.push(
      about(
        s.password,
        {
          id: 'smtp.password.whitespace',
          status: 'warn',
          message: 'has leading or trailing spaces or a line end, which the server sees as part of the password',
          fix: `remove the spaces around ${names.password}`,
        },
        false,
      ),
    );
  }
  return findings;
}

function lintPort(setting: Setting | undefined, port: number | undefined, names: Record<SmtpKey, string>): LintFinding[] {
  if (port !== undefined) return [];
  const numeric = /^\s*\d+\s*$/.test(setting?.value ?? '');
  return [
    about(setting, {
      id: numeric ? 'smtp.port.range' : 'smtp.port.not-number',
      status: 'fail',
      // One popular app silently turns a non-number into 587: say so, it explains "it worked before".
      message: numeric ? 'is out of range (a port is 1 to 65535)' : 'is not a number (some apps silently use 587 instead, others fail)',
      fix: `set ${names.port}=587 (STARTTLS) or ${names.port}=465 (implicit TLS)`,
    }),
  ];
}

/**
 * SMTP_SECURE against the port. Apps read a missing SMTP_SECURE as 0, so "missing" is judged as 0
 * against the port; anything but 0 and 1 is a failure because apps disagree about what it means.
 */
function lintSecure(setting: Setting | undefined, portSetting: Setting | undefined, port: number | undefined, names: Record<SmtpKey, string>): LintFinding[] {
  const text = setting?.value.trim() ?? '';
  if (text !== '' && text !== '0' && text !== '1') {
    const readAs = Number.isNaN(Number(text)) || Number(text) === 0 ? 0 : 1;
    return [
      about(setting, {
        id: 'smtp.secure.invalid',
        status: 'fail',
        message: `must be 0 or 1: apps disagree about anything else. Apps that read it as a number (\`!!Number(value)\`) take ${JSON.stringify(text)} as ${readAs} (${readAs ? 'implicit TLS' : 'STARTTLS'})${readAs ? '' : ', so `true` means OFF there'}; others take it the other way`,
        fix: `set ${names.secure}=1 for implicit TLS (port 465) or ${names.secure}=0 for STARTTLS (port 587)`,
      }),
    ];
  }
  const implicitPort = port !== undefined && implicitTlsPorts.includes(port);
  if (text === '') {
    if (implicitPort) {
      return [
        about(portSetting, {
          id: 'smtp.port-secure.mismatch',
          status: 'fail',
          message: `expects implicit TLS, but ${names.secure} is not set, which apps read as 0 (STARTTLS): the server would wait silently for a TLS handshake ("Greeting never received")`,
          fix: `set ${names.secure}=1`,
        }),
      ];
    }
    return [
      {
        id: 'smtp.secure.missing',
        status: 'warn',
        variable: names.secure,
        message: `${names.secure} is not set in any env file, the environment or a flag; apps read that as 0 (STARTTLS)`,
        fix: `set ${names.secure}=0 explicitly`,
      },
    ];
  }
  if (port === undefined) return [];
  const secure = text === '1';
  if (secure && starttlsPorts.includes(port)) {
    return [
      about(setting, {
        id: 'smtp.port-secure.mismatch',
        status: 'fail',
        message: `asks for implicit TLS, but port ${port} (${describePortSource(portSetting, names)}) speaks STARTTLS: the client would fail with "wrong version number"`,
        fix: `set ${names.secure}=0, or ${names.port}=465 with ${names.secure}=1`,
      }),
    ];
  }
  if (!secure && implicitPort) {
    return [
      about(setting, {
        id: 'smtp.port-secure.mismatch',
        status: 'fail',
        message: `asks for STARTTLS, but port ${port} (${describePortSource(portSetting, names)}) expects implicit TLS: the server would wait silently for a TLS handshake ("Greeting never received")`,
        fix: `set ${names.secure}=1, or ${names.port}=587 with ${names.secure}=0`,
      }),
    ];
  }
  return [
    {
      id: 'smtp.port-secure',
      status: 'pass',
      variable: names.secure,
      message: `port ${port} with ${names.secure}=${text} (${secure ? 'implicit TLS' : 'STARTTLS'})`,
    },
  ];
}

function describePortSource(portSetting: Setting | undefined, names: Record<SmtpKey, string>): string {
  return portSetting ? `${portSetting.name} from ${describeSource(portSetting.source)}` : names.port;
}

function lintHost(host: Setting | undefined): LintFinding[] {
  const value = host?.value ?? '';
  const name = host?.name ?? 'SMTP_HOST';
  const trimmed = value.trim();
  const fail = (id: LintId, message: string, fix: string): LintFinding[] => [about(host, { id, status: 'fail', message, fix })];
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
  const stray = /[/@?#\\[\]]/.exec(trimmed);
  if (stray) {
    return fail(
      'smtp.host.invalid',
      `is not a hostname (contains ${JSON.stringify(stray[0])})`,
      `set ${name} to the bare server name your provider documents, e.g. smtp.example.com`,
    );
  }
  const bare = trimmed.replace(/\.$/, '');
  if (!isIP(bare) && !validHostname(bare)) {
    return fail(
      'smtp.host.invalid',
      'is not a hostname (empty labels, a label over 63 characters, or a label that starts or ends with "-")',
      `set ${name} to the bare server name your provider documents, e.g. smtp.example.com`,
    );
  }
  if (trimmed !== value) {
    return [about(host, { id: 'smtp.host.whitespace', status: 'warn', message: 'has leading or trailing spaces', fix: `remove the spaces around ${name}` })];
  }
  if (trimmed.endsWith('.')) {
    return [
      about(host, {
        id: 'smtp.host.trailing-dot',
        status: 'warn',
        message: 'ends with a dot; TLS certificates never do, so verification may fail',
        fix: `set ${name}=${trimmed.slice(0, -1)}`,
      }),
    ];
  }
  if (/[^\x00-\x7f]/.test(trimmed)) {
    const ascii = safeDomainToAscii(trimmed);
    return [
      about(host, {
        id: 'smtp.host.unicode',
        status: 'warn',
        message: `contains non-ASCII characters${ascii ? ` (its ASCII form is ${ascii})` : ''}; check it is not a look-alike of the real name`,
        fix: `type ${name} by hand in ASCII`,
      }),
    ];
  }
  return [{ id: 'smtp.host', status: 'pass', variable: name, message: `host ${trimmed}` }];
}

/** RFC 1123 names; non-ASCII labels are judged by their ASCII (punycode) form, and warned about separately. */
function validHostname(host: string): boolean {
  const ascii = /[^\x00-\x7f]/.test(host) ? safeDomainToAscii(host) : host;
  if (!ascii || ascii.length > 253) return false;
  return ascii.split('.').every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/** The punycode form (xn--...) that shows a look-alike for what it is; '' from Node means not a valid name. */
function safeDomainToAscii(host: string): string | undefined {
  return domainToASCII(host) || undefined;
}

/** The providers whose SMTP username is a fixed literal (the registry's fixedUser), and their lint id. */
const fixedUserLintId = { resend: 'resend.user', sendgrid: 'sendgrid.user' } as const satisfies Record<string, LintId>;

/** Conventions of providers recognised from SMTP_HOST (ids `<provider>.<what>`, e.g. `resend.user` for Resend's SMTP relay). */
function lintProviderConventions(config: ResolvedConfig, port: number | undefined): LintFinding[] {
  const s = config.settings;
  const names = smtpNames(config);
  const provider = recogniseProvider(s.host?.value);
  if (!provider) return [];
  const findings: LintFinding[] = [];
  const user = s.user?.value;
  const password = s.password?.value ?? '';
  if (provider.fixedUser && user !== provider.fixedUser) {
    findings.push(
      about(
        s.user,
        {
          id: fixedUserLintId[provider.id as keyof typeof fixedUserLintId],
          status: 'fail',
          message: `${provider.label} expects the username to be the literal \`${provider.fixedUser}\`${user?.includes('@') ? ', not an email address' : ''}`,
          fix: `set ${names.user}=${provider.fixedUser}`,
        },
        !mustMask('user', s),
      ),
    );
  }
  if (provider.id === 'resend') {
    if (!startsLikeSecretOf('resend', password)) {
      findings.push(
        about(
          s.password,
          {
            id: 'resend.password',
            status: 'fail',
            message: `is ${maskSecret(password)}, not a Resend API key (they start with ${provider.secret?.prefix}); the SMTP password is the API key, not the account password`,
            fix: `set ${names.password} to your Resend API key (${provider.secret?.prefix}...)`,
          },
          false,
        ),
      );
    }
    if (port !== undefined && provider.smtp.unsupportedPorts?.includes(port)) {
      const { recommended, fallback } = provider.smtp.ports;
      const withMode = (p: PortMode) => `${names.port}=${p.port} with ${names.secure}=${secureValue(p.tls)}`;
      findings.push(
        about(s.port, {
          id: 'resend.port',
          status: 'fail',
          message: `${providerInfo('resend').label}'s relay does not support port ${port}`,
          fix: `set ${withMode(recommended)} (recommended)${fallback ? `, or ${withMode(fallback)}` : ''}`,
        }),
      );
    }
  }
  if (provider.id === 'gmail' && !hasSecretShapeOf('gmail', password)) {
    findings.push(
      about(
        s.password,
        {
          id: 'gmail.password',
          status: 'warn',
          message: `is ${maskSecret(password)}, which does not look like a Google App Password (16 letters); Gmail rejects the account password with 535-5.7.8`,
          fix: `create an App Password (Google Account > Security > App passwords) and put it in ${names.password}`,
        },
        false,
      ),
    );
  }
  return findings;
}

function lintSender(sender: Setting | undefined, idPrefix: 'smtp.sender' | 'resend.sender', name: string): LintFinding[] {
  const value = sender?.value ?? '';
  const parsed = parseAddress(value);
  if (parsed) {
    // An internationalised domain is fine: DNS and the wire use its punycode, which is worth seeing.
    const ascii = parsed.punycode ? ` (its domain is ${parsed.punycode} in DNS, and to servers without SMTPUTF8)` : '';
    return [{ id: idPrefix, status: 'pass', variable: name, message: `sender ${parsed.address}${ascii}` }];
  }
  const looksLikeAddress = /@/.test(value);
  return [
    about(sender, {
      id: looksLikeAddress ? `${idPrefix}.syntax` : `${idPrefix}.not-address`,
      status: 'fail',
      message: looksLikeAddress
        ? 'is not a valid email address (expected name@domain.tld, or Name <name@domain.tld>)'
        : 'is not an email address at all (a name alone is not enough: the address is what servers check)',
      fix: `set ${name}=noreply@yourdomain.com (or "Your App <noreply@yourdomain.com>")`,
    }),
  ];
}

function lintResend(config: ResolvedConfig): LintFinding[] {
  const key = config.settings.apiKey;
  const keyName = key?.name ?? 'RESEND_API_KEY';
  const senderSetting = config.settings.senderEmail;
  const senderName = senderSetting?.name ?? 'RESEND_SENDER_EMAIL';
  const keyValue = key?.value.trim() ?? '';
  let keyFinding: LintFinding;
  if (!hasSecretShapeOf('resend', keyValue)) {
    const other = startsLikeSecretOf('sendgrid', keyValue)
      ? ' (it looks like a SendGrid key)'
      : /^(key-|xkeysib-|AKIA)/.test(keyValue)
        ? " (it looks like another provider's key)"
        : '';
    keyFinding = about(
      key,
      {
        id: 'resend.key.shape',
        status: 'fail',
        message: `is ${maskSecret(key?.value)}, which is not shaped like a Resend API key (re_ followed by letters, digits and _)${other}`,
        fix: `create a key at https://resend.com/api-keys and set ${keyName} to it`,
      },
      false,
    );
  } else if (/^re_(123456789|x+|X+|0+|your_?api_?key\w*)$/i.test(keyValue)) {
    // The documentation's examples, copied into a .env before the real key was.
    keyFinding = about(
      key,
      {
        id: 'resend.key.placeholder',
        status: 'fail',
        message: `is ${maskSecret(key?.value)}, a placeholder from the documentation, not a real key`,
        fix: `create a key at https://resend.com/api-keys and set ${keyName} to it`,
      },
      false,
    );
  } else {
    keyFinding = { id: 'resend.key', status: 'pass', variable: keyName, message: `API key ${maskSecret(key?.value)}` };
  }
  const findings = [keyFinding, ...lintSender(senderSetting, 'resend.sender', senderName)];
  // mailcheck checks the trimmed key; the app sends the key as given, and a line end in an HTTP header fails every request.
  if (key && key.value !== key.value.trim()) {
    findings.push(
      about(
        key,
        {
          id: 'resend.key.whitespace',
          status: 'warn',
          message:
            'has leading or trailing spaces or a line end: mailcheck checked the key without them, but your app sends them along, and the API refuses such a key',
          fix: `remove the spaces around ${keyName}`,
        },
        false,
      ),
    );
  }

  // The sender's domain is what Resend verifies: some domains can never be verified by the user.
  const domain = parseAddress(senderSetting?.value ?? '')?.domain;
  if (domain === 'resend.dev') {
    findings.push(
      about(senderSetting, {
        id: 'resend.sender.testing-domain',
        status: 'warn',
        message: "is on resend.dev, Resend's shared testing domain: it delivers only to your own account's address",
        fix: `verify your domain at https://resend.com/domains and set ${senderName}=noreply@yourdomain.com`,
      }),
    );
  } else if (domain && mailboxProviderDomains.has(domain)) {
    findings.push(
      about(senderSetting, {
        id: 'resend.sender.mailbox-provider',
        status: 'fail',
        message: `is on ${domain}, a mailbox provider's domain: only ${domain} can authorise senders there, so Resend will never verify it for you`,
        fix: `send from a domain you own (set ${senderName}=noreply@yourdomain.com), or use ${senderName}=onboarding@resend.dev for a first test`,
      }),
    );
  }
  return findings;
}

/** Free mailbox domains people put in the sender, expecting it to work like their mail client. */
const mailboxProviderDomains = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'yandex.com',
  'yandex.ru',
  'mail.com',
  'zoho.com',
]);
