import { TLSSocket } from 'node:tls';
import { format } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { resolveForNodemailer } from '../dns/host.js';
import { Scrubber } from '../safety/secrets.js';
import { safeLine } from '../safety/text.js';
import { readTlsInfo } from '../smtp/tls-info.js';
import { parseEhloReply } from './capabilities.js';
import type { AttemptFacts, LoginOutcome, ProbeMode } from '../report/probe.js';
import { maxResponseBytes, type NodemailerError } from '../smtp/nodemailer-error.js';

export interface AttemptOptions {
  /** Where to connect: an address resolved from the host (probe), or the host name itself. */
  host: string;
  /** The name the certificate must carry when `host` is an address resolved from it (also SNI). */
  servername?: string;
  port: number;
  mode: ProbeMode;
  /** Bound for the whole attempt: connect, TLS, greeting, EHLO, STARTTLS. Login gets its own. */
  timeoutMs: number;
  /** An extra CA to trust (the sandbox's own). */
  ca?: string;
  /** --dns-server, for a `host` that is a name (dns/host.ts). */
  dnsServer?: string;
  signal?: AbortSignal;
  /** `--auth`: log in after EHLO (only ever over a TLS connection whose certificate verified). */
  login?: { user: string; password: string };
}

/** Facts about one attempt; classify.ts turns them into a cell status. Never throws. */
export interface AttemptResult extends AttemptFacts {
  /** The session got as far as a successful EHLO (after STARTTLS in that mode). */
  ok: boolean;
  /** nodemailer reported the connection established (for implicit TLS: after the handshake). */
  connected: boolean;
}

// nodemailer's own timers carry typed errors we prefer; ours only catches a server that drips bytes.
const watchdogGraceMs = 500;

/** Opens one SMTP session in one mode over nodemailer's SMTPConnection and reports what happened. */
export function attemptSmtp(options: AttemptOptions): Promise<AttemptResult> {
  return new SmtpAttempt(options).run();
}

class SmtpAttempt {
  private readonly conn: SMTPConnection;
  private readonly result: AttemptResult = { ok: false, connected: false, ms: 0 };
  private readonly started = performance.now();
  /** What this server was given: the password once --auth logs in (safety/secrets.ts). */
  private readonly scrubber = new Scrubber();
  private lastClientVerb = '';
  /** Implicit TLS only: the TCP connect completed (nodemailer reports nothing until the handshake ends). */
  private tcpConnected = false;
  private ehloReply = '';
  private settled = false;
  private watchdog: NodeJS.Timeout | undefined;
  private resolve!: (result: AttemptResult) => void;
  /** Set while a login is in flight: once EHLO worked, a later error ends the login, not the attempt. */
  private endLogin: ((outcome: LoginOutcome) => void) | undefined;
  private readonly onAbort = () => this.fail({ stage: this.stage(), code: 'EABORT', message: 'interrupted' });

