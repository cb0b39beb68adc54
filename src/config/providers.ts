/**
 * Well-known providers, recognised from SMTP_HOST. Diagnosis and lint use them to speak the
 * provider's conventions (Resend's username is literally `resend`, SendGrid's is `apikey`).
 */
export type KnownProvider = 'resend' | 'gmail' | 'sendgrid' | 'ses' | 'office365' | 'mailgun' | 'postmark';

export interface ProviderInfo {
  id: KnownProvider;
  label: string;
  /** The literal username the provider requires, when it has one. */
  fixedUser?: string;
}

const providers: { match: RegExp; info: ProviderInfo }[] = [
  { match: /^smtp\.resend\.com$/i, info: { id: 'resend', label: "Resend's SMTP relay", fixedUser: 'resend' } },
  { match: /^smtp\.(gmail|googlemail)\.com$/i, info: { id: 'gmail', label: 'Gmail' } },
  { match: /^smtp\.sendgrid\.net$/i, info: { id: 'sendgrid', label: 'SendGrid', fixedUser: 'apikey' } },
  { match: /^email-smtp\.[a-z0-9-]+\.amazonaws\.com$/i, info: { id: 'ses', label: 'Amazon SES' } },
  { match: /^(smtp\.office365\.com|smtp-mail\.outlook\.com)$/i, info: { id: 'office365', label: 'Office 365' } },
  { match: /^smtp\.(eu\.)?mailgun\.org$/i, info: { id: 'mailgun', label: 'Mailgun' } },
  { match: /^smtp\.postmarkapp\.com$/i, info: { id: 'postmark', label: 'Postmark' } },
];

export function recogniseProvider(host: string | undefined): ProviderInfo | undefined {
  if (!host) return undefined;
  const bare = host.trim().replace(/\.$/, '');
  return providers.find((p) => p.match.test(bare))?.info;
}

/** Ports whose convention is implicit TLS; every other submission port speaks STARTTLS. */
export const implicitTlsPorts: readonly number[] = [465, 2465];
export const starttlsPorts: readonly number[] = [25, 587, 2587, 2525];
