import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { maskSecret } from '../safety/secrets.js';
import { parseAddress } from './address.js';
import { about, lintCheck, type LintInput, lintRule, otherwise } from './lint-kit.js';
import { hasSecretShapeOf, implicitTlsPorts, type KnownProvider, type PortMode, secureValue, startsLikeSecretOf, starttlsPorts } from './providers.js';
import { mustMask } from './shown.js';
import { describeSource, type Setting } from './source.js';

/**
 * The checks of the SMTP block, in report order: each a table whose first matching rule makes
 * its finding. Provider conventions apply to the provider recognised from SMTP_HOST (ids
 * `<provider>.<what>`, e.g. `resend.user` for Resend's relay), from the provider registry.
 */

// --- SMTP_HOST ----------------------------------------------------------------------------------

/** The host as written, and trimmed; its variable name for the fix. */
const hostOf = (x: LintInput) => {
  const value = x.settings.host?.value ?? '';
  return { setting: x.settings.host, value, trimmed: value.trim(), name: x.settings.host?.name ?? 'SMTP_HOST' };
};
const schemeOf = (host: string) => /^([a-z][a-z0-9+.-]*):\/\//i.exec(host);
const withPortOf = (host: string) => /^([^:\s]+):(\d+)$/.exec(host);
const strayOf = (host: string) => /[/@?#\\[\]]/.exec(host);
const nonAscii = (host: string) => /[^\x00-\x7f]/.test(host);

/** RFC 1123 names; non-ASCII labels are judged by their ASCII (punycode) form, and warned about separately. */
function validHostname(host: string): boolean {
  const ascii = nonAscii(host) ? safeDomainToAscii(host) : host;
  if (!ascii || ascii.length > 253) return false;
  return ascii.split('.').every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/** The punycode form (xn--...) that shows a look-alike for what it is; '' from Node means not a valid name. */
function safeDomainToAscii(host: string): string | undefined {
  return domainToASCII(host) || undefined;
}

const notAHostnameFix = (name: string) => `set ${name} to the bare server name your provider documents, e.g. smtp.example.com`;

const hostCheck = lintCheck(
  lintRule(
    'smtp.host.scheme',
    'fail',
    (x) => schemeOf(hostOf(x).trimmed) !== null,
    (x) => {
      const { setting, trimmed, name } = hostOf(x);
      const scheme = schemeOf(trimmed)!;
      const bare = trimmed.slice(scheme[0].length).replace(/[:/].*$/, '');
      return about(setting, { message: `has a scheme (${scheme[1]}://); SMTP_HOST is a bare hostname`, fix: `set ${name}=${bare}` });
    },
  ),
  lintRule(
    'smtp.host.spaces',
    'fail',
    (x) => /\s/.test(hostOf(x).trimmed),
    (x) => about(hostOf(x).setting, { message: 'contains spaces', fix: `remove the spaces from ${hostOf(x).name}` }),
  ),
  lintRule(
    'smtp.host.port',
    'fail',
    (x) => withPortOf(hostOf(x).trimmed) !== null,
    (x) => {
      const { setting, trimmed, name } = hostOf(x);
      const [, host, port] = withPortOf(trimmed)!;
      return about(setting, { message: 'includes a port; the port belongs in SMTP_PORT', fix: `set ${name}=${host} and SMTP_PORT=${port}` });
    },
  ),
  lintRule(
    'smtp.host.invalid',
    'fail',
    (x) => strayOf(hostOf(x).trimmed) !== null,
    (x) => {
      const { setting, trimmed, name } = hostOf(x);
      return about(setting, { message: `is not a hostname (contains ${JSON.stringify(strayOf(trimmed)![0])})`, fix: notAHostnameFix(name) });
    },
  ),
  lintRule(
    'smtp.host.invalid',
    'fail',
    (x) => {
      const bare = hostOf(x).trimmed.replace(/\.$/, '');
      return !isIP(bare) && !validHostname(bare);
    },
    (x) =>
      about(hostOf(x).setting, {
        message: 'is not a hostname (empty labels, a label over 63 characters, or a label that starts or ends with "-")',
        fix: notAHostnameFix(hostOf(x).name),
      }),
  ),
  lintRule(
    'smtp.host.whitespace',
    'warn',
    (x) => hostOf(x).trimmed !== hostOf(x).value,
    (x) => about(hostOf(x).setting, { message: 'has leading or trailing spaces', fix: `remove the spaces around ${hostOf(x).name}` }),
  ),
  lintRule(
    'smtp.host.trailing-dot',
    'warn',
    (x) => hostOf(x).trimmed.endsWith('.'),
    (x) =>
      about(hostOf(x).setting, {
        message: 'ends with a dot; TLS certificates never do, so verification may fail',
        fix: `set ${hostOf(x).name}=${hostOf(x).trimmed.slice(0, -1)}`,
      }),
  ),
  lintRule(
    'smtp.host.unicode',
    'warn',
    (x) => nonAscii(hostOf(x).trimmed),
    (x) => {
      const { setting, trimmed, name } = hostOf(x);
      const ascii = safeDomainToAscii(trimmed);
      return about(setting, {
        message: `contains non-ASCII characters${ascii ? ` (its ASCII form is ${ascii})` : ''}; check it is not a look-alike of the real name`,
        fix: `type ${name} by hand in ASCII`,
      });
    },
  ),
  lintRule('smtp.host', 'pass', otherwise, (x) => ({ variable: hostOf(x).name, message: `host ${hostOf(x).trimmed}` })),
);

// --- SMTP_PORT ----------------------------------------------------------------------------------

const portFix = (x: LintInput) => `set ${x.names.port}=587 (STARTTLS) or ${x.names.port}=465 (implicit TLS)`;

const portCheck = lintCheck(
  lintRule(
    'smtp.port.range',
    'fail',
    (x) => x.port === undefined && /^\s*\d+\s*$/.test(x.settings.port?.value ?? ''),
    (x) => about(x.settings.port, { message: 'is out of range (a port is 1 to 65535)', fix: portFix(x) }),
  ),
  lintRule(
    'smtp.port.not-number',
    'fail',
    (x) => x.port === undefined,
    // One popular app silently turns a non-number into 587: say so, it explains "it worked before".
    (x) => about(x.settings.port, { message: 'is not a number (some apps silently use 587 instead, others fail)', fix: portFix(x) }),
  ),
);

// --- SMTP_SECURE against the port ---------------------------------------------------------------
// Apps read a missing SMTP_SECURE as 0, so "missing" is judged as 0 against the port; anything but
// 0 and 1 is a failure because apps disagree about what it means.

const secureText = (x: LintInput) => x.settings.secure?.value.trim() ?? '';
const onImplicitPort = (x: LintInput) => x.port !== undefined && implicitTlsPorts.includes(x.port);
const onStarttlsPort = (x: LintInput) => x.port !== undefined && starttlsPorts.includes(x.port);
const describePortSource = (x: LintInput) => (x.settings.port ? `${x.settings.port.name} from ${describeSource(x.settings.port.source)}` : x.names.port);

const secureCheck = lintCheck(
  lintRule(
    'smtp.secure.invalid',
    'fail',
    (x) => !['', '0', '1'].includes(secureText(x)),
    (x) => {
      const text = secureText(x);
      const readAs = Number.isNaN(Number(text)) || Number(text) === 0 ? 0 : 1;
      const n = x.names;
      return about(x.settings.secure, {
        message: `must be 0 or 1: apps disagree about anything else. Apps that read it as a number (\`!!Number(value)\`) take ${JSON.stringify(text)} as ${readAs} (${readAs ? 'implicit TLS' : 'STARTTLS'})${readAs ? '' : ', so `true` means OFF there'}; others take it the other way`,
        fix: `set ${n.secure}=1 for implicit TLS (port 465) or ${n.secure}=0 for STARTTLS (port 587)`,
      });
    },
  ),
  lintRule(
    'smtp.port-secure.mismatch',
    'fail',
    (x) => secureText(x) === '' && onImplicitPort(x),
    (x) =>
      about(x.settings.port, {
        message: `expects implicit TLS, but ${x.names.secure} is not set, which apps read as 0 (STARTTLS): the server would wait silently for a TLS handshake ("Greeting never received")`,
        fix: `set ${x.names.secure}=1`,
      }),
  ),
  lintRule(
    'smtp.secure.missing',
    'warn',
    (x) => secureText(x) === '',
    (x) => ({
      variable: x.names.secure,
      message: `${x.names.secure} is not set in any env file, the environment or a flag; apps read that as 0 (STARTTLS)`,
      fix: `set ${x.names.secure}=0 explicitly`,
    }),
  ),
  lintRule(
    'smtp.port-secure.mismatch',
    'fail',
    (x) => secureText(x) === '1' && onStarttlsPort(x),
    (x) =>
      about(x.settings.secure, {
        message: `asks for implicit TLS, but port ${x.port} (${describePortSource(x)}) speaks STARTTLS: the client would fail with "wrong version number"`,
        fix: `set ${x.names.secure}=0, or ${x.names.port}=465 with ${x.names.secure}=1`,
      }),
  ),
  lintRule(
    'smtp.port-secure.mismatch',
    'fail',
    (x) => secureText(x) === '0' && onImplicitPort(x),
    (x) =>
      about(x.settings.secure, {
        message: `asks for STARTTLS, but port ${x.port} (${describePortSource(x)}) expects implicit TLS: the server would wait silently for a TLS handshake ("Greeting never received")`,
        fix: `set ${x.names.secure}=1, or ${x.names.port}=587 with ${x.names.secure}=0`,
      }),
  ),
  lintRule(
    'smtp.port-secure',
    'pass',
    (x) => x.port !== undefined,
    (x) => ({
      variable: x.names.secure,
      message: `port ${x.port} with ${x.names.secure}=${secureText(x)} (${secureText(x) === '1' ? 'implicit TLS' : 'STARTTLS'})`,
    }),
  ),
);

// --- conventions of the provider recognised from SMTP_HOST -------------------------------------

const password = (x: LintInput) => x.settings.password?.value ?? '';
const showUser = (x: LintInput) => !mustMask('user', x.settings);

/** The providers whose username is a literal (the registry's fixedUser): anything else fails. */
const fixedUserRule = (id: 'resend.user' | 'sendgrid.user', provider: KnownProvider) =>
  lintRule(
    id,
    'fail',
    (x) => x.provider?.id === provider && x.provider.fixedUser !== undefined && x.settings.user?.value !== x.provider.fixedUser,
    (x) =>
      about(
        x.settings.user,
        {
          message: `${x.provider?.label} expects the username to be the literal \`${x.provider?.fixedUser}\`${x.settings.user?.value.includes('@') ? ', not an email address' : ''}`,
          fix: `set ${x.names.user}=${x.provider?.fixedUser}`,
        },
        showUser(x),
      ),
  );

/** "SMTP_PORT=465 with SMTP_SECURE=1". */
const withMode = (x: LintInput, p: PortMode) => `${x.names.port}=${p.port} with ${x.names.secure}=${secureValue(p.tls)}`;

/** Each convention is a check of its own: several can fail at once. */
const providerChecks = [
  fixedUserRule('resend.user', 'resend'),
  fixedUserRule('sendgrid.user', 'sendgrid'),
  lintRule(
    'resend.password',
    'fail',
    (x) => x.provider?.id === 'resend' && !startsLikeSecretOf('resend', password(x)),
    (x) =>
      about(
        x.settings.password,
        {
          message: `is ${maskSecret(password(x))}, not a Resend API key (they start with ${x.provider?.secret?.prefix}); the SMTP password is the API key, not the account password`,
          fix: `set ${x.names.password} to your Resend API key (${x.provider?.secret?.prefix}...)`,
        },
        false,
      ),
  ),
  lintRule(
    'resend.port',
    'fail',
    (x) => x.provider?.id === 'resend' && x.port !== undefined && (x.provider.smtp.unsupportedPorts?.includes(x.port) ?? false),
    (x) => {
      const { recommended, fallback } = x.provider!.smtp.ports;
      return about(x.settings.port, {
        message: `Resend's relay does not support port ${x.port}`,
        fix: `set ${withMode(x, recommended)} (recommended)${fallback ? `, or ${withMode(x, fallback)}` : ''}`,
      });
    },
  ),
  lintRule(
    'gmail.password',
    'warn',
    (x) => x.provider?.id === 'gmail' && !hasSecretShapeOf('gmail', password(x)),
    (x) =>
      about(
        x.settings.password,
        {
          message: `is ${maskSecret(password(x))}, which does not look like a Google App Password (16 letters); Gmail rejects the account password with 535-5.7.8`,
          fix: `create an App Password (Google Account > Security > App passwords) and put it in ${x.names.password}`,
        },
        false,
      ),
  ),
].map((rule) => lintCheck(rule));

// --- the sender (SMTP_SENDER, RESEND_SENDER_EMAIL) ------------------------------------------------

/** The sender check of either block: the address parses, or it is a broken address, or no address at all. */
export function senderCheck<P extends 'smtp.sender' | 'resend.sender'>(
  prefix: P,
  setting: (x: LintInput) => Setting | undefined,
  name: (x: LintInput) => string,
) {
  const parsed = (x: LintInput) => parseAddress(setting(x)?.value ?? '');
  const fix = (x: LintInput) => `set ${name(x)}=noreply@yourdomain.com (or "Your App <noreply@yourdomain.com>")`;
  return lintCheck(
    lintRule(
      prefix,
      'pass',
      (x) => parsed(x) !== undefined,
      (x) => {
        const address = parsed(x)!;
        // An internationalised domain is fine: DNS and the wire use its punycode, which is worth seeing.
        const ascii = address.punycode ? ` (its domain is ${address.punycode} in DNS, and to servers without SMTPUTF8)` : '';
        return { variable: name(x), message: `sender ${address.address}${ascii}` };
      },
    ),
    lintRule(
      `${prefix}.syntax` as const,
      'fail',
      (x) => /@/.test(setting(x)?.value ?? ''),
      (x) => about(setting(x), { message: 'is not a valid email address (expected name@domain.tld, or Name <name@domain.tld>)', fix: fix(x) }),
    ),
    lintRule(`${prefix}.not-address` as const, 'fail', otherwise, (x) =>
      about(setting(x), { message: 'is not an email address at all (a name alone is not enough: the address is what servers check)', fix: fix(x) }),
    ),
  );
}

// --- credentials as copied ----------------------------------------------------------------------
// Copy-pasted credentials often carry a space or a line end the app then sends as is.

const userWhitespace = lintRule(
  'smtp.user.whitespace',
  'warn',
  (x) => x.settings.user !== undefined && x.settings.user.value !== x.settings.user.value.trim(),
  (x) =>
    about(
      x.settings.user,
      { message: 'has leading or trailing spaces, which the server sees as part of the username', fix: `remove the spaces around ${x.names.user}` },
      showUser(x),
    ),
);

const passwordWhitespace = lintRule(
  'smtp.password.whitespace',
  'warn',
  (x) => x.settings.password !== undefined && x.settings.password.value !== x.settings.password.value.trim(),
  (x) =>
    about(
      x.settings.password,
      {
        message: 'has leading or trailing spaces or a line end, which the server sees as part of the password',
        fix: `remove the spaces around ${x.names.password}`,
      },
      false,
    ),
);

/** The checks of the SMTP block, in the order the report lists them. */
export const smtpChecks = [
  hostCheck,
  portCheck,
  secureCheck,
  ...providerChecks,
  senderCheck(
    'smtp.sender',
    (x) => x.settings.sender,
    (x) => x.names.sender,
  ),
  lintCheck(userWhitespace),
  lintCheck(passwordWhitespace),
];
