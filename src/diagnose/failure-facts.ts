import type { SmtpFailure } from './types.js';

/**
 * Facts about an SMTP failure that more than the rule table reads: the probe's cell judgement
 * (probe/classify.ts) and the mode-mismatch watch (checks/mismatch.ts) ask the same questions as
 * the rules (smtp-rules.ts), so each has one answer. Kept apart from the table, which a passing
 * walk never loads.
 */

/** nodemailer's class and the Node/OpenSSL code, upper-case. */
export const codesOf = (f: SmtpFailure): string[] =>
  [f.code, f.originalCode].filter((c): c is string => typeof c === 'string' && c !== '').map((c) => c.toUpperCase());

/** nodemailer's class or the Node/OpenSSL code is one of `codes` (case-insensitive). */
export const hasCode = (f: SmtpFailure, ...codes: string[]): boolean => codesOf(f).some((c) => codes.includes(c));

const closedRe = /connection closed unexpectedly|server closed the connection|socket hang up|disconnected before secure TLS connection/i;

/** The words Node and nodemailer use for a connection the other side closed. */
export const saysClosed = (text: string): boolean => closedRe.test(text);

/**
 * The server hung up: an orderly close nodemailer did not expect, a reset, or a close in the
 * middle of a TLS handshake (Node: "Client network socket disconnected before secure TLS
 * connection was established", ECONNRESET).
 */
export function isClosed(f: SmtpFailure): boolean {
  return hasCode(f, 'ECONNRESET', 'EPIPE') || saysClosed(f.message);
}

const wrongVersionRe = /wrong version number|unknown protocol|packet length too long/i;

/**
 * A TLS client that read plain text where a TLS record should be: the server greeted in the
 * clear ("220 ..." is not a TLS header). OpenSSL 3.0, 3.2+ and older stacks word it differently.
 */
export function isWrongVersion(f: SmtpFailure): boolean {
  return hasCode(f, 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG') || wrongVersionRe.test(f.message);
}
