import { isIP, type Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';
import { format } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AuthMethod, SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { resolveForNodemailer } from '../dns/host.js';
import type { StageTiming } from '../report/model.js';
import type { TlsInfo } from '../report/tls.js';
import { Scrubber } from '../safety/secrets.js';
import { safeLines } from '../safety/text.js';
import { maxResponseBytes, type NodemailerError } from './nodemailer-error.js';
import { readTlsInfo } from './tls-info.js';

/**
 * The one adapter over nodemailer's SMTPConnection: the walk (smtp/walk.ts) and the probe's
 * attempts (probe/attempt.ts) both drive a session through it, and each keeps only its policy.
 *
 * In: nodemailer's log lines and the socket underneath it (the only place that reads the private
 * `_socket`). Out: typed events (stage changes, commands, replies, TLS up) and, when the session
 * ends badly, one `SmtpFailure` whose texts are scrubbed of what this server was given and made
 * terminal-safe, as diagnose/types.ts promises the rules. Every failure, nodemailer's or the
 * caller's, ends the session through `fail`, and every operation then resolves.
 */

/**
 * How the user asked sessions to be opened (-4/-6, --ehlo, --auth-method): the same for the walk,
 * the mismatch watch's side attempts and the probe, so one command never mixes two choices.
 */
export interface SessionChoices {
  /** Connect over this address family only (dns/host.ts picks the addresses). */
  family?: 4 | 6;
  /** The name sent in EHLO/HELO; nodemailer's default (this machine's FQDN, else [127.0.0.1]) otherwise. */
  ehloName?: string;
  /** Log in with this mechanism only (the walk, and the probe's --auth). */
  authMethod?: AuthMethod;
}

/** STARTTLS where the server offers it (the walk refuses the rest itself), always, or never. */
export type StarttlsPolicy = 'when-offered' | 'required' | 'never';

/** A complete reply, and the stage of the command it answers (with PIPELINING, one sent lines ago). */
export interface ServerReply {
  /** As received: may echo a secret; scrub it (`scrubReply`) before it is shown. */
  text: string;
  answered: SmtpStage;
  /** The lines of `text` not yet reported by `replyLine` (continuation lines shown as they arrived). */
  rest: string;
}

export interface ConnectionEvents {
  /** The session entered `stage`, after `left` (absent the first time, and when a stage is re-entered). */
  stage?(stage: SmtpStage, left: StageTiming | undefined): void;
  /** The TCP (or, with implicit TLS, the TLS) connection is up: nodemailer's own words. */
  established?(text: string): void;
  /** A command as sent; `own` marks the commands sent through `commands` (not masked by nodemailer). */
  command?(text: string, own: boolean): void;
  /**
   * A continuation line of a reply still in progress, as it arrived: nodemailer reports a reply
   * only once its last line is in. Only until a secret is disclosed (the scrubber must see a reply
   * whole) and at most maxEarlyLines per reply.
   */
  replyLine?(line: string): void;
  /** The greeting has begun (`220-`) and its rest has not come yet. */
  greetingBegun?(): void;
  reply?(reply: ServerReply): void;
  /** A complete reply to no command (`250` right behind the greeting). */
  unsolicited?(line: string): void;
  /** The TLS handshake completed (implicit TLS, or after STARTTLS); verification is the caller's to judge. */
  tls?(info: TlsInfo): void;
  /** The session is over: `failure` is what ended it, absent when the caller ended it with `quit`. */
  ended?(failure: SmtpFailure | undefined): void;
}

export interface ConnectionOptions {
  /** A name (resolved through dns/host.ts) or an address. */
  host: string;
  /** The name the certificate must carry when `host` is an address resolved from it (also SNI). */
  servername?: string;
  port: number;
  /** Implicit TLS from the first byte. */
  secure: boolean;
  starttls: StarttlsPolicy;
  /** Bound for the DNS lookup. */
  dnsTimeoutMs: number;
  /** nodemailer's own connection, greeting and socket timers; the caller's watchdog may be shorter. */
  nodemailerTimeoutMs: number;
  /** Tear the socket down at once after QUIT or a failure, instead of waiting for the server to close. */
  closeAtOnce?: boolean;
  /** An extra CA to trust (the sandbox's own). */
  ca?: string;
  /** --dns-server (dns/host.ts). */
  dnsServer?: string;
  /** -4/-6 (dns/host.ts keeps only that family's addresses). */
  family?: 4 | 6;
  /** --ehlo (checked by commands/options.ts: a host name or an address literal). */
  ehloName?: string;
  signal?: AbortSignal;
  events: ConnectionEvents;
}

/** A command nodemailer has no API for, and the failure code a reply other than 2xx gets. */
export interface OwnCommand {
  stage: SmtpStage;
  command: string;
  failureCode: string;
}

/** Continuation lines of one reply shown as they arrive (the whole reply is bounded by safeLines when it completes). */
const maxEarlyLines = 40;

/**
 * How long EHLO after STARTTLS waits for a TLS 1.3 session ticket (holdEhloForSessionTicket): a
 * ticket follows the handshake by one round trip, so a few ms cover loopback and a LAN, and are
 * all a server without tickets (or across a WAN, where the wait could not help) ever costs.
 */
const sessionTicketWaitMs = 5;

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

/** The customAuth hook that carries OwnCommands. */
const ownCommandsMethod = 'MAILCHECK-COMMANDS';

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

type CustomAuthContext = {
  sendCommand: (cmd: string) => Promise<{ status: number; response: string }>;
  resolve: () => void;
  reject: (e: Error) => void;
};

export class SmtpSession {
  private readonly conn: SMTPConnection;
  private readonly events: ConnectionEvents;
  /** What this server was given: the credentials, from the moment they are disclosed (safety/secrets.ts). */
  private readonly scrubber = new Scrubber();
  private currentStage: SmtpStage;
  private stageStarted = performance.now();
  private readonly timings: StageTiming[] = [];
  private watchdog: NodeJS.Timeout | undefined;
  private finished = false;
  private endedWith: SmtpFailure | undefined;
  private resolveDone!: (failure: SmtpFailure | undefined) => void;
  /** Resolves when the session is over: with the failure that ended it, or undefined after `quit`. */
  readonly done = new Promise<SmtpFailure | undefined>((resolve) => (this.resolveDone = resolve));
  private tlsInfo: TlsInfo | undefined;
  /** The stage of each command still awaiting its reply, oldest first: with PIPELINING a reply may answer a command sent lines ago. */
  private readonly awaitingReply: SmtpStage[] = ['greeting'];
  /** The last 4xx/5xx reply and the stage of the command it answered, until a positive reply follows. */
  private lastRejection: { stage: SmtpStage; response: string } | undefined;
  private collectingEhlo = false;
  private ehloLines: string[] = [];
  /** While OwnCommands run, nodemailer logs them masked: they are reported by `commands` instead. */
  private ownCommandsRunning: ((ctx: CustomAuthContext) => Promise<void>) | undefined;
  private greetingHasBegun = false;
  /** Lines of the reply in progress already reported (see tapReplies). */
  private linesShownEarly = 0;
  /** Replies the commands sent so far call for (the greeting is one), and replies completed: more of the second is a server talking out of turn. */
  private repliesExpected = 1;
  private repliesReceived = 0;
  /** The socket whose data tapReplies reads (nodemailer replaces it at STARTTLS). */
  private tapped: unknown;
  private partialLine = '';
  private readonly onAbort = () => this.fail({ stage: this.currentStage, code: 'EABORT', message: 'interrupted' });

  constructor(private readonly o: ConnectionOptions) {
    this.events = o.events;
    this.currentStage = isIP(o.host) ? 'connect' : 'dns';
    this.conn = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.secure,
      ...(o.starttls === 'required' ? { requireTLS: true } : {}),
      ...(o.starttls === 'never' ? { ignoreTLS: true } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
      ...(o.ehloName ? { name: o.ehloName } : {}),
      connectionTimeout: o.nodemailerTimeoutMs,
      greetingTimeout: o.nodemailerTimeoutMs,
      socketTimeout: o.nodemailerTimeoutMs,
      dnsTimeout: o.dnsTimeoutMs,
      ...(o.closeAtOnce ? { socketCloseTimeout: 0 } : {}),
      maxResponseSize: maxResponseBytes,
      // Verification is the caller's: the walk fails after the handshake so the transcript can
      // show the certificate that failed, the probe reports it. Nothing is sent over an
      // unverified connection by either (walk.ts onTls, attempt.ts logIn).
      tls: { rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) },
      transactionLog: true,
      logger: this.logger(),
      customAuth: { [ownCommandsMethod]: (ctx) => this.ownCommandsRunning?.(ctx as CustomAuthContext) ?? Promise.resolve() },
    });
  }

  get stage(): SmtpStage {
    return this.currentStage;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** What ended the session, once it ended badly. */
  get failure(): SmtpFailure | undefined {
    return this.endedWith;
  }

  /** The time spent in each stage, in session order (the last one up to the end). */
  get stages(): StageTiming[] {
    return this.timings;
  }

  /** The handshake's outcome, once one completed. */
  get tls(): TlsInfo | undefined {
    return this.tlsInfo;
  }

  /** The lines of the last EHLO (or HELO) reply, as received. */
  get ehloReply(): string[] {
    return this.ehloLines;
  }

  /** True once a secret was disclosed to this server: its text may quote it from then on. */
  get disclosed(): boolean {
    return this.scrubber.disclosed;
  }

  /**
   * Resolves the host (dns/host.ts), connects and lets nodemailer greet, EHLO and (by the policy)
   * STARTTLS. true when that worked; false when the session ended instead (see `failure`).
   */
  async open(): Promise<boolean> {
    if (this.o.signal?.aborted) {
      this.onAbort();
      return false;
    }
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    // Without an 'error' listener nodemailer's errors would throw; keep it for the socket's lifetime.
    this.conn.on('error', (error: NodemailerError) => this.fail(this.failureFrom(error)));
    this.conn.on('end', () => this.fail({ stage: this.currentStage, code: 'ECONNECTION', message: 'Connection closed unexpectedly' }));
    this.enter(this.currentStage);
    const unresolved = await resolveForNodemailer(this.o.host, { server: this.o.dnsServer, timeoutMs: this.o.dnsTimeoutMs, family: this.o.family });
    if (this.finished) return false;
    // The shape nodemailer gives its own failed lookups, which the diagnosis rules read.
    if (unresolved) {
      this.fail({ stage: 'dns', code: 'EDNS', originalCode: unresolved.code, message: unresolved.message });
      return false;
    }
    return this.untilEnded<boolean>(false, (done) =>
      this.conn.connect((error) => {
        if (error) return this.fail(this.failureFrom(error as NodemailerError));
        this.noticeTls();
        done(!this.finished);
      }),
    );
  }

  /** AUTH with nodemailer's credentials object; a rejection ends the session. Disclose the secret first. */
  login(credentials: object): Promise<boolean> {
    return this.untilEnded<boolean>(false, (done) =>
      this.conn.login(credentials as never, (error) => {
        if (error) return this.fail(this.failureFrom(error as NodemailerError, 'auth'));
        done(true);
      }),
    );
  }

  /** MAIL, RCPT, DATA and the message; resolves with the server's reply to the end of DATA, or undefined when the session ended. */
  send(envelope: { from: string; to: string[] }, message: string | Buffer): Promise<{ response?: string } | undefined> {
    return this.untilEnded<{ response?: string } | undefined>(undefined, (done) =>
      this.conn.send(envelope, message, (error, sent) => {
        if (error) return this.fail(this.failureFrom(error as NodemailerError));
        done(sent?.response !== undefined ? { response: sent.response } : {});
      }),
    );
  }

  /**
   * Commands nodemailer has no API for (MAIL and RCPT without DATA, RSET), through its
   * documented customAuth hook, one at a time, each in its own stage. A reply other than 2xx ends
   * the session. true when every one was accepted.
   */
  commands(steps: readonly OwnCommand[]): Promise<boolean> {
    this.ownCommandsRunning = async (ctx) => {
      for (const { stage, command, failureCode } of steps) {
        this.enter(stage);
        const verb = command.split(':')[0]!;
        this.expectReply(verb);
        this.events.command?.(command, true);
        const reply = await ctx.sendCommand(command);
        if (reply.status < 200 || reply.status >= 300) {
          this.fail({
            stage,
            code: failureCode,
            ...(reply.status ? { responseCode: reply.status } : {}),
            response: reply.response,
            message: `${verb} rejected`,
          });
          ctx.reject(new Error('command rejected'));
          return;
        }
      }
      this.ownCommandsRunning = undefined;
      ctx.resolve();
    };
    return this.login({ method: ownCommandsMethod, user: 'commands', pass: 'commands' });
  }

  /** Says goodbye and ends the session as a success. */
  quit(): void {
    if (this.finished) return;
    this.enter('quit');
    this.conn.quit();
    this.finish(undefined);
  }

  /**
   * Moves the session to `stage` (commands nodemailer sends move it by themselves). Entering the
   * stage it is in reports it again without restarting its clock.
   */
  enter(stage: SmtpStage): void {
    if (this.finished) return;
    let left: StageTiming | undefined;
    const now = performance.now();
    if (stage !== this.currentStage) {
      left = { stage: this.currentStage, ms: Math.round(now - this.stageStarted) };
      this.timings.push(left);
      this.currentStage = stage;
      this.stageStarted = now;
    }
    this.events.stage?.(stage, left);
  }

  /** Milliseconds spent in the current stage so far. */
  stageElapsedMs(): number {
    return performance.now() - this.stageStarted;
  }

  /**
   * The one watchdog: unless re-armed or the session ends first, fails it with `expired()` after
   * `ms`. It also catches a server that drips one byte at a time, which keeps a socket's idle timer
   * alive; the policy (how long, which timeout type the rules should read) is the caller's.
   */
  armWatchdog(ms: number, expired: () => SmtpFailure): void {
    clearTimeout(this.watchdog);
    if (this.finished) return;
    this.watchdog = setTimeout(() => this.fail(expired()), Math.max(0, ms));
  }

  /**
   * From now on the server knows `secret` (and `user`, which lets the AUTH PLAIN payload be
   * recognised whole), so its text may echo them. true when a secret is too short to tell an echo
   * of it from ordinary words: the server's text is then withheld (its reply codes are kept).
   */
  disclose(secret: string, user?: string): boolean {
    this.scrubber.add(secret, user);
    return this.scrubber.withholds;
  }

  /** A reply, scrubbed of what this server was given. */
  scrubReply(text: string): string {
    return this.scrubber.scrubReply(text);
  }

  /** Server text as a report may hold it: scrubbed, control characters neutralised, each line and the number of lines bounded. */
  untrusted(text: string): string {
    return safeLines(this.scrubber.scrubReply(text), 10).join('\n');
  }

  /**
   * Ends the session with `failure` (the first one wins; later ones are dropped), made into what
   * SmtpFailure promises the diagnosis rules and renderers: redacted and terminal-safe.
   */
  fail(failure: SmtpFailure): void {
    if (this.finished) return;
    // A server that rejects and hangs up at once (421 to a pipelined MAIL) leaves nodemailer with
    // only "Connection closed unexpectedly": the rejection read just before is the real cause.
    if (failure.response === undefined && failure.responseCode === undefined && this.lastRejection && failure.code !== 'EABORT') {
      failure.stage = this.lastRejection.stage;
      failure.response = this.lastRejection.response;
      failure.responseCode = Number(this.lastRejection.response.slice(0, 3));
    }
    if (this.scrubber.withholds) {
      failure.withheldWords = {
        message: safeLines(failure.message, 10).join('\n'),
        ...(failure.response !== undefined ? { response: safeLines(failure.response, 10).join('\n') } : {}),
      };
    }
    failure.message = this.untrusted(failure.message);
    if (failure.response !== undefined) failure.response = this.untrusted(failure.response);
    this.finish(failure);
  }

  // --- nodemailer's log and socket ---------------------------------------------------------

  private logger() {
    const log = (entry: { tnx?: string } | undefined, message: string, ...args: unknown[]) => this.onLog(entry?.tnx, format(message, ...args));
    return { trace: log, debug: log, info: log, warn: log, error: () => {}, fatal: () => {} };
  }

  private onLog(tnx: string | undefined, text: string): void {
    if (this.finished) return;
    this.noticeTls();
    this.tapReplies();
    // A TLS event may have ended the session (a certificate the caller does not accept).
    if (this.finished) return;
    if (tnx === 'dns') {
      if (this.currentStage === 'dns') this.enter('connect');
      if (this.o.secure) this.watchTcpConnect();
    } else if (tnx === 'network' && /established/.test(text)) {
      this.events.established?.(text);
      this.enter('greeting');
      if (!this.o.secure && this.o.starttls !== 'never') setImmediate(warmUpTls);
    } else if (tnx === 'smtp' && /upgraded with STARTTLS/.test(text)) this.holdEhloForSessionTicket();
    else if (tnx === 'client') this.onCommand(text);
    else if (tnx === 'server') this.onReply(text);
  }

  private onCommand(text: string): void {
    if (this.ownCommandsRunning) return;
    const verb = text.split(/[\s:]/)[0]!.toUpperCase();
    const next = stageByVerb[verb];
    if (next && next !== this.currentStage) this.enter(next);
    this.collectingEhlo = verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO';
    if (this.collectingEhlo) this.ehloLines = [];
    this.expectReply(verb);
    this.events.command?.(text, false);
  }

  private expectReply(verb: string): void {
    this.awaitingReply.push(this.currentStage);
    this.repliesExpected++;
    // DATA is answered twice: 354 to go ahead, then the verdict on the body (which is not logged).
    if (verb === 'DATA') {
      this.awaitingReply.push('data');
      this.repliesExpected++;
    }
  }

  private onReply(text: string): void {
    if (this.collectingEhlo) this.ehloLines.push(...text.split(/\r?\n/));
    const answered = this.awaitingReply.shift() ?? this.currentStage;
    this.lastRejection = /^[45]\d\d/.test(text) ? { stage: answered, response: text } : undefined;
    // The continuation lines tapReplies already reported (with the time they arrived) are not reported twice.
    const rest = text.split(/\r?\n/).slice(this.linesShownEarly).join('\n');
    this.linesShownEarly = 0;
    this.events.reply?.({ text, answered, rest });
  }

  private socket(): unknown {
    return (this.conn as unknown as { _socket?: unknown })._socket;
  }

  /** The first time the socket is a TLS socket whose handshake completed, report what it negotiated. */
  private noticeTls(): void {
    if (this.tlsInfo) return;
    const socket = this.socket();
    if (!(socket instanceof TLSSocket)) return;
    // Node settles `authorized` or `authorizationError` only when a handshake completes; a socket
    // whose handshake failed (garbage after STARTTLS) still reports a protocol but neither of these.
    if (!socket.authorized && !socket.authorizationError) return;
    this.tlsInfo = readTlsInfo(socket);
    this.events.tls?.(this.tlsInfo);
  }

  /**
   * With implicit TLS nodemailer reports nothing between the TCP connect and the end of the
   * handshake; watching the socket itself keeps a refused port (connect) apart from a failed
   * handshake (tls). nodemailer opens the socket right after logging the lookup, in the same tick.
   */
  private watchTcpConnect(): void {
    queueMicrotask(() => {
      const socket = this.socket();
      if (!(socket instanceof TLSSocket)) return;
      socket.once('connect', () => {
        if (!this.finished && this.currentStage === 'connect') this.enter('tls');
      });
    });
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
    const socket = this.socket();
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
   * Reads the server's lines as they arrive, before nodemailer does (so a line is reported before
   * the command it triggers), for two things nodemailer cannot see:
   * - A reply's continuation lines. nodemailer reports a reply only once its last line is in, so
   *   a greeting held after `220-` (postscreen) would look like silence. Until any secret is
   *   disclosed they are reported as they arrive (at most maxEarlyLines a reply); after that they
   *   wait for the whole reply, which the scrubber must see whole (a secret may be split over its lines).
   * - A reply nobody asked for (`250` right behind the greeting): nodemailer would take it as the
   *   answer to the next command, and every reply after it would answer the wrong command.
   */
  private tapReplies(): void {
    const socket = this.socket() as Socket | undefined;
    if (!socket || socket === this.tapped) return;
    this.tapped = socket;
    this.partialLine = '';
    socket.prependListener('data', (chunk: Buffer) => {
      // The plain socket still sees raw bytes after STARTTLS replaced it; the TLS one is tapped anew.
      if (this.finished || socket !== this.socket()) return;
      const lines = (this.partialLine + chunk.toString('utf8')).split('\n');
      this.partialLine = (lines.pop() ?? '').slice(-maxResponseBytes);
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        if (!/^\d{3}-/.test(line)) {
          // A reply's last line completes it: nodemailer reports the whole reply, and onReply the rest.
          if (/^\d{3}( |$)/.test(line) && ++this.repliesReceived > this.repliesExpected) {
            this.events.unsolicited?.(line);
            if (this.finished) return;
          }
          continue;
        }
        if (this.scrubber.disclosed || this.linesShownEarly >= maxEarlyLines) continue;
        this.events.replyLine?.(line);
        this.linesShownEarly++;
        if (this.currentStage === 'greeting' && line.startsWith('220-') && !this.greetingHasBegun) {
          this.greetingHasBegun = true;
          this.events.greetingBegun?.();
        }
      }
    });
  }

  // --- failures and ending -----------------------------------------------------------------

  private failureFrom(error: NodemailerError, fallbackStage?: SmtpStage): SmtpFailure {
    const rejected = error.rejectedErrors?.[0];
    const source = !error.response && rejected ? rejected : error;
    const failure: SmtpFailure = { stage: this.stageForError(error, fallbackStage), message: error.message };
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
    return fallback ?? this.currentStage;
  }

  /** Runs `start`, resolving with what it reports, or with `whenEnded` once the session is over. */
  private untilEnded<T>(whenEnded: T, start: (done: (value: T) => void) => void): Promise<T> {
    if (this.finished) return Promise.resolve(whenEnded);
    return new Promise<T>((resolve) => {
      let settled = false;
      const done = (value: T) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      void this.done.then(() => done(whenEnded));
      start(done);
    });
  }

  private finish(failure: SmtpFailure | undefined): void {
    this.finished = true;
    this.endedWith = failure;
    clearTimeout(this.watchdog);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.timings.push({ stage: this.currentStage, ms: Math.round(performance.now() - this.stageStarted) });
    this.events.ended?.(failure);
    if (failure) this.conn.close();
    this.resolveDone(failure);
  }
}
