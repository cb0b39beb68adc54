/**
 * Well-known providers, recognised from SMTP_HOST: the one registry of what mailcheck knows about
 * each. Diagnosis and lint use it to speak the provider's conventions (Resend's username is
 * literally `resend`, SendGrid's is `apikey`); the DNS checks read which records authorise the
 * provider to send for a domain.
 */
export type KnownProvider = 'resend' | 'gmail' | 'sendgrid' | 'ses' | 'office365' | 'mailgun' | 'postmark';

/**
 * Where the provider puts the envelope sender (MAIL FROM, the Return-Path), which is the domain
 * SPF checks and DMARC aligns with the From domain:
 * - `from-domain`: the sender's own domain, so SPF aligns even under strict `aspf=s`;
 * - `subdomain`: a fixed label under it (Resend's `send.<domain>`), which aligns only under relaxed `aspf`;
 * - `provider`: the provider's own bounce domain unless the account sets up a custom one, so
 *   mailcheck cannot tell from DNS whether SPF aligns (`setup` says what to configure).
 */
type Envelope = { kind: 'from-domain' } | { kind: 'subdomain'; label: string } | { kind: 'provider'; setup: string };

/** What a provider needs in the sending domain's DNS. */
interface SendingDns {
  /** The SPF mechanism that authorises the provider's servers, e.g. `include:amazonses.com`. */
  spfInclude: string;
  envelope: Envelope;
  /**
   * DKIM selectors the provider always signs with (`<selector>._domainkey.<domain>`); absent when
   * they differ per account (SES, Google, Microsoft 365, Mailgun, Postmark): then only `--dkim-selector` checks DKIM.
   */
  dkim?: { selectors: readonly string[]; published: 'txt' | 'cname' };
  /** An MX the provider needs at the envelope subdomain for bounces, as a pattern on its exchange. */
  envelopeMx?: { pattern: RegExp; example: string };
}

/** How the connection is encrypted: TLS from the first byte (SMTP_SECURE=1), or plain text upgraded with STARTTLS (SMTP_SECURE=0). */
export type TlsMode = 'implicit' | 'starttls';

export interface PortMode {
  port: number;
  tls: TlsMode;
}

/** The provider's SMTP submission service. */
interface SmtpService {
  /** The server guided set-up writes; Amazon SES has one per region. */
  host: string | ((region: string) => string);
  /** The SMTP_HOST values that are this provider's. */
  hostPattern: RegExp;
  /** What to call the provider when recognised from its host, when that is not its label (Resend's relay). */
  hostLabel?: string;
  /** The port and TLS mode the provider recommends (guided set-up writes it), and the fallback it documents. */
  ports: { recommended: PortMode; fallback?: PortMode };
  /** Ports the provider's server does not accept (the lint `<provider>.port` fails them). */
  unsupportedPorts?: readonly number[];
}

/** What the provider's secret (API key, app password) looks like, so one in the wrong place or of another provider is recognised. */
interface SecretShape {
  /** Every key of the provider starts with it (Resend `re_`, SendGrid `SG.`). */
  prefix?: string;
  /** The whole secret, trimmed. */
  pattern?: RegExp;
}

export interface ProviderInfo {
  id: KnownProvider;
  label: string;
  /** The literal username the provider requires, when it has one. */
  fixedUser?: string;
  smtp: SmtpService;
  secret?: SecretShape;
  dns: SendingDns;
}

const starttls587: PortMode = { port: 587, tls: 'starttls' };

