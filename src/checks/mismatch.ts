import { isWrongVersion } from '../diagnose/failure-facts.js';
import { implicitTlsProven, plainSmtpProven } from '../diagnose/mode-mismatch.js';
import type { Diagnosis, DiagnosisContext, SmtpFailure, SmtpStage } from '../diagnose/types.js';
import { attemptSmtp, type AttemptResult } from '../probe/attempt.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import type { WalkResult } from '../smtp/walk.js';

/**
 * Port and SMTP_SECURE disagreeing is the most common failure there is, and the slowest to
 * show: a plain-text client on an implicit-TLS port waits 30 s for a greeting that never comes.
 * Instead of inferring the cause from a timeout, we try the other mode on the same port and
 * report what we proved, in about three seconds.
 */

type Names = DiagnosisContext['names'];

export interface ProvenMismatch {
  diagnosis: Diagnosis;
  /** Replaces the walk's own failure when we ended the walk early (it would read "interrupted"). */
  failure?: SmtpFailure;
}

export interface MismatchWatchOptions {
  host: string;
  port: number;
  secure: boolean;
  names: Names;
  /** The walk's per-step bound: side attempts end by the time the walk's own timeout would. */
  timeoutMs: number;
  ca?: string;
  /** --dns-server: the side attempts resolve the host through it, as the walk does. */
  dnsServer?: string;
  /** -4/-6 and --ehlo: the side attempts connect as the walk does. */
  family?: 4 | 6;
  ehloName?: string;
  recorder: TranscriptRecorder;
  /** The user's Ctrl-C. */
  signal?: AbortSignal;
  /** How long a plain-text connection may stay silent before implicit TLS is tried beside it. */
  greetingWaitMs?: number;
}

export const defaultGreetingWaitMs = 1500;
const maxSideAttemptMs = 3000;
const minSideAttemptMs = 1000;

/**
 * Runs beside the walk. Feed it the walk's stages (`onStage`), give the walk its `signal`, and
 * ask `settle(walk)` afterwards for a proven mismatch.
 *
 * - Plain text or STARTTLS configured, connected, and no greeting after `greetingWaitMs`: try
 *   implicit TLS on the same port. If that handshakes and greets, end the walk: proven.
 * - Implicit TLS configured and the handshake failed with "wrong version number": connect in
 *   plain text; a 220 greeting proves the port speaks plain SMTP.
 *
 * A server that is only slow to greet is never misdiagnosed: the side attempt must complete a
 * TLS handshake AND get a greeting, which a plain-text server cannot do, and the walk is only
 * ended while it is still waiting for its greeting.
 */
export class ModeMismatchWatch {
  readonly signal: AbortSignal;
  private readonly endWalk = new AbortController();
  private readonly endSide = new AbortController();
  private readonly greetingWaitMs: number;
  /** Started after the wait, it ends about when the walk's greeting timeout fires: never later than that. */
  private readonly implicitAttemptMs: number;
  private readonly plainAttemptMs: number;
  private timer: NodeJS.Timeout | undefined;
  private greetingStarted: number | undefined;
  private side: Promise<ProvenMismatch | undefined> | undefined;
  private proven: ProvenMismatch | undefined;

  constructor(private readonly o: MismatchWatchOptions) {
    this.signal = o.signal ? AbortSignal.any([o.signal, this.endWalk.signal]) : this.endWalk.signal;
    this.greetingWaitMs = o.greetingWaitMs ?? defaultGreetingWaitMs;
    this.implicitAttemptMs = Math.max(minSideAttemptMs, Math.min(maxSideAttemptMs, o.timeoutMs - this.greetingWaitMs));
    this.plainAttemptMs = Math.min(maxSideAttemptMs, o.timeoutMs);
  }

  readonly onStage = (stage: SmtpStage, status: 'start' | 'ok'): void => {
    if (this.o.secure || status !== 'start') return;
    if (stage === 'greeting' && this.greetingStarted === undefined) {
      this.greetingStarted = performance.now();
      this.timer = setTimeout(() => void this.tryImplicitTls(), this.greetingWaitMs);
      this.timer.unref();
    } else if (stage !== 'greeting' && this.greetingStarted !== undefined) {
      // The greeting came: whatever the side attempt finds, the configured mode works.
      this.stopWaiting();
    }
  };

  /** The walk heard SMTP in the configured mode (a `220-` before a held greeting): there is no mismatch to look for. */
  smtpSpoken(): void {
    this.stopWaiting();
  }

