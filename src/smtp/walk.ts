import { createHmac } from 'node:crypto';
import type { SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { minRecognisableLength } from '../safety/secrets.js';
import { safeLine } from '../safety/text.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { AuthLineRewriter, decodeServerPrompt } from './auth-lines.js';
import { SmtpSession, type ServerReply, type SessionChoices } from './connection.js';
import { buildTestMessage, type TestMessage } from './message.js';
import type { StageTiming } from '../report/model.js';
import type { TlsInfo } from '../report/tls.js';
import { describeTls } from './tls-info.js';
import { hostPort } from '../config/host-port.js';

export interface WalkTarget {
  host: string;
  port: number;
  /** Implicit TLS from the first byte; otherwise STARTTLS is required before AUTH. */
  secure: boolean;
  user?: string;
  /** The user as it may be shown in the AUTH lines (config/shown.ts), and whether it is a secret too. */
  userShown?: string;
  userIsSecret?: boolean;
  password?: string;
  /** An OAuth 2.0 access token: logs in with XOAUTH2 where the server offers it (instead of the password). */
  oauth2Token?: string;
  senderAddress: string;
  senderHeader: string;
  recipient: string;
}

export interface WalkOptions extends WalkTarget, SessionChoices {
  /** Bound for each step (connect, greeting, each command). */
  timeoutMs: number;
  /** true: DATA and the test message (test). false: stop after RCPT with RSET (doctor). */
  deliver: boolean;
  /** An extra CA to trust (the sandbox's own). */
  ca?: string;
  /** --dns-server: the only DNS server asked for the host's addresses (dns/host.ts). */
  dnsServer?: string;
  recorder: TranscriptRecorder;
  onStage?: (stage: SmtpStage, status: 'start' | 'ok') => void;
  /** The first line of a reply arrived: the port speaks SMTP in the configured mode, however long the rest takes. */
  onSmtpSpoken?: () => void;
  signal?: AbortSignal;
}

export interface WalkResult {
  ok: boolean;
  failure?: SmtpFailure;
  tls?: TlsInfo;
  authAdvertised: boolean;
  authMechanisms: string[];
  authenticated: boolean;
  /** The server's reply to the end of DATA ("250 OK: queued as ..."). */
  accepted?: string;
  messageId?: string;
  stages: StageTiming[];
}

/**
 * The replies RFC 5321 allows at the steps whose answer decides what happens next. nodemailer
 * takes any 2xx as success, so a server that greets twice or answers out of order would have its
 * stale "220" read as the EHLO reply, and its EHLO reply as the go-ahead for STARTTLS.
 */
const allowedReplies: Partial<Record<SmtpStage, RegExp>> = {
  ehlo: /^(250|[45]\d\d)[ -]/,
  starttls: /^(220|[45]\d\d)[ -]/,
};

/** AUTH LOGIN asks twice (username, password); a server that keeps asking would loop until the timeout. */
const maxAuthChallenges = 2;

/**
 * Servers answer a failed login late on purpose: Dovecot waits auth_failure_delay (2 s) and adds
 * a per-IP penalty of up to 15 s after repeated failures, and that delay also holds later logins
 * with the right password. AUTH gets a bound of its own, so a slow answer is read, not timed out.
 */
export function authWaitMs(timeoutMs: number): number {
  return Math.max(timeoutMs * 4, 20_000);
}

/**
 * A server that sent `220-` speaks SMTP and holds the rest of its greeting on purpose: Postfix's
 * postscreen waits postscreen_greet_wait (6 s by default) to catch clients that talk too early.
 */
export function heldGreetingWaitMs(timeoutMs: number): number {
  return Math.max(timeoutMs * 2, 30_000);
}

/** Password mechanisms nodemailer can answer; anything else on offer needs a token (XOAUTH2). */
const passwordMechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5'];

/**
 * Walks one SMTP session step by step over the connection adapter (connection.ts), recording a
 * redacted transcript as it goes, and resolves with what happened. It never throws and never
 * prints. What is its own is policy: which steps, how long each may take, which replies are
 * allowed in which order, and that nothing is sent over an unverified or unencrypted connection.
 */
export function walkSmtp(options: WalkOptions): Promise<WalkResult> {
  return new SmtpWalk(options).run();
}

class SmtpWalk {
  private readonly session: SmtpSession;
  private readonly result: WalkResult = { ok: false, authAdvertised: false, authMechanisms: [], authenticated: false, stages: [] };
  private readonly authLines: AuthLineRewriter;
  private testMessage: Promise<TestMessage> | undefined;
  /** AUTH CRAM-MD5 was sent: the next reply carries the challenge (discloseCramResponse). */
  private cramChallengeDue = false;
  /** 334 challenges in a row during AUTH (see maxAuthChallenges). */
  private authChallenges = 0;
  /** The server sent `220-`: the greeting has begun and may be held (heldGreetingWaitMs). */
  private greetingHeld = false;
  private readonly authWaitMs: number;
  private readonly heldGreetingWaitMs: number;
  /** Tells the person why mailcheck is still waiting for the answer to AUTH. */
  private authPatienceNote: NodeJS.Timeout | undefined;

  constructor(private readonly o: WalkOptions) {
    this.authLines = new AuthLineRewriter(o.userShown ?? '(none)', {
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.oauth2Token !== undefined ? { oauth2Token: o.oauth2Token } : {}),
    });
    this.authWaitMs = authWaitMs(o.timeoutMs);
    this.heldGreetingWaitMs = heldGreetingWaitMs(o.timeoutMs);
    this.session = new SmtpSession({
      host: o.host,
      port: o.port,
      secure: o.secure,
      // STARTTLS only where the server offers it (never an unadvertised command); without TLS the
      // walk stops before AUTH and MAIL, so no credentials or mail ever cross in the clear (afterConnect).
      starttls: 'when-offered',
      dnsTimeoutMs: o.timeoutMs,
      // nodemailer's own timers are set past every bound of ours: each stage is bounded by the
      // walk's watchdog (onStage), which knows that AUTH and a held greeting may take longer.
      nodemailerTimeoutMs: Math.max(this.authWaitMs, this.heldGreetingWaitMs) + 5_000,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
      ...(o.family ? { family: o.family } : {}),
      ...(o.ehloName ? { ehloName: o.ehloName } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      events: {
        stage: (stage, left) => this.onStage(stage, left),
        established: (text) => this.info(text),
        command: (text, own) => this.onCommand(text, own),
        replyLine: (line) => this.record('server', line),
        greetingBegun: () => this.holdGreeting(),
        reply: (reply) => this.onReply(reply),
        unsolicited: (line) => this.unsolicited(line),
        tls: (tls) => this.onTls(tls),
        ended: (failure) => this.onEnded(failure),
      },
    });
  }

  async run(): Promise<WalkResult> {
    if (!this.o.signal?.aborted) {
      this.info(`connecting to ${hostPort(this.o.host, this.o.port)} (${this.o.secure ? 'implicit TLS' : 'plaintext, STARTTLS required'})`);
      if (this.o.deliver) {
        // Built while the network is busy: composing loads nodemailer's MIME modules, which
        // would otherwise cost their load time after DATA is reached.
        const domain = this.o.senderAddress.split('@')[1] ?? 'mailcheck.invalid';
        this.testMessage = buildTestMessage(this.o.senderHeader, domain, this.o.recipient);
        this.testMessage.catch(() => {}); // awaited (and reported) in deliver()
      }
    }
    void this.drive();
    const failure = await this.session.done;
    this.result.ok = failure === undefined;
    if (failure) this.result.failure = failure;
    this.result.stages = this.session.stages;
    return this.result;
  }

  /** The steps in order; any failure ends the session, and `run` reports it. */
  private async drive(): Promise<void> {
    if (!(await this.session.open())) return;
    this.parseAuthMechanisms();
    if (!this.o.secure && !this.isEncrypted()) {
      return this.session.fail({
        stage: 'starttls',
        code: 'ENOSTARTTLS',
        message: 'the server does not offer STARTTLS (its EHLO reply does not list it), so the session would stay unencrypted',
      });
    }
    if (this.o.user !== undefined && (this.o.password !== undefined || this.o.oauth2Token !== undefined)) {
      if (!this.result.authAdvertised) {
        this.info('the server did not advertise AUTH: the credentials were NOT checked');
      } else {
        if (!(await this.logIn(this.o.user))) return;
        this.result.authenticated = true;
      }
    }
    if (this.o.deliver ? !(await this.deliver()) : !(await this.envelopeOnly())) return;
    this.session.quit();
  }

  /**
   * AUTH with a mechanism the server offers: the one --auth-method forces, else XOAUTH2 with a
   * token, else a password mechanism (nodemailer picks among the offered ones). A server offering
   * only token mechanisms is never sent a password it cannot take, nor any server a mechanism it
   * did not advertise.
   */
  private async logIn(user: string): Promise<boolean> {
    const offered = this.result.authMechanisms;
    const token = this.o.oauth2Token;
    const forced = this.o.authMethod;
    if (forced && !offered.includes(forced)) {
      this.session.fail({
        stage: 'auth',
        code: 'EAUTHMETHOD',
        message: `--auth-method ${forced} was asked for, but the server does not offer it (it offers ${offered.join(', ') || 'nothing'}); no AUTH was sent`,
      });
      return false;
    }
    const useToken = forced ? forced === 'XOAUTH2' : token !== undefined && offered.includes('XOAUTH2');
    const secret = useToken ? token : this.o.password;
    if (secret === undefined || (!forced && !useToken && !offered.some((m) => passwordMechanisms.includes(m)))) {
      const what =
        token !== undefined ? 'an OAuth 2.0 token, but the server does not offer XOAUTH2' : 'a password, but the server offers no password mechanism';
      this.session.fail({
        stage: 'auth',
        code: 'ENOAUTHMECH',
        message: `mailcheck has ${what} (it offers ${offered.join(', ') || 'nothing'}); no AUTH was sent`,
      });
      return false;
    }
    // The mechanism nodemailer would pick (its order is passwordMechanisms'), named here because
    // what the server is given depends on it.
    const mechanism = useToken ? 'XOAUTH2' : (forced ?? passwordMechanisms.find((m) => offered.includes(m)) ?? 'PLAIN');
    // CRAM-MD5 never sends the password, so the server's text is not scrubbed of it (that would
    // mark which of its words is the password); what it is sent is disclosed as it is computed.
    this.disclose(user, mechanism === 'CRAM-MD5' ? undefined : secret);
    // Loaded only for a token: a password login, nearly every run, never needs it.
    const credentials = useToken
      ? { user, oauth2: new (await import('nodemailer/lib/xoauth2')).default({ user, accessToken: secret }) }
      : { user, pass: secret, method: mechanism };
    if (this.session.ended) return false;
    return this.session.login(credentials);
  }

  private async deliver(): Promise<boolean> {
    let message: TestMessage;
    try {
      message = await this.testMessage!;
    } catch (error) {
      this.session.fail({ stage: 'data', code: 'EMESSAGE', message: `could not compose the test message: ${String((error as Error).message)}` });
      return false;
    }
    this.result.messageId = message.messageId;
    const sent = await this.session.send({ from: this.o.senderAddress, to: [this.o.recipient] }, message.raw);
    if (!sent) return false;
    if (sent.response) this.result.accepted = this.session.untrusted(sent.response);
    return true;
  }

  /** MAIL, RCPT, RSET without DATA. */
  private envelopeOnly(): Promise<boolean> {
    return this.session.commands([
      { stage: 'mail', command: `MAIL FROM:<${this.o.senderAddress}>`, failureCode: 'EENVELOPE' },
      { stage: 'rcpt', command: `RCPT TO:<${this.o.recipient}>`, failureCode: 'EENVELOPE' },
      { stage: 'quit', command: 'RSET', failureCode: 'EPROTOCOL' },
    ]);
  }

  // --- what the server said ------------------------------------------------------------------

  private onCommand(text: string, own: boolean): void {
    this.cramChallengeDue = /^AUTH\s+CRAM-MD5$/i.test(text);
    this.record('client', own ? text : this.authLines.rewriteClient(text));
  }

  private onReply({ text, answered, rest }: ServerReply): void {
    if (this.cramChallengeDue && answered === 'auth') this.discloseCramResponse(text);
    this.authLines.noteServerReply(text);
    if (rest !== '') this.record('server', decodeServerPrompt(this.session.scrubReply(rest)));
    this.checkReplyOrder(answered, text);
  }

  private unsolicited(line: string): void {
    const code = /^\d{3}/.exec(line)?.[0];
    this.session.fail({
      stage: this.session.stage,
      code: 'EPROTOCOL',
      ...(code ? { responseCode: Number(code) } : {}),
      response: line,
      message: `out-of-order reply: the server sent "${safeLine(line, 80)}" before mailcheck asked anything`,
    });
  }

  /** `220-` came: the port speaks plain SMTP as configured, and the rest of the greeting may take a while. */
  private holdGreeting(): void {
    this.greetingHeld = true;
    this.o.onSmtpSpoken?.();
    this.info(
      `the greeting has begun (220-); waiting up to ${this.heldGreetingWaitMs} ms for the rest: servers such as Postfix's postscreen hold it on purpose`,
    );
    this.armWatchdog();
  }

  private checkReplyOrder(answered: SmtpStage, reply: string): void {
    this.authChallenges = answered === 'auth' && /^334[ -]/.test(reply) ? this.authChallenges + 1 : 0;
    const looping = this.authChallenges > maxAuthChallenges;
    if (!looping && allowedReplies[answered]?.test(reply) !== false) return;
    const code = /^\d{3}/.exec(reply)?.[0];
    this.session.fail({
      stage: answered,
      code: 'EPROTOCOL',
      ...(code ? { responseCode: Number(code) } : {}),
      response: reply,
      message: looping
        ? `out-of-order reply: AUTH was answered with more than ${maxAuthChallenges} challenges (334)`
        : `out-of-order reply: ${answered.toUpperCase()} was answered with ${code ?? 'something that is not a reply code'}`,
    });
  }

  private parseAuthMechanisms(): void {
    for (const line of this.session.ehloReply) {
      const match = /^250[ -]AUTH[ =](.*)$/i.exec(line.trim());
      if (match) {
        this.result.authAdvertised = true;
        // Server text, printed in the auth check's detail: made safe, and a flood of names bounded.
        this.result.authMechanisms = safeLine(match[1]!.trim())
          .split(/\s+/)
          .slice(0, 20)
          .map((m: string) => m.toUpperCase());
      }
    }
  }

  // --- transcript and TLS ---------------------------------------------------------------

  private record(dir: 'client' | 'server', text: string): void {
    this.o.recorder.record(dir, text, this.isEncrypted());
  }

  private info(text: string): void {
    this.o.recorder.record('info', text, false);
  }

  private isEncrypted(): boolean {
    return this.result.tls !== undefined;
  }

  /** Records what the handshake negotiated; an unverified connection is closed before anything else is sent over it. */
  private onTls(tls: TlsInfo): void {
    this.result.tls = tls;
    this.o.recorder.record('info', `TLS ${describeTls(tls)}`, true);
    if (!tls.authorized) {
      this.session.fail({
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: tls.authorizationError ?? 'UNABLE_TO_VERIFY',
        message: `certificate verification failed: ${tls.authorizationError ?? 'unknown reason'}`,
      });
    }
  }

  /**
   * CRAM-MD5 never sends the password, but its answer (the username and an HMAC-MD5 of the
   * challenge keyed with the password) is given to this server: an echo of it would let a reader
   * guess the password offline, so it is scrubbed like the password itself. nodemailer computes it
   * from this reply, right after it is reported here.
   */
  private discloseCramResponse(challengeReply: string): void {
    this.cramChallengeDue = false;
    const challenge = /^334\s+(.+)$/.exec(challengeReply.trim())?.[1];
    if (!challenge || this.o.password === undefined || this.o.user === undefined) return;
    const hmac = createHmac('md5', this.o.password).update(Buffer.from(challenge, 'base64').toString('ascii')).digest('hex');
    this.session.disclose(`${this.o.user} ${hmac}`);
    this.session.disclose(hmac);
  }

  /** From now on the server knows the credentials (the secret, unless it is never sent), so its text may echo them. */
  private disclose(user: string, secret: string | undefined): void {
    let withheld = secret !== undefined && this.session.disclose(secret, user);
    if (this.o.userIsSecret) withheld = this.session.disclose(user);
    if (withheld) {
      this.info(
        `the password has fewer than ${minRecognisableLength} characters, too few to tell an echo of it from ordinary words: the server's text after login is withheld (its reply codes are kept)`,
      );
    }
  }

  // --- stages and ending ------------------------------------------------------------------

  private onStage(stage: SmtpStage, left: StageTiming | undefined): void {
    if (left) this.o.onStage?.(left.stage, 'ok');
    this.o.onStage?.(stage, 'start');
    this.armWatchdog();
    clearTimeout(this.authPatienceNote);
    if (stage === 'auth') {
      this.authPatienceNote = setTimeout(() => {
        this.info(
          `no answer to AUTH after ${this.o.timeoutMs} ms: servers delay the answer to a failed login on purpose, so mailcheck waits up to ${this.authWaitMs} ms`,
        );
      }, this.o.timeoutMs);
      this.authPatienceNote.unref();
    }
  }

  /**
   * Every stage's bound, measured from the stage's start. The failure carries the timeout type
   * nodemailer would have given, which the diagnosis rules read.
   */
  private armWatchdog(): void {
    const stage = this.session.stage;
    const limit = this.stageLimit(stage);
    const timeoutType = stage === 'connect' || stage === 'tls' ? 'CONNECT_TIMEOUT' : stage === 'greeting' ? 'GREETING_TIMEOUT' : 'STEP_TIMEOUT';
    this.session.armWatchdog(limit - this.session.stageElapsedMs(), () => {
      const message =
        stage === 'greeting'
          ? this.greetingHeld
            ? `the server sent "220-" but not the rest of its greeting within ${limit} ms`
            : 'Greeting never received'
          : `no complete answer within ${limit} ms`;
      return { stage, code: 'ETIMEDOUT', timeoutType, message, ...(this.greetingHeld && stage === 'greeting' ? { responseCode: 220 } : {}) };
    });
  }

  private stageLimit(stage: SmtpStage): number {
    if (stage === 'dns' || stage === 'connect' || stage === 'tls') return this.o.timeoutMs * 2;
    if (stage === 'greeting' && this.greetingHeld) return this.heldGreetingWaitMs;
    if (stage === 'auth') return this.authWaitMs;
    return this.o.timeoutMs;
  }

  private onEnded(failure: SmtpFailure | undefined): void {
    clearTimeout(this.authPatienceNote);
    // A reply is already in the transcript; a socket or TLS error is not, and without it the
    // transcript would stop mid-air. Its own words (e.g. "wrong version number") are what people search for.
    if (failure && failure.response === undefined && failure.code !== 'EABORT') this.info(`stopped: ${failure.message}`);
  }
}
