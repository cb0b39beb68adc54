/**
 * What guided setup knows about each provider: where its server is, which port and TLS mode to
 * use, what the username must be, and one line saying why, so a newcomer learns the convention
 * instead of copying it blindly. The facts (host, port, TLS mode, fixed username, key shape) come
 * from the provider registry, config/providers.ts; a preset adds only the words that explain them.
 */
import { hasSecretShapeOf, implicitTlsPorts, providerInfo, secureValue, starttlsPorts, type KnownProvider } from '../config/providers.js';

export type PresetId = 'resend-api' | KnownProvider | 'other';

/** How the SMTP username is obtained. */
export type UserRule =
  /** A literal the provider requires (Resend: `resend`, SendGrid: `apikey`); never asked. */
  | { kind: 'fixed'; value: string; why: string }
  /** Asked for; `message` says what the provider means by it. */
  | { kind: 'ask'; message: string; why: string; placeholder?: string }
  /** The secret doubles as the username (Postmark's Server API token). */
  | { kind: 'secret'; why: string };

export interface SmtpPreset {
  kind: 'smtp';
  id: Exclude<PresetId, 'resend-api'>;
  label: string;
  /** One line shown under the choice in the provider list. */
  summary: string;
  /** Undefined for "other": the host is asked for. `region` is set for presets that ask one. */
  host?: (region?: string) => string;
  hostWhy?: string;
  /** Asked for (with this default) when the preset does not fix it. */
  port: number;
  /** true = implicit TLS (SMTP_SECURE=1); false = STARTTLS (SMTP_SECURE=0). */
  secure: boolean;
  portWhy?: string;
  user: UserRule;
  secret: { message: string; why: string; validate?: (value: string) => true | string };
  /** Presets whose host depends on a region ask for it. */
  region?: { message: string; default: string; why: string };
}

export interface ResendApiPreset {
  kind: 'resend-api';
  id: 'resend-api';
  label: string;
  summary: string;
  secret: { message: string; why: string; validate: (value: string) => true | string };
}

export type Preset = SmtpPreset | ResendApiPreset;

const resend = providerInfo('resend');
const resendKey = (value: string): true | string =>
  hasSecretShapeOf('resend', value) ? true : `a Resend API key starts with ${resend.secret?.prefix} (create one at https://resend.com/api-keys)`;

const starttls = 'STARTTLS: the connection starts in plain text and is upgraded before login';
const implicitTls = 'implicit TLS: the connection is encrypted from the first byte';

/** Where a provider's preset connects: its server, and the port and TLS mode it recommends. */
function server(id: KnownProvider): Pick<SmtpPreset, 'host' | 'port' | 'secure'> {
  const { host } = providerInfo(id).smtp;
  const { recommended } = providerInfo(id).smtp.ports;
  return { host: typeof host === 'string' ? () => host : (region) => host(region ?? ''), port: recommended.port, secure: recommended.tls === 'implicit' };
}

/** The username a provider requires literally; only called for providers that have one. */
function fixedUser(id: KnownProvider): string {
  const user = providerInfo(id).fixedUser;
  if (!user) throw new Error(`no fixed username known for ${id}`);
  return user;
}

