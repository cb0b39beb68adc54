import type { FailureClass } from '../exit-codes.js';
import type { KnownProvider } from '../config/providers.js';

/** The AUTH mechanisms nodemailer can answer, which `--auth-method` may force. */
export const authMethods = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const;
export type AuthMethod = (typeof authMethods)[number];

/** The SMTP step a failure happened in. */
export type SmtpStage = 'dns' | 'connect' | 'tls' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'quit';

/**
 * What went wrong, as facts: nodemailer's error fields plus the stage we were in. Texts here are
 * already redacted and terminal-safe (the walk guarantees it), so rules may quote them.
 */
export interface SmtpFailure {
  stage: SmtpStage;
  /** nodemailer's class: ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ETLS, EAUTH, EENVELOPE, EMESSAGE, EPROTOCOL. */
  code?: string;
  /** Node/OpenSSL code: ECONNREFUSED, ENOTFOUND, ERR_SSL_WRONG_VERSION_NUMBER, CERT_HAS_EXPIRED... */
  originalCode?: string;
  /** CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT. */
  timeoutType?: string;
  /** The reply code, e.g. 535. */
  responseCode?: number;
  /** The server's reply, its own words (as they may be shown: scrubbed, or withheld). */
  response?: string;
  message: string;
  /**
   * When a too-short password made the server's text after login withheld (safety/secrets.ts),
   * its words as received (made terminal-safe), for the rules to match on. Rules never quote it,
   * and it never reaches a report: which rule matches depends on what the server said, not on the password.
   */
  withheldWords?: { response?: string; message: string };
}

/** The user's configuration as diagnosis needs it: values and the names the user actually used. */
export interface DiagnosisContext {
  host: string;
  port: number;
  /** true = implicit TLS (SMTP_SECURE=1). */
  secure: boolean;
  user?: string;
  sender?: string;
  recipient?: string;
  /** Recognised from the host (smtp.resend.com -> resend). */
  provider?: KnownProvider;
  /** The variable names the user set, e.g. { password: 'SMTP_PASS' }. */
  names: {
    host: string;
    port: string;
    user: string;
    password: string;
    sender: string;
    secure: string;
  };
  /** Whether the server advertised AUTH at all, and which mechanisms (EHLO). */
  authAdvertised?: boolean;
  authMechanisms?: string[];
  /** An OAuth 2.0 token was configured (SMTP_OAUTH2_TOKEN or --oauth2-token-stdin). */
  oauth2Token?: boolean;
  /** The certificate was checked against a CA the user gave (--ca-file), not Node's built-in roots. */
  customCa?: boolean;
  /** -4/-6: the session was held to this address family. */
  family?: 4 | 6;
  /** --auth-method: the one AUTH mechanism the login was allowed to use. */
  authMethod?: AuthMethod;
}

export interface Diagnosis {
  /** Stable identifier for machines (JSON, tests); never reworded. */
  id: string;
  /** Decides the exit code. */
  class: FailureClass;
  /** One line: what happened, in plain words. */
  summary: string;
  /** The likely causes, most likely first. */
  causes: string[];
  /** What to do, in the user's variable names, in priority order: the fix itself first, then alternatives (or steps, in order). */
  fixes: string[];
  /** The server's own words, when there were any. */
  serverSaid?: string;
}

/** The words of a diagnosis, which each rule writes; the id and class come from the rule itself. */
/** What a rule writes; its `fixes` are alternatives first, the fix itself last (see priorityOrder). */
export type DiagnosisTexts = Pick<Diagnosis, 'summary' | 'causes' | 'fixes'>;

/**
 * The SMTP and Resend rules write their alternatives the way v0.1 printed them, "or ..." first
 * and the fix itself last. A Diagnosis holds its fixes in priority order, the fix itself first,
 * which is how JSON consumers, GitHub annotations and the human report show them.
 */
export function priorityOrder(fixesAsRead: readonly string[]): string[] {
  return [...fixesAsRead].reverse();
}
