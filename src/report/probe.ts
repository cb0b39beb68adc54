import type { SmtpStage } from '../diagnose/types.js';
import type { TlsInfo } from './tls.js';

/**
 * The three ways a client can open an SMTP session. `SMTP_SECURE=1` is implicit TLS;
 * `SMTP_SECURE=0` is STARTTLS when the server offers it, and plain text when it does not.
 */
export type ProbeMode = 'implicit-tls' | 'starttls' | 'plaintext';

export const probeModes: readonly ProbeMode[] = ['implicit-tls', 'starttls', 'plaintext'];

export const modeLabels: Record<ProbeMode, string> = {
  'implicit-tls': 'implicit TLS',
  starttls: 'STARTTLS',
  plaintext: 'plaintext',
};

/** The SMTP_SECURE value that selects a mode in the apps mailcheck checks for. */
export const secureValueFor = (mode: ProbeMode): 0 | 1 => (mode === 'implicit-tls' ? 1 : 0);

/** One address of the host; IPv4 and IPv6 are probed separately because they fail separately. */
export interface ProbeAddress {
  family: 4 | 6;
  address: string;
}

/** What the server advertised in its (last) EHLO reply. */
export interface Capabilities {
  authOffered: boolean;
  /** Upper-case mechanism names as advertised (PLAIN, LOGIN, ...). */
  authMechanisms: string[];
  starttlsOffered: boolean;
}

/**
 * Why an attempt (or its login) failed, as the report shows it: nodemailer's error fields and the
 * stage. The report owns this shape; the probe maps its internal failure into it (probe/classify.ts),
 * so a field the diagnosis rules use internally never becomes part of the schema.
 */
export interface ProbeFailure {
  stage: SmtpStage;
  /** nodemailer's class: ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ETLS, EAUTH, EPROTOCOL. */
  code?: string;
  /** Node/OpenSSL code: ECONNREFUSED, ENOTFOUND, ERR_SSL_WRONG_VERSION_NUMBER, CERT_HAS_EXPIRED... */
  originalCode?: string;
  /** CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT, STEP_TIMEOUT. */
  timeoutType?: string;
  /** The reply code, e.g. 535. */
  responseCode?: number;
  /** The server's reply, its own words (scrubbed of the password, or withheld, and terminal-safe). */
  response?: string;
  message: string;
}

/** `--auth`: whether the configured credentials were accepted on this combination. */
export type LoginOutcome = { status: 'ok' } | { status: 'failed'; failure: ProbeFailure } | { status: 'skipped'; reason: string };

/** works / TLS mismatch / refused / timed out / anything else. Stable JSON values. */
export type CellStatus = 'works' | 'tls-mismatch' | 'refused' | 'timeout' | 'error';

/** What one attempt learnt about a port in one mode; server text in it is terminal-safe and redacted. */
export interface AttemptFacts {
  ms: number;
  /** The first line of the server's greeting. */
  greeting?: string;
  tls?: TlsInfo;
  capabilities?: Capabilities;
  failure?: ProbeFailure;
  login?: LoginOutcome;
}

/** One port x mode x address attempt, as reported: the attempt's facts, judged. */
export interface ProbeCell extends ProbeAddress, AttemptFacts {
  port: number;
  mode: ProbeMode;
  status: CellStatus;
  /** One line in plain words: why it failed, or what the mismatch is. */
  detail?: string;
}

/** The lines to put in .env, in the user's own variable names. */
export interface Recommendation {
  port: number;
  mode: ProbeMode;
  secure: 0 | 1;
  /** Exactly `SMTP_PORT=465` and `SMTP_SECURE=1` (or the aliases the user set). */
  lines: string[];
  /** The address families it worked on. */
  families: (4 | 6)[];
  /** The certificate verified on every working attempt (always false for plaintext). */
  verified: boolean;
}

/** The `probe` key of the JSON report. */
export interface ProbeReport {
  host: string;
  addresses: ProbeAddress[];
  ports: number[];
  timeoutMs: number;
  /** The combination the configuration asks for, when SMTP_HOST is the probed host. */
  configured?: { port: number; mode: ProbeMode };
  cells: ProbeCell[];
  recommendation?: Recommendation;
}