  constructor(private readonly o: AttemptOptions) {
    this.conn = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.mode === 'implicit-tls',
      requireTLS: o.mode === 'starttls',
      ignoreTLS: o.mode === 'plaintext',
      ...(o.servername ? { servername: o.servername } : {}),
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
      dnsTimeout: o.timeoutMs,
      // A probe has nothing to say goodbye for: tear sockets down at once so the CLI exits.
      socketCloseTimeout: 0,
      maxResponseSize: maxResponseBytes,
      // Verification is reported, not enforced: a probe wants to see the port work even with a bad
      // certificate. Credentials are only sent when it verified (see login).
      tls: { rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) },
      transactionLog: true,
      logger: this.logger(),
    });
  }

  run(): Promise<AttemptResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      if (this.o.signal?.aborted) return this.onAbort();
      this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
      // Without an 'error' listener nodemailer's errors would throw; keep it for the socket's lifetime.
      this.conn.on('error', (error: NodemailerError) => this.fail(this.failureFrom(error)));
      this.conn.on('end', () => this.fail({ stage: this.stage(), code: 'ECONNECTION', message: 'Connection closed unexpectedly' }));
      this.armWatchdog();
      void this.connect();
    });
  }

  private async connect(): Promise<void> {
    const unresolved = await resolveForNodemailer(this.o.host, { server: this.o.dnsServer, timeoutMs: this.o.timeoutMs });
    if (this.settled) return;
    if (unresolved) return this.fail({ stage: 'dns', code: 'EDNS', originalCode: unresolved.code, message: unresolved.message });
    this.conn.connect((error) => {
      if (error) return this.fail(this.failureFrom(error as NodemailerError));
      void this.connected();
    });
  }

  private async connected(): Promise<void> {
    if (this.settled) return;
    this.readTls();
    this.result.capabilities = parseEhloReply(this.ehloReply);
    this.result.ok = true;
    if (this.o.login) {
      this.armWatchdog();
      this.result.login = await this.logIn(this.o.login);
      if (this.settled) return;
    }
    this.conn.quit();
    this.finish();
  }

  private logIn(credentials: { user: string; password: string }): Promise<LoginOutcome> {
    const tls = this.result.tls;
    if (this.o.mode === 'plaintext' || !tls)
      return Promise.resolve({ status: 'skipped', reason: 'not tried: the password would cross the network unencrypted' });
    if (!tls.authorized)
      return Promise.resolve({ status: 'skipped', reason: `not tried: the certificate did not verify (${tls.authorizationError ?? 'unknown reason'})` });
    if (!this.result.capabilities?.authOffered) return Promise.resolve({ status: 'skipped', reason: 'not tried: the server does not offer AUTH here' });
    return new Promise((done) => {
      this.endLogin = (outcome) => {
        this.endLogin = undefined;
        done(outcome);
      };
      this.scrubber.add(credentials.password, credentials.user);
      this.conn.login({ user: credentials.user, pass: credentials.password }, (error) =>
        this.endLogin?.(error ? { status: 'failed', failure: this.failureFrom(error as NodemailerError, 'auth') } : { status: 'ok' }),
      );
    });
  }

  // --- what the server said ----------------------------------------------------------------

  private logger() {
    const log = (entry: { tnx?: string } | undefined, message: string, ...args: unknown[]) => this.onLog(entry?.tnx, format(message, ...args));
    return { trace: log, debug: log, info: log, warn: log, error: () => {}, fatal: () => {} };
  }

  private onLog(tnx: string | undefined, text: string): void {
    if (tnx === 'dns' && this.o.mode === 'implicit-tls') this.watchTcpConnect();
    else if (tnx === 'network' && /established/.test(text)) this.result.connected = true;
    else if (tnx === 'client') this.lastClientVerb = text.split(/[\s:]/)[0]!.toUpperCase();
    else if (tnx === 'server') {
      if (this.result.greeting === undefined) this.result.greeting = safeLine(text.split(/\r?\n/)[0] ?? '');
      else if (this.lastClientVerb === 'EHLO' || this.lastClientVerb === 'HELO') this.ehloReply = text;
    }
  }

  /** nodemailer opens the socket in the same tick it logs the lookup (as walk.ts relies on too). */
  private watchTcpConnect(): void {
    queueMicrotask(() => {
      const socket = (this.conn as unknown as { _socket?: unknown })._socket;
      if (socket instanceof TLSSocket) socket.once('connect', () => (this.tcpConnected = true));
    });
  }

  private readTls(): void {
    const socket = (this.conn as unknown as { _socket?: unknown })._socket;
    if (this.result.tls || !(socket instanceof TLSSocket)) return;
    // Node settles these only when a handshake completes; a failed one still reports a protocol.
    if (socket.authorized || socket.authorizationError) this.result.tls = readTlsInfo(socket);
  }

  // --- failures and ending -----------------------------------------------------------------

  private stage(error?: NodemailerError): SmtpStage {
    if (error?.code === 'EDNS') return 'dns';
    if (error?.timeoutType === 'GREETING_TIMEOUT') return 'greeting';
    if (error?.timeoutType === 'UPGRADE_TIMEOUT') return 'starttls';
    const command = (error?.command ?? '').toUpperCase();
    if (command === 'STARTTLS' || (this.result.greeting !== undefined && this.lastClientVerb === 'STARTTLS')) return 'starttls';
    if (command === 'EHLO' || command === 'HELO' || this.result.greeting !== undefined) return 'ehlo';
    if (this.result.connected) return 'greeting';
    return this.tcpConnected ? 'tls' : 'connect';
  }

  private failureFrom(error: NodemailerError, stage?: SmtpStage): SmtpFailure {
    const failure: SmtpFailure = { stage: stage ?? this.stage(error), message: safeLine(this.scrubber.scrub(error.message)) };
    if (error.code) failure.code = error.code;
    if (error.originalCode) failure.originalCode = error.originalCode;
    if (error.timeoutType) failure.timeoutType = error.timeoutType;
    if (error.responseCode) failure.responseCode = error.responseCode;
    if (error.response) failure.response = safeLine(this.scrubber.scrubReply(error.response));
    return failure;
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.fail({ stage: this.stage(), code: 'ETIMEDOUT', timeoutType: 'STEP_TIMEOUT', message: `no complete answer within ${this.o.timeoutMs} ms` });
    }, this.o.timeoutMs + watchdogGraceMs);
  }

  /** Before EHLO worked this fails the attempt; after, only the login in flight (if any). */
  private fail(failure: SmtpFailure): void {
    if (this.settled) return;
    if (this.result.ok) {
      this.endLogin?.({ status: 'failed', failure: { ...failure, stage: 'auth' } });
      return;
    }
    this.result.failure = failure;
    this.finish();
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.watchdog);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.readTls();
    if (!this.result.ok) this.conn.close();
    this.result.ms = Math.round(performance.now() - this.started);
    this.resolve(this.result);
  }
}
