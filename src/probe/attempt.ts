import type { AuthMethod, SmtpFailure } from '../diagnose/types.js';
import type { AttemptFacts, ProbeMode } from '../report/probe.js';
import { safeLine } from '../safety/text.js';
import { SmtpSession } from '../smtp/connection.js';
import { parseEhloReply } from './capabilities.js';

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
  /** -4/-6, for a `host` that is a name (the probe dials addresses of the family it asked for). */
  family?: 4 | 6;
  /** --ehlo. */
  ehloName?: string;
  signal?: AbortSignal;
  /** `--auth`: log in after EHLO (only ever over a TLS connection whose certificate verified), with `method` only when given (--auth-method). */
  login?: { user: string; password: string; method?: AuthMethod };
}

/** `--auth` on one attempt; the failure as the rules read it (classify.ts maps it into the report's shape). */
export type AttemptLogin = { status: 'ok' } | { status: 'failed'; failure: SmtpFailure } | { status: 'skipped'; reason: string };

/** Facts about one attempt; classify.ts turns them into a cell status. Never throws. */
export interface AttemptResult extends Omit<AttemptFacts, 'failure' | 'login'> {
  failure?: SmtpFailure;
  login?: AttemptLogin;
  /** The session got as far as a successful EHLO (after STARTTLS in that mode). */
  ok: boolean;
  /** nodemailer reported the connection established (for implicit TLS: after the handshake). */
  connected: boolean;
}

// nodemailer's own timers carry typed errors we prefer; ours only catches a server that drips bytes.
const watchdogGraceMs = 500;

/** Opens one SMTP session in one mode over the connection adapter (smtp/connection.ts) and reports what happened. */
export function attemptSmtp(options: AttemptOptions): Promise<AttemptResult> {
  return new SmtpAttempt(options).run();
}

/**
 * The probe's policy over one session: one bound for all of it, nothing sent after EHLO but an
 * optional login, and a certificate that does not verify reported, not refused.
 */
class SmtpAttempt {
  private readonly session: SmtpSession;
  private readonly result: AttemptResult = { ok: false, connected: false, ms: 0 };
  private readonly started = performance.now();

  constructor(private readonly o: AttemptOptions) {
    this.session = new SmtpSession({
      host: o.host,
      port: o.port,
      secure: o.mode === 'implicit-tls',
      starttls: o.mode === 'starttls' ? 'required' : o.mode === 'plaintext' ? 'never' : 'when-offered',
      ...(o.servername ? { servername: o.servername } : {}),
      dnsTimeoutMs: o.timeoutMs,
      nodemailerTimeoutMs: o.timeoutMs,
      // A probe has nothing to say goodbye for: tear sockets down at once so the CLI exits.
      closeAtOnce: true,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
      ...(o.family ? { family: o.family } : {}),
      ...(o.ehloName ? { ehloName: o.ehloName } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      events: {
        established: () => (this.result.connected = true),
        reply: ({ text }) => {
          this.result.greeting ??= safeLine(text.split(/\r?\n/)[0] ?? '');
        },
      },
    });
  }

  async run(): Promise<AttemptResult> {
    this.armWatchdog();
    if (await this.session.open()) {
      if (this.session.tls) this.result.tls = this.session.tls;
      this.result.capabilities = parseEhloReply(this.session.ehloReply.join('\n'));
      this.result.ok = true;
      if (this.o.login) {
        this.armWatchdog();
        this.result.login = await this.logIn(this.o.login);
      }
      this.session.quit();
    } else if (this.session.failure) this.result.failure = this.session.failure;
    if (this.session.tls) this.result.tls = this.session.tls;
    this.result.ms = Math.round(performance.now() - this.started);
    return this.result;
  }

  /** Only over a TLS connection whose certificate verified; once EHLO worked, a failure ends the login, not the attempt. */
  private async logIn(credentials: { user: string; password: string; method?: AuthMethod }): Promise<AttemptLogin> {
    const tls = this.result.tls;
    if (this.o.mode === 'plaintext' || !tls) return { status: 'skipped', reason: 'not tried: the password would cross the network unencrypted' };
    if (!tls.authorized) return { status: 'skipped', reason: `not tried: the certificate did not verify (${tls.authorizationError ?? 'unknown reason'})` };
    const offered = this.result.capabilities?.authOffered ? this.result.capabilities.authMechanisms : undefined;
    if (!offered) return { status: 'skipped', reason: 'not tried: the server does not offer AUTH here' };
    const { method } = credentials;
    if (method && !offered.includes(method))
      return { status: 'skipped', reason: `not tried: --auth-method ${method}, and the server offers only ${offered.join(', ') || 'no mechanism'} here` };
    // CRAM-MD5 (forced, or the only password mechanism offered) never sends the password: the
    // server's text is not scrubbed of it then, which would mark which of its words is the password.
    const cram = (method ?? ['PLAIN', 'LOGIN', 'CRAM-MD5'].find((m) => offered.includes(m))) === 'CRAM-MD5';
    if (!cram) this.session.disclose(credentials.password, credentials.user);
    if (await this.session.login({ user: credentials.user, pass: credentials.password, ...(method ? { method } : {}) })) return { status: 'ok' };
    return { status: 'failed', failure: { ...this.session.failure!, stage: 'auth' } };
  }

  private armWatchdog(): void {
    this.session.armWatchdog(this.o.timeoutMs + watchdogGraceMs, () => ({
      stage: this.session.stage,
      code: 'ETIMEDOUT',
      timeoutType: 'STEP_TIMEOUT',
      message: `no complete answer within ${this.o.timeoutMs} ms`,
    }));
  }
}
