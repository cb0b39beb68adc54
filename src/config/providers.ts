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

export interface ProviderInfo {
  id: KnownProvider;
  label: string;
  /** The literal username the provider requires, when it has one. */
  fixedUser?: string;
  dns: SendingDns;
}

const registry: Record<KnownProvider, ProviderInfo> = {
  resend: {
    id: 'resend',
    label: 'Resend',
    fixedUser: 'resend',
    dns: {
      // Resend sends through Amazon SES with send.<domain> as the envelope (see the field notes).
      spfInclude: 'include:amazonses.com',
      envelope: { kind: 'subdomain', label: 'send' },
      dkim: { selectors: ['resend'], published: 'txt' },
      envelopeMx: { pattern: /^feedback-smtp\.[a-z0-9-]+\.amazonses\.com$/i, example: 'feedback-smtp.us-east-1.amazonses.com' },
    },
  },
  gmail: { id: 'gmail', label: 'Gmail', dns: { spfInclude: 'include:_spf.google.com', envelope: { kind: 'from-domain' } } },
  sendgrid: {
    id: 'sendgrid',
    label: 'SendGrid',
    fixedUser: 'apikey',
    dns: {
      spfInclude: 'include:sendgrid.net',
      envelope: { kind: 'provider', setup: "SendGrid's domain authentication (it gives an emNNNN.<domain> return path)" },
      dkim: { selectors: ['s1', 's2'], published: 'cname' },
    },
  },
  ses: {
    id: 'ses',
    label: 'Amazon SES',
    dns: { spfInclude: 'include:amazonses.com', envelope: { kind: 'provider', setup: 'a custom MAIL FROM domain in SES' } },
  },
  office365: { id: 'office365', label: 'Office 365', dns: { spfInclude: 'include:spf.protection.outlook.com', envelope: { kind: 'from-domain' } } },
  mailgun: { id: 'mailgun', label: 'Mailgun', dns: { spfInclude: 'include:mailgun.org', envelope: { kind: 'from-domain' } } },
  postmark: {
    id: 'postmark',
    label: 'Postmark',
    dns: { spfInclude: 'include:spf.mtasv.net', envelope: { kind: 'provider', setup: 'a custom Return-Path domain in Postmark' } },
  },
};

const hosts: { match: RegExp; id: KnownProvider; label?: string }[] = [
  { match: /^smtp\.resend\.com$/i, id: 'resend', label: "Resend's SMTP relay" },
  { match: /^smtp\.(gmail|googlemail)\.com$/i, id: 'gmail' },
  { match: /^smtp\.sendgrid\.net$/i, id: 'sendgrid' },
  { match: /^email-smtp\.[a-z0-9-]+\.amazonaws\.com$/i, id: 'ses' },
  { match: /^(smtp\.office365\.com|smtp-mail\.outlook\.com)$/i, id: 'office365' },
  { match: /^smtp\.(eu\.)?mailgun\.org$/i, id: 'mailgun' },
  { match: /^smtp\.postmarkapp\.com$/i, id: 'postmark' },
];

export function recogniseProvider(host: string | undefined): ProviderInfo | undefined {
  if (!host) return undefined;
  const bare = host.trim().replace(/\.$/, '');
  const hit = hosts.find((h) => h.match.test(bare));
  return hit && { ...registry[hit.id], ...(hit.label ? { label: hit.label } : {}) };
}

export const knownProviders = Object.keys(registry) as KnownProvider[];

export function providerInfo(id: KnownProvider): ProviderInfo {
  return registry[id];
}

/** Ports whose convention is implicit TLS; every other submission port speaks STARTTLS. */
export const implicitTlsPorts: readonly number[] = [465, 2465];
export const starttlsPorts: readonly number[] = [25, 587, 2587, 2525];
