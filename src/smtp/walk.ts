import { isIP } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';
import { format } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { minRecognisableLength, Scrubber } from '../safety/secrets.js';
import { safeLine, safeLines } from '../safety/text.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { AuthLineRewriter, decodeServerPrompt } from './auth-lines.js';
import { buildTestMessage, type TestMessage } from './message.js';
import { readTlsInfo, describeTls, type TlsInfo } from './tls-info.js';
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
  recorder: TranscriptRecorder;
  onStage?: (stage: SmtpStage, status: 'start' | 'ok') => void;
  signal?: AbortSignal;
}

export interface StageTiming {
  stage: SmtpStage;
  ms: number;
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

  constructor(private readonly o: WalkOptions) {
    this.stage = isIP(o.host) ? 'connect' : 'dns';
    this.authLines = new AuthLineRewriter(o.userShown ?? '(none)', o.password);
    this.conn = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.secure,
      // Never let credentials cross the network in the clear: insist on STARTTLS.
      requireTLS: !o.secure,
      connectionTimeout: o.timeoutMs * 2,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
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
      this.conn.connect((error?: NodemailerError) => {
        if (error) return this.fail(this.failureFrom(error));
        void this.afterConnect();
      });
    });
  }

  private async afterConnect(): Promise<void> {
    this.parseAuthMechanisms();
    if (this.o.user !== undefined && this.o.password !== undefined) {
      if (!this.result.authAdvertised) {
        this.info('the server did not advertise AUTH: the credentials were NOT checked');
      } else {
        this.disclose(this.o.user, this.o.password);
        const loginError = await new Promise<NodemailerError | undefined>((done) =>
          this.conn.login({ user: this.o.user!, pass: this.o.password! }, (err) => done(err as NodemailerError | undefined)),
        );
        if (this.finished) return;
        if (loginError) return this.fail(this.failureFrom(loginError, 'auth'));
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
    await new Promise<void>((done) =>
      this.conn.login({ method: 'MAILCHECK-ENVELOPE', user: 'envelope', pass: 'envelope' }, () => done()),
    );
  }

  private async walkEnvelope(ctx: { sendCommand: (cmd: string) => Promise<{ status: number; response: string }>; resolve: () => void; reject: (e: Error) => void }): Promise<void> {
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
        this.fail({ stage, code, responseCode: reply.status || undefined, response: reply.response, message: `${command.split(':')[0]} rejected` });
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
    if (tnx === 'dns') {
      if (this.stage === 'dns') this.enterStage('connect');
      if (this.o.secure) this.watchTcpConnect();
    } else if (tnx === 'network' && /established/.test(text)) {
      this.info(text);
      this.enterStage('greeting');
      if (!this.o.secure) setImmediate(warmUpTls);
    } else if (tnx === 'client') this.onClientLine(text);
    else if (tnx === 'server') this.onServerLine(text);
  }

  private onClientLine(text: string): void {
    if (this.loggingEnvelopeOurselves) return;
    const verb = text.split(/[\s:]/)[0]!.toUpperCase();
    const stageByVerb: Record<string, SmtpStage> = { EHLO: 'ehlo', HELO: 'ehlo', LHLO: 'ehlo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', QUIT: 'quit' };
    const next = stageByVerb[verb];
    if (next && next !== this.stage) this.enterStage(next);
    this.collectingEhlo = verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO';
    if (this.collectingEhlo) this.lastEhloReply = [];
    this.expectReply(verb);
    this.record('client', this.authLines.rewriteClient(text));
  }

  private expectReply(verb: string): void {
    this.awaitingReply.push(this.stage);
    // DATA is answered twice: 354 to go ahead, then the verdict on the body (which is not logged).
    if (verb === 'DATA') this.awaitingReply.push('data');
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
    this.record('server', decodeServerPrompt(this.scrubber.scrubReply(text)));
    this.checkReplyOrder(answered, text);
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
        this.result.authMechanisms = safeLine(match[1]!.trim()).split(/\s+/).slice(0, 20).map((m: string) => m.toUpperCase());
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
    clearTimeout(this.watchdog);
    // nodemailer bounds connect and greeting itself (with typed errors we prefer); this catches
    // what it does not: a server that drips one byte at a time keeps its socket timeout alive.
    const limit = stage === 'dns' || stage === 'connect' || stage === 'tls' ? this.o.timeoutMs * 2 : this.o.timeoutMs;
    this.watchdog = setTimeout(() => {
      this.fail({ stage, code: 'ETIMEDOUT', timeoutType: 'STEP_TIMEOUT', message: `no complete answer within ${limit} ms` });
    }, limit + 250);
    this.watchdog.unref();
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
      failure.withheldWords = { message: safeLines(failure.message, 10).join('\n'), ...(failure.response !== undefined ? { response: safeLines(failure.response, 10).join('\n') } : {}) };
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
      this.info(`the password has fewer than ${minRecognisableLength} characters, too few to tell an echo of it from ordinary words: the server's text after login is withheld (its reply codes are kept)`);
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
    this.result.stages.push({ stage: this.stage, ms: Math.round(performance.now() - this.stageStarted) });
    if (!this.result.ok) this.conn.close();
    this.resolve(this.result);
  }
}
