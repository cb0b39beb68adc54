import { parseAddress } from './address.js';
import { recogniseProvider, type KnownProvider } from './providers.js';
import { mustMask, shownQuoted } from './shown.js';
import type { ResolvedConfig } from './resolve.js';
import { variableNames, type SmtpKey } from './variables.js';

/** The SMTP block turned into values a client can use. Only built when lint found no failure. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** true = implicit TLS from the first byte (SMTP_SECURE=1); false = STARTTLS. */
  secure: boolean;
  user: string;
  /** The user as it may be shown, quoted or masked (it is masked when it looks like a credential or equals the password). */
  userShown: string;
  userIsSecret: boolean;
  /** At least one of the two is set: a token logs in with XOAUTH2 where the server offers it. */
  password?: string;
  oauth2Token?: string;
  /** The envelope sender (MAIL FROM). */
  senderAddress: string;
  /** The From header as written (may carry a display name). */
  senderHeader: string;
  provider?: KnownProvider;
  /** The variable names the user actually set, for hints. */
  names: Record<SmtpKey, string>;
}

/** Strict: the whole value must be a base-10 integer in range. `587abc` is not 587. */
export function parsePort(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return undefined;
  const port = Number(trimmed);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * SMTP_SECURE as the seeds' app reads it: `!!Number(value)`. So `1` is implicit TLS and `0`,
 * empty, or a word such as `true` is STARTTLS; lint warns about anything but 0 and 1.
 */
export function parseSecure(text: string | undefined): boolean {
  return text !== undefined && Boolean(Number(text.trim()));
}

export function smtpNames(config: ResolvedConfig): Record<SmtpKey, string> {
  const name = (key: SmtpKey) => config.settings[key]?.name ?? variableNames[key][0]!;
  return {
    host: name('host'),
    port: name('port'),
    user: name('user'),
    password: name('password'),
    sender: name('sender'),
    secure: name('secure'),
    oauth2Token: name('oauth2Token'),
  };
}

/** Builds the settings, or undefined when the block cannot be used (lint explains why). */
export function toSmtpSettings(config: ResolvedConfig): SmtpSettings | undefined {
  const s = config.settings;
  const port = parsePort(s.port?.value ?? '');
  const sender = parseAddress(s.sender?.value ?? '');
  const host = s.host?.value.trim().replace(/\.$/, '');
  const token = s.oauth2Token?.value.trim() || undefined;
  if (!host || port === undefined || !sender || !s.user || (s.password === undefined && token === undefined)) return undefined;
  const provider = recogniseProvider(host)?.id;
  return {
    host,
    port,
    secure: parseSecure(s.secure?.value),
    user: s.user.value,
    userShown: shownQuoted('user', s),
    userIsSecret: mustMask('user', s),
    ...(s.password !== undefined ? { password: s.password.value } : {}),
    ...(token !== undefined ? { oauth2Token: token } : {}),
    senderAddress: sender.address,
    senderHeader: s.sender!.value.trim(),
    names: smtpNames(config),
    ...(provider ? { provider } : {}),
  };
}
