import { looksLikeCredential, maskSecret } from '../safety/secrets.js';
import { safeLine } from '../safety/text.js';
import type { Setting } from './source.js';
import { secretKeys, type SettingKey } from './variables.js';

type Settings = Partial<Record<SettingKey, Setting>>;

/**
 * How a configuration value may be shown: the mask for a secret, for anything shaped like a
 * credential (an API key pasted into SMTP_USER) and for a username equal to the password (showing
 * it would show the password); otherwise the value, made terminal-safe. Every place that shows a
 * value (the header, lint messages, the transcript's AUTH lines) goes through here.
 *
 * Only the username is compared with the password: masking SMTP_SECURE because the password is
 * also "0" would tell the reader what the password is.
 */
export function shownValue(key: SettingKey, settings: Settings): string {
  const value = settings[key]?.value ?? '';
  return mustMask(key, settings) ? maskSecret(value) : safeLine(value);
}

/** As shownValue, quoted when not masked, so spaces and empty values are visible: `SMTP_PORT="58 7"`. */
export function shownQuoted(key: SettingKey, settings: Settings): string {
  const value = settings[key]?.value ?? '';
  return mustMask(key, settings) ? maskSecret(value) : safeLine(JSON.stringify(value));
}

export function mustMask(key: SettingKey, settings: Settings): boolean {
  const value = settings[key]?.value;
  if (value === undefined) return false;
  if (secretKeys.includes(key) || looksLikeCredential(value)) return true;
  const trimmed = value.trim();
  return key === 'user' && trimmed !== '' && settings.password?.value.trim() === trimmed;
}
