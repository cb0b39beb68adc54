import { parseAddress } from '../config/address.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { SmtpSettings } from '../config/smtp-settings.js';

/** What the API checks need: the key, the sender, and the names the user gave them. */
export interface ResendSettings {
  key: string;
  sender: { header: string; address: string; domain: string };
  names: { apiKey: string; sender: string };
  /** The key is the password of Resend's SMTP relay (SMTP_HOST=smtp.resend.com). */
  viaSmtpRelay: boolean;
}

/** From RESEND_API_KEY and RESEND_SENDER_EMAIL; undefined when lint has already failed them. */
export function resendSettingsFromConfig(config: ResolvedConfig): ResendSettings | undefined {
  const key = config.settings.apiKey;
  const senderSetting = config.settings.senderEmail;
  const sender = parseAddress(senderSetting?.value ?? '');
  const value = key?.value.trim();
  if (!value || !sender) return undefined;
  return {
    key: value,
    sender: { header: senderSetting!.value.trim(), address: sender.address, domain: sender.domain },
    names: { apiKey: key!.name, sender: senderSetting!.name },
    viaSmtpRelay: false,
  };
}

/** Resend's SMTP relay: the password is an API key, so the API can say whether it is revoked. */
export function resendSettingsFromSmtp(settings: SmtpSettings): ResendSettings {
  return {
    key: settings.password?.trim() ?? '',
    sender: { header: settings.senderHeader, address: settings.senderAddress, domain: settings.senderAddress.split('@')[1]!.toLowerCase() },
    names: { apiKey: settings.names.password, sender: settings.names.sender },
    viaSmtpRelay: true,
  };
}

/** Resend's test inbox: accepts and discards, so a check never lands in a real mailbox. */
export const resendTestRecipient = 'delivered@resend.dev';
