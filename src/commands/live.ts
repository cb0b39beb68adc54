import type { NetworkCheck, NetworkContext, NetworkFindings } from '../checks/network.js';
import type { View } from '../render/view.js';
import { TranscriptRecorder } from '../report/transcript.js';

/**
 * A command's check while it runs: the transcript as it is recorded, and the spinner's step. A
 * check can start with it before the view has loaded what prints the report (`View.ready`);
 * that loads while the server is still answering.
 */
export class Live {
  readonly recorder = new TranscriptRecorder();
  /** When the command began, for the report's total time (the check may start before Session exists). */
  readonly started = performance.now();
  private step: string | undefined;
  private checkRunning = false;
  private shown = false;

  constructor(readonly view: View) {}

  /**
   * Starts `check` now. A check reports failures in its findings, so a rejection is a bug: it
   * must reach the caller's handler through its `await`, not crash the process as an unhandled
   * rejection while the view is still loading.
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
    if (this.checkRunning && this.step) this.view.progress.update(this.step);
  }

  private onStep(text: string): void {
    this.step = text;
    if (this.shown && this.checkRunning) this.view.progress.update(text);
  }
}
