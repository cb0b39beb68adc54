import { isIP, type Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';
import { format } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { resolveForNodemailer } from '../dns/host.js';
import { minRecognisableLength, Scrubber } from '../safety/secrets.js';
import { safeLine, safeLines } from '../safety/text.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { AuthLineRewriter, decodeServerPrompt } from './auth-lines.js';
import { buildTestMessage, type TestMessage } from './message.js';
import type { StageTiming } from '../report/model.js';
import type { TlsInfo } from '../report/tls.js';
import { readTlsInfo, describeTls } from './tls-info.js';
import { maxResponseBytes, type NodemailerError } from './nodemailer-error.js';

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

export interface WalkOptions extends WalkTarget {
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

/**
 * How long EHLO after STARTTLS waits for a TLS 1.3 session ticket (holdEhloForSessionTicket): a
 * ticket follows the handshake by one round trip, so a few ms cover loopback and a LAN, and are
 * all a server without tickets (or across a WAN, where the wait could not help) ever costs.
 */
const sessionTicketWaitMs = 5;

/** Continuation lines of one reply shown as they arrive (the whole reply is bounded by safeLines when it completes). */
const maxEarlyLines = 40;

/** Password mechanisms nodemailer can answer; anything else on offer needs a token (XOAUTH2). */
const passwordMechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5'];

/**
 * The first TLS context a process makes costs 20-30 ms of OpenSSL set-up on Node 20 (time
 * `tls.createSecureContext()` twice in one process); later ones reuse it. Made at STARTTLS, that
 * cost lies between two server replies; made while the server is still sending its greeting, it
 * adds no wall time. With implicit TLS the handshake starts at once, so there is nothing to hide.
 */
let tlsWarm = false;
function warmUpTls(): void {
  if (tlsWarm) return;
  tlsWarm = true;
  createSecureContext();
}

/**
 * Walks one SMTP session step by step over nodemailer's SMTPConnection, recording a redacted
 * transcript as it goes, and resolves with what happened. It never throws and never prints.
 */
export function walkSmtp(options: WalkOptions): Promise<WalkResult> {
  return new SmtpWalk(options).run();
}

class SmtpWalk {
  private readonly conn: SMTPConnection;
  private readonly result: WalkResult = { ok: false, authAdvertised: false, authMechanisms: [], authenticated: false, stages: [] };
  private stage: SmtpStage;
  private stageStarted = performance.now();
  private watchdog: NodeJS.Timeout | undefined;
  private finished = false;
  private resolve!: (result: WalkResult) => void;
  private readonly authLines: AuthLineRewriter;
  /** What this server was given: the credentials, from the moment AUTH is sent (safety/secrets.ts). */
  private readonly scrubber = new Scrubber();
  /** While the envelope is walked through customAuth, nodemailer logs commands as "secret": we log them ourselves. */
  private loggingEnvelopeOurselves = false;
  private lastEhloReply: string[] = [];
  /** The stage of each command still awaiting its reply, oldest first: with PIPELINING a reply may answer a command sent lines ago. */
  private readonly awaitingReply: SmtpStage[] = ['greeting'];
  /** The last 4xx/5xx reply and the stage of the command it answered, until a positive reply follows. */
  private lastRejection: { stage: SmtpStage; response: string } | undefined;
  private testMessage: Promise<TestMessage> | undefined;
  private collectingEhlo = false;
  /** 334 challenges in a row during AUTH (see maxAuthChallenges). */
  private authChallenges = 0;
  /** The server sent `220-`: the greeting has begun and may be held (heldGreetingWaitMs). */
  private greetingHeld = false;
  /** Lines of the reply in progress already in the transcript (they are recorded as they arrive, see tapReplies). */
  private linesShownEarly = 0;
  /** Replies the commands sent so far call for (the greeting is one), and replies completed: more of the second is a server talking out of turn. */
  private repliesExpected = 1;
  private repliesReceived = 0;
  /** The socket whose data tapReplies reads (nodemailer replaces it at STARTTLS). */
  private tapped: unknown;
  private partialLine = '';
  private readonly authWaitMs: number;
  private readonly heldGreetingWaitMs: number;
  /** Tells the person why mailcheck is still waiting for the answer to AUTH. */
  private authPatienceNote: NodeJS.Timeout | undefined;

  constructor(private readonly o: WalkOptions) {
    this.stage = isIP(o.host) ? 'connect' : 'dns';
    this.authLines = new AuthLineRewriter(o.userShown ?? '(none)', {
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.oauth2Token !== undefined ? { oauth2Token: o.oauth2Token } : {}),
    });
    this.authWaitMs = authWaitMs(o.timeoutMs);
    this.heldGreetingWaitMs = heldGreetingWaitMs(o.timeoutMs);
    // nodemailer's own timers are set past every bound of ours: each stage is bounded by the
    // walk's watchdog (enterStage), which knows that AUTH and a held greeting may take longer.
    const longest = Math.max(this.authWaitMs, this.heldGreetingWaitMs) + 5_000;
    this.conn = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.secure,
      // STARTTLS only where the server offers it (never an unadvertised command); without TLS the
      // walk stops before AUTH and MAIL, so no credentials or mail ever cross in the clear (afterConnect).
      connectionTimeout: longest,
      greetingTimeout: longest,
      socketTimeout: longest,
      dnsTimeout: o.timeoutMs,
      maxResponseSize: maxResponseBytes,
      // We verify ourselves after the handshake, so the transcript can show the certificate
      // that failed; nothing is sent over an unverified connection (see onTlsEstablished).
      tls: { rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) },
      transactionLog: true,
      logger: this.logger(),
      customAuth: { 'MAILCHECK-ENVELOPE': (ctx) => this.walkEnvelope(ctx) },
    });
  }

  run(): Promise<WalkResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      if (this.o.signal?.aborted) return this.fail({ stage: this.stage, code: 'EABORT', message: 'interrupted' });
      this.o.signal?.addEventListener('abort', () => this.fail({ stage: this.stage, code: 'EABORT', message: 'interrupted' }), { once: true });
      this.conn.on('error', (error: NodemailerError) => this.fail(this.failureFrom(error)));
      this.conn.on('end', () => {
        if (!this.finished) this.fail({ stage: this.stage, code: 'ECONNECTION', message: 'Connection closed unexpectedly' });
      });
      this.info(`connecting to ${this.o.host}:${this.o.port} (${this.o.secure ? 'implicit TLS' : 'plaintext, STARTTLS required'})`);
      if (this.o.deliver) {
        // Built while the network is busy: composing loads nodemailer's MIME modules, which
        // would otherwise cost their load time after DATA is reached.
        const domain = this.o.senderAddress.split('@')[1] ?? 'mailcheck.invalid';
        this.testMessage = buildTestMessage(this.o.senderHeader, domain, this.o.recipient);
        this.testMessage.catch(() => {}); // awaited (and reported) in deliver()
      }
      this.enterStage(this.stage);
      void this.connect();
    });
  }

  private async connect(): Promise<void> {
    const unresolved = await resolveForNodemailer(this.o.host, { server: this.o.dnsServer, timeoutMs: this.o.timeoutMs });
    if (this.finished) return;
    // The shape nodemailer gives its own failed lookups, which the diagnosis rules read.
    if (unresolved) return this.fail({ stage: 'dns', code: 'EDNS', originalCode: unresolved.code, message: unresolved.message });
    this.conn.connect((error) => {
      if (error) return this.fail(this.failureFrom(error as NodemailerError));
      void this.afterConnect();
    });
  }

  private async afterConnect(): Promise<void> {
    this.parseAuthMechanisms();
    if (!this.o.secure && !this.isEncrypted()) {
      return this.fail({
        stage: 'starttls',
        code: 'ENOSTARTTLS',
        message: 'the server does not offer STARTTLS (its EHLO reply does not list it), so the session would stay unencrypted',
      });
    }
    if (this.o.user !== undefined && (this.o.password !== undefined || this.o.oauth2Token !== undefined)) {
      if (!this.result.authAdvertised) {
        this.info('the server did not advertise AUTH: the credentials were NOT checked');
      } else {
        const loginError = await this.logIn(this.o.user);
        if (this.finished) return;
        if (loginError) return this.fail(loginError);
        this.result.authenticated = true;
      }
    }
    if (this.o.deliver) await this.deliver();
    else await this.envelopeOnly();
    if (this.finished) return;
    this.enterStage('quit');
    this.conn.quit();
    this.succeed();
  }

  /**
   * AUTH with a mechanism the server offers: XOAUTH2 with a token, else a password mechanism
   * (nodemailer picks among the offered ones). A server offering only token mechanisms is never
   * sent a password it cannot take.
   */
  private async logIn(user: string): Promise<SmtpFailure | undefined> {
    const offered = this.result.authMechanisms;
    const token = this.o.oauth2Token;
    const useToken = token !== undefined && offered.includes('XOAUTH2');
    if (!useToken && (this.o.password === undefined || !offered.some((m) => passwordMechanisms.includes(m)))) {
      const what =
        token !== undefined ? 'an OAuth 2.0 token, but the server does not offer XOAUTH2' : 'a password, but the server offers no password mechanism';
      return { stage: 'auth', code: 'ENOAUTHMECH', message: `mailcheck has ${what} (it offers ${offered.join(', ') || 'nothing'}); no AUTH was sent` };
    }
    this.disclose(user, useToken ? token : this.o.password!);
    // Loaded only for a token: a password login, nearly every run, never needs it.
    const credentials = useToken
      ? { user, oauth2: new (await import('nodemailer/lib/xoauth2')).default({ user, accessToken: token }) }
      : { user, pass: this.o.password! };
    if (this.finished) return undefined;
    const error = await new Promise<NodemailerError | undefined>((done) =>
      this.conn.login(credentials as never, (err) => done(err as NodemailerError | undefined)),
    );
    return error && this.failureFrom(error, 'auth');
  }

  private async deliver(): Promise<void> {
    let message: TestMessage;
    try {
      message = await this.testMessage!;
    } catch (error) {
      return this.fail({ stage: 'data', code: 'EMESSAGE', message: `could not compose the test message: ${String((error as Error).message)}` });
    }
    this.result.messageId = message.messageId;
    const info = await new Promise<{ error?: NodemailerError; response?: string }>((done) =>
      this.conn.send({ from: this.o.senderAddress, to: [this.o.recipient] }, message.raw, (err, sent) =>
        done(err ? { error: err as NodemailerError } : { response: sent?.response }),
      ),
    );
    if (this.finished) return;
    if (info.error) return this.fail(this.failureFrom(info.error));
    if (info.response) this.result.accepted = this.untrusted(info.response);
  }

  /** MAIL, RCPT, RSET without DATA, through nodemailer's documented customAuth hook. */
  private async envelopeOnly(): Promise<void> {
    await new Promise<void>((done) => this.conn.login({ method: 'MAILCHECK-ENVELOPE', user: 'envelope', pass: 'envelope' }, () => done()));
  }

  private async walkEnvelope(ctx: {
    sendCommand: (cmd: string) => Promise<{ status: number; response: string }>;
    resolve: () => void;
    reject: (e: Error) => void;
  }): Promise<void> {
    this.loggingEnvelopeOurselves = true;
    const steps: [SmtpStage, string, string][] = [
      ['mail', `MAIL FROM:<${this.o.senderAddress}>`, 'EENVELOPE'],
      ['rcpt', `RCPT TO:<${this.o.recipient}>`, 'EENVELOPE'],
      ['quit', 'RSET', 'EPROTOCOL'],
    ];
    for (const [stage, command, code] of steps) {
      this.enterStage(stage);
      this.expectReply(command.split(':')[0]!);
      this.record('client', command);
      const reply = await ctx.sendCommand(command);
      if (reply.status < 200 || reply.status >= 300) {
        this.fail({
          stage,
          code,
          ...(reply.status ? { responseCode: reply.status } : {}),
          response: reply.response,
          message: `${command.split(':')[0]} rejected`,
        });
        ctx.reject(new Error('envelope rejected'));
        return;
      }
    }
    this.loggingEnvelopeOurselves = false;
    ctx.resolve();
  }

  // --- transcript and TLS ---------------------------------------------------------------

  private logger() {
    const log = (entry: { tnx?: string } | undefined, message: string, ...args: unknown[]) => this.onLog(entry?.tnx, format(message, ...args));
    return { trace: log, debug: log, info: log, warn: log, error: () => {}, fatal: () => {} };
  }

  private onLog(tnx: string | undefined, text: string): void {
    if (this.finished) return;
    this.checkTls();
    this.tapReplies();
    if (tnx === 'dns') {
      if (this.stage === 'dns') this.enterStage('connect');
      if (this.o.secure) this.watchTcpConnect();
    } else if (tnx === 'network' && /established/.test(text)) {
      this.info(text);
      this.enterStage('greeting');
      if (!this.o.secure) setImmediate(warmUpTls);
    } else if (tnx === 'smtp' && /upgraded with STARTTLS/.test(text)) this.holdEhloForSessionTicket();
    else if (tnx === 'client') this.onClientLine(text);
    else if (tnx === 'server') this.onServerLine(text);
  }

  private onClientLine(text: string): void {
    if (this.loggingEnvelopeOurselves) return;
    const verb = text.split(/[\s:]/)[0]!.toUpperCase();
    const stageByVerb: Record<string, SmtpStage> = {
      EHLO: 'ehlo',
      HELO: 'ehlo',
      LHLO: 'ehlo',
      STARTTLS: 'starttls',
      AUTH: 'auth',
      MAIL: 'mail',
      RCPT: 'rcpt',
      DATA: 'data',
      QUIT: 'quit',
    };
    const next = stageByVerb[verb];
    if (next && next !== this.stage) this.enterStage(next);
    this.collectingEhlo = verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO';
    if (this.collectingEhlo) this.lastEhloReply = [];
    this.expectReply(verb);
    this.record('client', this.authLines.rewriteClient(text));
  }

  private expectReply(verb: string): void {
    this.awaitingReply.push(this.stage);
    this.repliesExpected++;
    // DATA is answered twice: 354 to go ahead, then the verdict on the body (which is not logged).
    if (verb === 'DATA') {
      this.awaitingReply.push('data');
      this.repliesExpected++;
    }
  }

  /**
   * A TLS 1.3 server sends its session tickets right after the client's Finished. Sent at once
   * with the Finished (nodemailer writes EHLO as the handshake completes), the second EHLO reaches
   * a server that is about to send a ticket; its reply then queues behind the unacknowledged
   * ticket under Nagle's algorithm (Postfix sets no TCP_NODELAY) until this side's delayed ACK
   * fires, 40 ms on Linux. Holding EHLO until the ticket is in makes EHLO carry that ACK, as swaks
   * does by reading before it writes. The wait is short and bounded: a server that sends no
   * ticket, or is farther away than the bound, costs at most sessionTicketWaitMs. TLS 1.2 sends
   * its ticket inside the handshake, so there is nothing to wait for. nodemailer logs the upgrade
   * in the same tick, just before it writes EHLO, so corking the socket here holds that write.
   */
  private holdEhloForSessionTicket(): void {
    const socket = (this.conn as unknown as { _socket?: unknown })._socket;
    if (!(socket instanceof TLSSocket) || socket.getProtocol() !== 'TLSv1.3') return;
    socket.cork();
    const release = () => {
      clearTimeout(timer);
      socket.off('session', onTicket);
      if (!socket.destroyed) socket.uncork();
    };
    // The ticket and the timer both release on the next turn of the event loop. 'session' is
    // emitted while Node is still reading the TLS record that carried the ticket, and EHLO
    // uncorked from inside it was never sent (seen against Postfix). A timer that fired late, on
    // an event loop busy loading modules, would otherwise win against a ticket that arrived long
    // before: after it, the loop first reads what is waiting on the socket.
    const onTicket = () => setImmediate(release);
    const timer = setTimeout(onTicket, sessionTicketWaitMs);
    socket.once('session', onTicket);
  }

  /**
   * With implicit TLS nodemailer reports nothing between the TCP connect and the end of the
   * handshake; watching the socket itself keeps a refused port (connect) apart from a failed
   * handshake (tls). nodemailer opens the socket right after logging the lookup, in the same tick.
   */
  private watchTcpConnect(): void {
    queueMicrotask(() => {
      const socket = (this.conn as unknown as { _socket?: unknown })._socket;
      if (!(socket instanceof TLSSocket)) return;
      socket.once('connect', () => {
        if (!this.finished && this.stage === 'connect') this.enterStage('tls');
      });
    });
  }

  private onServerLine(text: string): void {
    if (this.collectingEhlo) this.lastEhloReply.push(...text.split(/\r?\n/));
    const answered = this.awaitingReply.shift() ?? this.stage;
    this.lastRejection = /^[45]\d\d/.test(text) ? { stage: answered, response: text } : undefined;
    this.authLines.noteServerReply(text);
    // The continuation lines tapReplies already showed (with the time they arrived) are not shown twice.
    const rest = text.split(/\r?\n/).slice(this.linesShownEarly).join('\n');
    this.linesShownEarly = 0;
    if (rest !== '') this.record('server', decodeServerPrompt(this.scrubber.scrubReply(rest)));
    this.checkReplyOrder(answered, text);
  }

  /**
   * Reads the server's lines as they arrive, before nodemailer does (so a line is in the
   * transcript before the command it triggers), for two things nodemailer cannot see:
   * - A reply's continuation lines. nodemailer reports a reply only once its last line is in, so
   *   a greeting held after `220-` (postscreen) would look like silence. Until any secret is sent
   *   they are shown as they arrive (at most maxEarlyLines a reply); after that they wait for the
   *   whole reply, which the scrubber must see whole (a secret may be split over its lines).
   * - A reply nobody asked for (`250` right behind the greeting): nodemailer would take it as the
   *   answer to the next command, and every reply after it would answer the wrong command.
   */
  private tapReplies(): void {
    const socket = (this.conn as unknown as { _socket?: Socket })._socket;
    if (!socket || socket === this.tapped) return;
    this.tapped = socket;
    this.partialLine = '';
    socket.prependListener('data', (chunk: Buffer) => {
      // The plain socket still sees raw bytes after STARTTLS replaced it; the TLS one is tapped anew.
      const current = (this.conn as unknown as { _socket?: Socket })._socket;
      if (this.finished || socket !== current) return;
      const lines = (this.partialLine + chunk.toString('utf8')).split('\n');
      this.partialLine = (lines.pop() ?? '').slice(-maxResponseBytes);
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        if (!/^\d{3}-/.test(line)) {
          // A reply's last line completes it: nodemailer reports the whole reply, and onServerLine shows the rest.
          if (/^\d{3}( |$)/.test(line) && ++this.repliesReceived > this.repliesExpected) return this.unsolicited(line);
          continue;
        }
        if (this.scrubber.disclosed || this.linesShownEarly >= maxEarlyLines) continue;
        this.record('server', line);
        this.linesShownEarly++;
        if (this.stage === 'greeting' && line.startsWith('220-') && !this.greetingHeld) this.holdGreeting();
      }
    });
  }

  private unsolicited(line: string): void {
    const code = /^\d{3}/.exec(line)?.[0];
    this.fail({
      stage: this.stage,
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
    this.fail({
      stage: answered,
      code: 'EPROTOCOL',
      ...(code ? { responseCode: Number(code) } : {}),
      response: reply,
      message: looping
        ? `out-of-order reply: AUTH was answered with more than ${maxAuthChallenges} challenges (334)`
        : `out-of-order reply: ${answered.toUpperCase()} was answered with ${code ?? 'something that is not a reply code'}`,
    });
  }

  private record(dir: 'client' | 'server', text: string): void {
    this.o.recorder.record(dir, text, this.isEncrypted());
  }

  private info(text: string): void {
    this.o.recorder.record('info', text, false);
  }

  private isEncrypted(): boolean {
    return this.result.tls !== undefined;
  }

  /**
   * The first time the socket is a finished TLS socket, record what it negotiated and verify the
   * certificate. An unverified connection is closed before anything else is sent over it.
   */
  private checkTls(): void {
    if (this.result.tls) return;
    const socket = (this.conn as unknown as { _socket?: unknown })._socket;
    if (!(socket instanceof TLSSocket)) return;
    // Node settles `authorized` or `authorizationError` only when a handshake completes; a socket
    // whose handshake failed (garbage after STARTTLS) still reports a protocol but neither of these.
    if (!socket.authorized && !socket.authorizationError) return;
    const tls = readTlsInfo(socket);
    this.result.tls = tls;
    this.o.recorder.record('info', `TLS ${describeTls(tls)}`, true);
    if (!tls.authorized) {
      this.fail({
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: tls.authorizationError ?? 'UNABLE_TO_VERIFY',
        message: `certificate verification failed: ${tls.authorizationError ?? 'unknown reason'}`,
      });
    }
  }

  private parseAuthMechanisms(): void {
    for (const line of this.lastEhloReply) {
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

  // --- stages and ending ------------------------------------------------------------------

  private enterStage(stage: SmtpStage): void {
    const now = performance.now();
    if (stage !== this.stage) {
      this.result.stages.push({ stage: this.stage, ms: Math.round(now - this.stageStarted) });
      this.o.onStage?.(this.stage, 'ok');
      this.stage = stage;
      this.stageStarted = now;
    }
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
   * Every stage's bound, measured from the stage's start. It also catches a server that drips one
   * byte at a time, which keeps a socket's idle timer alive. The failure carries the timeout type
   * nodemailer would have given, which the diagnosis rules read.
   */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const stage = this.stage;
    const limit = this.stageLimit(stage);
    const timeoutType = stage === 'connect' || stage === 'tls' ? 'CONNECT_TIMEOUT' : stage === 'greeting' ? 'GREETING_TIMEOUT' : 'STEP_TIMEOUT';
    const left = Math.max(0, limit - (performance.now() - this.stageStarted));
    this.watchdog = setTimeout(() => {
      const message =
        stage === 'greeting'
          ? this.greetingHeld
            ? `the server sent "220-" but not the rest of its greeting within ${limit} ms`
            : 'Greeting never received'
          : `no complete answer within ${limit} ms`;
      this.fail({ stage, code: 'ETIMEDOUT', timeoutType, message, ...(this.greetingHeld && stage === 'greeting' ? { responseCode: 220 } : {}) });
    }, left);
    this.watchdog.unref();
  }

  private stageLimit(stage: SmtpStage): number {
    if (stage === 'dns' || stage === 'connect' || stage === 'tls') return this.o.timeoutMs * 2;
    if (stage === 'greeting' && this.greetingHeld) return this.heldGreetingWaitMs;
    if (stage === 'auth') return this.authWaitMs;
    return this.o.timeoutMs;
  }

  private failureFrom(error: NodemailerError, fallbackStage?: SmtpStage): SmtpFailure {
    const rejected = error.rejectedErrors?.[0];
    const source = !error.response && rejected ? rejected : error;
    const failure: SmtpFailure = {
      stage: this.stageForError(error, fallbackStage),
      message: error.message,
    };
    if (error.code) failure.code = error.code;
    if (error.originalCode) failure.originalCode = error.originalCode;
    if (error.timeoutType) failure.timeoutType = error.timeoutType;
    // The idle-socket timer and the greeting timer run together: whichever fires, no greeting came.
    if (error.timeoutType === 'SOCKET_TIMEOUT' && failure.stage === 'greeting') {
      failure.timeoutType = 'GREETING_TIMEOUT';
      failure.message = 'Greeting never received';
    }
    if (source.responseCode) failure.responseCode = source.responseCode;
    if (source.response) failure.response = source.response;
    return failure;
  }

  /** With PIPELINING, MAIL, RCPT and DATA leave together: nodemailer's `command` says which one failed. */
  private stageForError(error: NodemailerError, fallback?: SmtpStage): SmtpStage {
    if (error.code === 'EDNS') return 'dns';
    if (error.timeoutType === 'GREETING_TIMEOUT') return 'greeting';
    const command = (error.command ?? '').toUpperCase();
    if (command.startsWith('MAIL')) return 'mail';
    if (command.startsWith('RCPT')) return 'rcpt';
    if (command.startsWith('DATA')) return 'data';
    if (command.startsWith('AUTH')) return 'auth';
    if (command === 'STARTTLS') return 'starttls';
    return fallback ?? this.stage;
  }

  private fail(failure: SmtpFailure): void {
    if (this.finished) return;
    // A server that rejects and hangs up at once (421 to a pipelined MAIL) leaves nodemailer with
    // only "Connection closed unexpectedly": the rejection read just before is the real cause.
    if (failure.response === undefined && failure.responseCode === undefined && this.lastRejection && failure.code !== 'EABORT') {
      failure.stage = this.lastRejection.stage;
      failure.response = this.lastRejection.response;
      failure.responseCode = Number(this.lastRejection.response.slice(0, 3));
    }
    // Every failure passes here, so this is where its server-supplied texts become what
    // SmtpFailure promises the diagnosis rules and renderers: redacted and terminal-safe.
    if (this.scrubber.withholds) {
      failure.withheldWords = {
        message: safeLines(failure.message, 10).join('\n'),
        ...(failure.response !== undefined ? { response: safeLines(failure.response, 10).join('\n') } : {}),
      };
    }
    failure.message = this.untrusted(failure.message);
    if (failure.response !== undefined) failure.response = this.untrusted(failure.response);
    // A reply is already in the transcript; a socket or TLS error is not, and without it the
    // transcript would stop mid-air. Its own words (e.g. "wrong version number") are what people search for.
    if (failure.response === undefined && failure.code !== 'EABORT') this.info(`stopped: ${failure.message}`);
    this.result.failure = failure;
    this.finish();
  }

  /** Scrubbed of what the server was given, control characters neutralised, each line and the number of lines bounded. */
  private untrusted(text: string): string {
    return safeLines(this.scrubber.scrubReply(text), 10).join('\n');
  }

  /** From now on the server knows the credentials, so its text may echo them. */
  private disclose(user: string, password: string): void {
    this.scrubber.add(password, user);
    if (this.o.userIsSecret) this.scrubber.add(user);
    if (this.scrubber.withholds) {
      this.info(
        `the password has fewer than ${minRecognisableLength} characters, too few to tell an echo of it from ordinary words: the server's text after login is withheld (its reply codes are kept)`,
      );
    }
  }

  private succeed(): void {
    if (this.finished) return;
    this.result.ok = true;
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    clearTimeout(this.watchdog);
    clearTimeout(this.authPatienceNote);
    this.result.stages.push({ stage: this.stage, ms: Math.round(performance.now() - this.stageStarted) });
    if (!this.result.ok) this.conn.close();
    this.resolve(this.result);
  }
}