const registry: Record<KnownProvider, ProviderInfo> = {
  resend: {
    id: 'resend',
    label: 'Resend',
    fixedUser: 'resend',
    smtp: {
      host: 'smtp.resend.com',
      hostPattern: /^smtp\.resend\.com$/i,
      hostLabel: "Resend's SMTP relay",
      ports: { recommended: { port: 465, tls: 'implicit' }, fallback: starttls587 },
      // Port 25 is not supported (seed 002), and 2525 is not among the relay's ports (465, 587, 2465, 2587).
      unsupportedPorts: [25, 2525],
    },
    secret: { prefix: 're_', pattern: /^re_[A-Za-z0-9_]{8,}$/ },
    dns: {
      // Resend sends through Amazon SES with send.<domain> as the envelope (see the field notes).
      spfInclude: 'include:amazonses.com',
      envelope: { kind: 'subdomain', label: 'send' },
      dkim: { selectors: ['resend'], published: 'txt' },
      envelopeMx: { pattern: /^feedback-smtp\.[a-z0-9-]+\.amazonses\.com$/i, example: 'feedback-smtp.us-east-1.amazonses.com' },
    },
  },
  gmail: {
    id: 'gmail',
    label: 'Gmail',
    smtp: { host: 'smtp.gmail.com', hostPattern: /^smtp\.(gmail|googlemail)\.com$/i, ports: { recommended: starttls587 } },
    // An App Password: 16 letters, shown in groups of four.
    secret: { pattern: /^([a-z]{4} ?){3}[a-z]{4}$/i },
    dns: { spfInclude: 'include:_spf.google.com', envelope: { kind: 'from-domain' } },
  },
  sendgrid: {
    id: 'sendgrid',
    label: 'SendGrid',
    fixedUser: 'apikey',
    smtp: { host: 'smtp.sendgrid.net', hostPattern: /^smtp\.sendgrid\.net$/i, ports: { recommended: starttls587 } },
    secret: { prefix: 'SG.' },
    dns: {
      spfInclude: 'include:sendgrid.net',
      envelope: { kind: 'provider', setup: "SendGrid's domain authentication (it gives an emNNNN.<domain> return path)" },
      dkim: { selectors: ['s1', 's2'], published: 'cname' },
    },
  },
  ses: {
    id: 'ses',
    label: 'Amazon SES',
    smtp: {
      host: (region) => `email-smtp.${region}.amazonaws.com`,
      hostPattern: /^email-smtp\.[a-z0-9-]+\.amazonaws\.com$/i,
      ports: { recommended: starttls587 },
    },
    dns: { spfInclude: 'include:amazonses.com', envelope: { kind: 'provider', setup: 'a custom MAIL FROM domain in SES' } },
  },
  office365: {
    id: 'office365',
    label: 'Office 365',
    smtp: { host: 'smtp.office365.com', hostPattern: /^(smtp\.office365\.com|smtp-mail\.outlook\.com)$/i, ports: { recommended: starttls587 } },
    dns: { spfInclude: 'include:spf.protection.outlook.com', envelope: { kind: 'from-domain' } },
  },
  mailgun: {
    id: 'mailgun',
    label: 'Mailgun',
    // The US endpoint; EU accounts use smtp.eu.mailgun.org.
    smtp: { host: 'smtp.mailgun.org', hostPattern: /^smtp\.(eu\.)?mailgun\.org$/i, ports: { recommended: starttls587 } },
    dns: { spfInclude: 'include:mailgun.org', envelope: { kind: 'from-domain' } },
  },
  postmark: {
    id: 'postmark',
    label: 'Postmark',
    smtp: { host: 'smtp.postmarkapp.com', hostPattern: /^smtp\.postmarkapp\.com$/i, ports: { recommended: starttls587 } },
    dns: { spfInclude: 'include:spf.mtasv.net', envelope: { kind: 'provider', setup: 'a custom Return-Path domain in Postmark' } },
  },
};

export const knownProviders = Object.keys(registry) as KnownProvider[];

export function recogniseProvider(host: string | undefined): ProviderInfo | undefined {
  if (!host) return undefined;
  const bare = host.trim().replace(/\.$/, '');
  const hit = knownProviders.map((id) => registry[id]).find((p) => p.smtp.hostPattern.test(bare));
  return hit && { ...hit, ...(hit.smtp.hostLabel ? { label: hit.smtp.hostLabel } : {}) };
}

export function providerInfo(id: KnownProvider): ProviderInfo {
  return registry[id];
}

/** Whether the text starts like one of the provider's keys (`re_...`): an API key pasted where it does not belong. */
export function startsLikeSecretOf(id: KnownProvider, text: string): boolean {
  const prefix = registry[id].secret?.prefix;
  return prefix !== undefined && text.startsWith(prefix);
}

/** Whether the whole secret (trimmed) has the provider's shape; true when the registry knows no shape. */
export function hasSecretShapeOf(id: KnownProvider, secret: string): boolean {
  return registry[id].secret?.pattern?.test(secret.trim()) ?? true;
}

/** Ports whose convention is implicit TLS; every other submission port speaks STARTTLS. */
export const implicitTlsPorts: readonly number[] = [465, 2465];
export const starttlsPorts: readonly number[] = [587, 2587, 2525, 25];

/** The TLS mode a port's convention implies (465 implicit, 587 STARTTLS), or undefined for a port without one. */
export function tlsModeForPort(port: number | undefined): TlsMode | undefined {
  if (port === undefined) return undefined;
  return implicitTlsPorts.includes(port) ? 'implicit' : starttlsPorts.includes(port) ? 'starttls' : undefined;
}

/** SMTP_SECURE for a TLS mode: 1 is implicit TLS, 0 is STARTTLS. */
export function secureValue(tls: TlsMode): '0' | '1' {
  return tls === 'implicit' ? '1' : '0';
}