  async settle(walk: WalkResult): Promise<ProvenMismatch | undefined> {
    clearTimeout(this.timer);
    if (this.proven) return this.proven;
    const f = walk.failure;
    if (!f || f.code === 'EABORT' || this.o.signal?.aborted) return this.stopWaiting();
    // Silent until the walk's own greeting timeout, or cut off before greeting: try TLS now.
    if (!this.o.secure && f.stage === 'greeting' && f.responseCode === undefined) return this.tryImplicitTls();
    if (this.o.secure && isWrongVersion(f) && f.stage !== 'starttls') return this.lookForPlainGreeting();
    return this.stopWaiting();
  }

  private stopWaiting(): undefined {
    clearTimeout(this.timer);
    this.greetingStarted = undefined;
    this.endSide.abort();
    return undefined;
  }

  private tryImplicitTls(): Promise<ProvenMismatch | undefined> {
    this.side ??= (async () => {
      const waited = Math.round(performance.now() - (this.greetingStarted ?? performance.now()));
      this.info(`no greeting after ${waited} ms: trying implicit TLS on port ${this.o.port} alongside`);
      const attempt = await this.attempt('implicit-tls');
      if (!attempt.ok || !attempt.tls) {
        this.info(`implicit TLS on port ${this.o.port} did not work either (${describe(attempt)})`);
        return undefined;
      }
      this.info(
        `implicit TLS on port ${this.o.port}: ${attempt.tls.protocol} handshake and greeting "${attempt.greeting ?? ''}" in ${attempt.ms} ms: this port speaks implicit TLS`,
      );
      const proven: ProvenMismatch = {
        diagnosis: implicitTlsProven({
          port: this.o.port,
          names: this.o.names,
          proof: `no greeting arrived in plain text within ${waited} ms, while implicit TLS to the same port completed a ${attempt.tls.protocol} handshake and the server greeted`,
          ...(attempt.greeting ? { greeting: attempt.greeting } : {}),
        }),
        failure: {
          stage: 'greeting',
          code: 'EMODEMISMATCH',
          message: `no plain-text greeting within ${waited} ms; port ${this.o.port} answered in implicit TLS`,
        },
      };
      // Only a walk still waiting for its greeting is ended: one that got it is fine as configured.
      if (this.greetingStarted !== undefined) {
        this.proven = proven;
        this.endWalk.abort();
      }
      return proven;
    })();
    return this.side;
  }

  private async lookForPlainGreeting(): Promise<ProvenMismatch | undefined> {
    this.info(`implicit TLS failed with "wrong version number": looking for a plain-text greeting on port ${this.o.port}`);
    const attempt = await this.attempt('plaintext');
    if (!attempt.greeting || !/^220[ -]/.test(attempt.greeting)) {
      this.info(`no plain-text greeting on port ${this.o.port} either (${describe(attempt)})`);
      return undefined;
    }
    const starttls = attempt.capabilities?.starttlsOffered;
    this.info(
      `port ${this.o.port} greets in plain text ("${attempt.greeting}")${starttls === undefined ? '' : starttls ? ' and offers STARTTLS' : ' and does not offer STARTTLS'}`,
    );
    return {
      diagnosis: plainSmtpProven({
        port: this.o.port,
        names: this.o.names,
        proof: `the TLS handshake failed with "wrong version number", and a plain-text connection to the same port got the greeting`,
        greeting: attempt.greeting,
        ...(starttls === undefined ? {} : { starttlsOffered: starttls }),
      }),
    };
  }

  private attempt(mode: 'implicit-tls' | 'plaintext'): Promise<AttemptResult> {
    return attemptSmtp({
      host: this.o.host,
      port: this.o.port,
      mode,
      timeoutMs: mode === 'implicit-tls' ? this.implicitAttemptMs : this.plainAttemptMs,
      signal: AbortSignal.any([this.endSide.signal, ...(this.o.signal ? [this.o.signal] : [])]),
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      ...(this.o.dnsServer ? { dnsServer: this.o.dnsServer } : {}),
      ...(this.o.family ? { family: this.o.family } : {}),
      ...(this.o.ehloName ? { ehloName: this.o.ehloName } : {}),
    });
  }

  private info(text: string): void {
    this.o.recorder.record('info', text, false);
  }
}

function describe(attempt: AttemptResult): string {
  return attempt.failure?.message.split(/\r?\n/)[0] ?? 'no greeting';
}