/** "25 and 2525", "465, 2465 and 993". */
function listed(items: readonly (string | number)[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** "Resend recommends 465 (587 with SMTP_SECURE=0 is the fallback; port 25 is not supported)". */
function resendPortWhy(): string {
  const { recommended, fallback } = resend.smtp.ports;
  const refused = resend.smtp.unsupportedPorts ?? [];
  const notes = [
    ...(fallback ? [`${fallback.port} with SMTP_SECURE=${secureValue(fallback.tls)} is the fallback`] : []),
    ...(refused.length ? [`${refused.length === 1 ? 'port' : 'ports'} ${listed(refused)} ${refused.length === 1 ? 'is' : 'are'} not supported`] : []),
  ];
  return `Resend recommends ${recommended.port}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export const presets: readonly Preset[] = [
  {
    kind: 'resend-api',
    id: 'resend-api',
    label: 'Resend (API)',
    summary: "send through Resend's HTTP API: only an API key and a verified sender address",
    secret: {
      message: 'Resend API key (re_...)',
      why: 'RESEND_API_KEY is the key from https://resend.com/api-keys; it needs sending access',
      validate: resendKey,
    },
  },
  {
    kind: 'smtp',
    id: 'resend',
    label: 'Resend (SMTP relay)',
    summary: 'Resend through SMTP, for apps that only speak SMTP: smtp.resend.com, the API key as password',
    ...server('resend'),
    hostWhy: "smtp.resend.com is Resend's relay",
    portWhy: resendPortWhy(),
    user: { kind: 'fixed', value: fixedUser('resend'), why: 'Resend\'s username is literally "resend", never your email address' },
    secret: { message: 'Resend API key (re_...)', why: 'the password is a Resend API key, not your account password', validate: resendKey },
  },
  {
    kind: 'smtp',
    id: 'gmail',
    label: 'Gmail',
    summary: 'a Gmail or Google Workspace account, with an App Password',
    ...server('gmail'),
    hostWhy: "smtp.gmail.com is Google's submission server",
    portWhy: 'the standard submission port',
    user: { kind: 'ask', message: 'Your Gmail address', why: 'the username is your full Gmail address', placeholder: 'you@gmail.com' },
    secret: {
      message: 'App Password (16 letters)',
      why: 'Gmail refuses the account password over SMTP: create an App Password (Google Account > Security > 2-Step Verification > App passwords)',
    },
  },
  {
    kind: 'smtp',
    id: 'sendgrid',
    label: 'SendGrid',
    summary: 'Twilio SendGrid: username "apikey", an API key as password',
    ...server('sendgrid'),
    hostWhy: "smtp.sendgrid.net is SendGrid's relay",
    portWhy: 'the standard submission port',
    user: { kind: 'fixed', value: fixedUser('sendgrid'), why: 'SendGrid\'s username is literally "apikey"' },
    secret: { message: 'SendGrid API key (SG....)', why: 'the password is an API key with Mail Send permission' },
  },
  {
    kind: 'smtp',
    id: 'ses',
    label: 'Amazon SES',
    summary: 'Amazon Simple Email Service: SMTP credentials from the SES console, per region',
    ...server('ses'),
    hostWhy: 'SES has one SMTP endpoint per region: email-smtp.<region>.amazonaws.com',
    portWhy: 'the standard submission port',
    region: { message: 'SES region (e.g. us-east-1, eu-west-1)', default: 'us-east-1', why: 'SMTP credentials only work in the region they were created in' },
    user: { kind: 'ask', message: 'SES SMTP username', why: 'the SMTP username from SES > SMTP settings (not an IAM access key id)' },
    secret: { message: 'SES SMTP password', why: 'the SMTP password shown once when the SMTP credentials were created (not the IAM secret key)' },
  },
  {
    kind: 'smtp',
    id: 'office365',
    label: 'Office 365',
    summary: 'a Microsoft 365 / Exchange Online mailbox with SMTP AUTH enabled',
    ...server('office365'),
    hostWhy: "smtp.office365.com is Microsoft 365's submission server",
    portWhy: 'the standard submission port',
    user: { kind: 'ask', message: 'Mailbox address', why: 'the username is the full mailbox address', placeholder: 'you@yourcompany.com' },
    secret: {
      message: 'Mailbox password (or app password)',
      why: 'the mailbox password, or an app password when the account uses MFA; an admin must allow SMTP AUTH',
    },
  },
  {
    kind: 'smtp',
    id: 'mailgun',
    label: 'Mailgun',
    summary: "Mailgun SMTP: a domain's SMTP login and password (EU accounts: --host smtp.eu.mailgun.org)",
    ...server('mailgun'),
    hostWhy: "smtp.mailgun.org is Mailgun's US endpoint; EU accounts use smtp.eu.mailgun.org (pass --host)",
    portWhy: 'the standard submission port',
    user: {
      kind: 'ask',
      message: 'Mailgun SMTP login',
      why: 'the SMTP login of your sending domain, e.g. postmaster@mg.yourdomain.com',
      placeholder: 'postmaster@mg.yourdomain.com',
    },
    secret: { message: 'Mailgun SMTP password', why: 'the SMTP password of that login (Domain settings > SMTP credentials), not the API key' },
  },
  {
    kind: 'smtp',
    id: 'postmark',
    label: 'Postmark',
    summary: 'Postmark SMTP: the Server API token is both username and password',
    ...server('postmark'),
    hostWhy: "smtp.postmarkapp.com is Postmark's SMTP endpoint",
    portWhy: 'the standard submission port',
    user: { kind: 'secret', why: 'Postmark uses the Server API token as both username and password' },
    secret: { message: 'Postmark Server API token', why: "the token from your Postmark server's API Tokens tab" },
  },
  {
    kind: 'smtp',
    id: 'other',
    label: 'Another SMTP server',
    summary: 'any other provider or your own server: you give host, port, TLS mode and login',
    port: 587,
    secure: false,
    user: { kind: 'ask', message: 'SMTP username', why: 'the login your provider gave you (often the full email address)' },
    secret: { message: 'SMTP password', why: 'the password (or app password / API key) for that login' },
  },
];

export const presetIds: readonly PresetId[] = presets.map((p) => p.id);

export function findPreset(id: string): Preset | undefined {
  return presets.find((p) => p.id === id);
}

/** AWS region names: us-east-1, eu-central-2, ap-southeast-3, us-gov-west-1. */
export function isRegion(text: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(text);
}

export interface PresetLine {
  variable: string;
  /** Undefined when the value is asked for next. */
  value?: string;
  why: string;
}

/** One line per variable the preset decides or asks for, each saying why: shown once it is chosen. */
export function explainPreset(preset: Preset, region?: string): PresetLine[] {
  if (preset.kind === 'resend-api') {
    return [
      { variable: 'RESEND_API_KEY', why: preset.secret.why },
      { variable: 'RESEND_SENDER_EMAIL', why: 'an address on a domain verified in Resend (Domains page)' },
    ];
  }
  if (!preset.host) {
    return [
      { variable: 'SMTP_HOST', why: "your provider's submission server, as a bare host name (no smtp://, no :587)" },
      { variable: 'SMTP_PORT', why: '587 (STARTTLS) or 465 (implicit TLS) for submission; 25 is often blocked' },
      { variable: 'SMTP_SECURE', why: `must match the port: 1 for ${listed(implicitTlsPorts)}, 0 for ${listed(starttlsPorts)}` },
      { variable: 'SMTP_USER', why: preset.user.kind === 'ask' ? preset.user.why : '' },
      { variable: 'SMTP_PASSWORD', why: preset.secret.why },
    ];
  }
  const lines: PresetLine[] = [
    { variable: 'SMTP_HOST', value: preset.host(region), why: preset.hostWhy ?? '' },
    { variable: 'SMTP_PORT', value: String(preset.port), why: preset.portWhy ?? '' },
    { variable: 'SMTP_SECURE', value: preset.secure ? '1' : '0', why: preset.secure ? implicitTls : starttls },
  ];
  if (preset.user.kind === 'fixed') lines.push({ variable: 'SMTP_USER', value: preset.user.value, why: preset.user.why });
  else lines.push({ variable: 'SMTP_USER', why: preset.user.why });
  lines.push({ variable: 'SMTP_PASSWORD', why: preset.secret.why });
  return lines;
}
