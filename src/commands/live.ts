import { detectOutputMode, type OutputMode } from '../render/mode.js';
import { createProgress, type Progress } from '../render/progress.js';
import type { Redactor } from '../report/redact.js';
import { TranscriptRecorder } from '../report/transcript.js';
import type { GlobalOptions } from './options.js';

/**
 * What a command shows while a check runs: the output mode, the spinner, and the transcript as
 * it is recorded. It is cheap to load, so a check can start with it before the modules that
 * print the report (Session) have loaded; they load while the server is still answering.
 */
export class Live {
  readonly mode: OutputMode;
  readonly progress: Progress;
  readonly recorder: TranscriptRecorder;

  constructor(options: GlobalOptions, redactor: Redactor) {
    this.mode = detectOutputMode(options, process.env, process.stdin, process.stdout);
    this.progress = createProgress(this.mode);
    this.recorder = new TranscriptRecorder(redactor);
  }
}
