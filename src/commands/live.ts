import { isatty } from 'node:tty';
import type { NetworkCheck, NetworkContext, NetworkFindings } from '../checks/network.js';
import { detectOutputMode, type OutputMode } from '../render/mode.js';
import { createProgress, type Progress } from '../render/progress.js';
import { TranscriptRecorder } from '../report/transcript.js';
import type { GlobalOptions } from './options.js';

/**
 * What a command shows while its check runs: the output mode, the spinner, and the transcript as
 * it is recorded. It is cheap to load, so a check can start with it before the modules that
 * print the report (Session) have loaded; they load while the server is still answering.
 */
export class Live {
  readonly mode: OutputMode;
  readonly progress: Progress;
  readonly recorder: TranscriptRecorder;
  /** When the command began, for the report's total time (the check may start before Session exists). */
  readonly started = performance.now();
  private step: string | undefined;
  private checkRunning = false;
  private shown = false;

  constructor(options: GlobalOptions) {
    // Whether stdin is a terminal, without process.stdin: its getter builds a stream for fd 0
    // (~3 ms), which a check that never reads stdin does not need.
    this.mode = detectOutputMode(options, process.env, { isTTY: isatty(0) }, process.stdout);
    this.progress = createProgress(this.mode);
    this.recorder = new TranscriptRecorder();
  }

  /**
   * Starts `check` now. A check reports failures in its findings, so a rejection is a bug: it
   * must reach main's handler through the caller's `await`, not crash the process as an
   * unhandled rejection while Session is still loading.
   */
  start(check: NetworkCheck, ctx: Omit<NetworkContext, 'recorder' | 'onProgress'>): Promise<NetworkFindings> {
    this.checkRunning = true;
    const findings = check.run({ ...ctx, recorder: this.recorder, onProgress: (text) => this.onStep(text) });
    const ended = () => {
      this.checkRunning = false;
    };
    findings.then(ended, ended);
    return findings;
  }

  /**
   * The transcript is on screen from now on, so the spinner may show the check's step. Before,
   * it would draw in the middle of the header; after the check, it would flash a stale step.
   */
  show(): void {
    this.shown = true;
    if (this.checkRunning && this.step) this.progress.update(this.step);
  }

  private onStep(text: string): void {
    this.step = text;
    if (this.shown && this.checkRunning) this.progress.update(text);
  }
}
