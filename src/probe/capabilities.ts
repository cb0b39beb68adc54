import type { Capabilities } from '../report/probe.js';

/**
 * Reads AUTH and STARTTLS out of an EHLO reply ("250-host\n250-AUTH PLAIN LOGIN\n250 STARTTLS").
 * nodemailer parses the same reply but keeps only the mechanisms it implements; a probe reports
 * what the server offers, so an unknown mechanism is still worth showing.
 */
export function parseEhloReply(reply: string): Capabilities {
  const keywords = reply
    .split(/\r?\n/)
    .slice(1) // the first line names the server, not an extension
    .map((line) => line.replace(/^\d{3}[ -]/, '').trim());
  const mechanisms = new Set<string>();
  let authOffered = false;
  for (const line of keywords) {
    // "AUTH=LOGIN PLAIN" is the pre-RFC form some old servers still send.
    const auth = /^AUTH(?:[ =](.*))?$/i.exec(line);
    if (!auth) continue;
    authOffered = true;
    for (const name of (auth[1] ?? '').split(/[\s=]+/)) if (/^[A-Z0-9_-]{1,40}$/i.test(name)) mechanisms.add(name.toUpperCase());
  }
  return {
    authOffered,
    authMechanisms: [...mechanisms],
    starttlsOffered: keywords.some((line) => /^STARTTLS\b/i.test(line)),
  };
}
