import type { ResolvedConfig } from './resolve.js';
import { variableNames, type SettingKey } from './variables.js';

export type ProviderKind = 'smtp' | 'resend' | 'none';

export interface Detection {
  provider: ProviderKind;
  /** One sentence: why this provider was chosen. */
  reason: string;
  /** Variable names of the SMTP block that are missing or empty (canonical names). */
  smtpMissing: string[];
  resendMissing: string[];
  /** Some but not all of the SMTP block is set: apps silently fall through to Resend or off. */
  smtpHalfSet: boolean;
  resendHalfSet: boolean;
}

/**
 * SMTP_SECURE is left out: apps treat a missing value as 0 (STARTTLS), lint warns about it. The
 * password may be an OAuth 2.0 token instead (SMTP_OAUTH2_TOKEN), for servers that take only that.
 */
const smtpRequired: SettingKey[] = ['host', 'port', 'user', 'password', 'sender'];
const resendRequired: SettingKey[] = ['apiKey', 'senderEmail'];

/**
 * The seeds' rule: SMTP when its block is set; Resend only when SMTP is not; SMTP wins when both
 * are set; neither means email is disabled. An empty value counts as unset, as it does in apps.
 */
export function detectProvider(config: ResolvedConfig): Detection {
  const hasValue = (key: SettingKey) => (config.settings[key]?.value.trim() ?? '') !== '';
  const isSet = (key: SettingKey) => hasValue(key) || (key === 'password' && hasValue('oauth2Token'));
  const missing = (keys: SettingKey[]) => keys.filter((k) => !isSet(k)).map((k) => variableNames[k][0]!);
  const smtpMissing = missing(smtpRequired);
  const resendMissing = missing(resendRequired);
  const smtpComplete = smtpMissing.length === 0;
  const resendComplete = resendMissing.length === 0;
  const smtpHalfSet = !smtpComplete && (smtpMissing.length < smtpRequired.length || isSet('secure'));
  const resendHalfSet = !resendComplete && resendMissing.length < resendRequired.length;
  const base = { smtpMissing, resendMissing, smtpHalfSet, resendHalfSet };

  if (smtpComplete) {
    const reason = resendComplete
      ? 'both the SMTP and the Resend blocks are set; SMTP takes precedence, so the Resend variables are ignored'
      : 'the SMTP variables are set';
    return { provider: 'smtp', reason, ...base };
  }
  if (resendComplete) {
    const reason = smtpHalfSet
      ? `the SMTP block is incomplete (missing ${smtpMissing.join(', ')}), so detection falls through to Resend`
      : 'the Resend variables are set and the SMTP ones are not';
    return { provider: 'resend', reason, ...base };
  }
  const reason = smtpHalfSet
    ? `the SMTP block is incomplete (missing ${smtpMissing.join(', ')}), and Resend is not set either, so email is disabled`
    : resendHalfSet
      ? `the Resend block is incomplete (missing ${resendMissing.join(', ')}), and SMTP is not set, so email is disabled`
      : 'neither the SMTP nor the Resend variables are set, so email is disabled';
  return { provider: 'none', reason, ...base };
}
