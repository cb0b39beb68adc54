/**
 * The variables mailcheck reads, with the aliases real apps use. The canonical name comes first;
 * messages always speak the name the user actually set, so a user of SMTP_PASS reads "SMTP_PASS".
 */
/** oauth2Token stands in for the password with servers that accept only XOAUTH2 (Microsoft 365, Google). */
export const smtpKeys = ['host', 'port', 'user', 'password', 'sender', 'secure', 'oauth2Token'] as const;
/** baseUrl is not part of the block apps check for: only where the API calls go (tests, proxies). */
export const resendKeys = ['apiKey', 'senderEmail', 'baseUrl'] as const;

export type SmtpKey = (typeof smtpKeys)[number];
type ResendKey = (typeof resendKeys)[number];
export type SettingKey = SmtpKey | ResendKey;

export const variableNames: Record<SettingKey, readonly string[]> = {
  host: ['SMTP_HOST'],
  port: ['SMTP_PORT'],
  user: ['SMTP_USER'],
  password: ['SMTP_PASSWORD', 'SMTP_PASS'],
  sender: ['SMTP_SENDER', 'SMTP_FROM_EMAIL'],
  secure: ['SMTP_SECURE'],
  oauth2Token: ['SMTP_OAUTH2_TOKEN'],
  apiKey: ['RESEND_API_KEY'],
  senderEmail: ['RESEND_SENDER_EMAIL'],
  baseUrl: ['RESEND_BASE_URL'],
};

/** Values that must never be printed, in any encoding. */
export const secretKeys: readonly SettingKey[] = ['password', 'oauth2Token', 'apiKey'];

/** The setting a variable name (canonical or alias) belongs to. */
export function settingKeyOf(name: string): SettingKey | undefined {
  return (Object.keys(variableNames) as SettingKey[]).find((key) => variableNames[key].includes(name));
}
