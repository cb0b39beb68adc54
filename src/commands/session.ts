import type { LoadedConfig } from '../config/load.js';
import type { Diagnosis } from '../diagnose/types.js';
import { HumanRenderer } from '../render/human.js';
import { renderJson } from '../render/json.js';
import { detectOutputMode, type OutputMode } from '../render/mode.js';
import { Output } from '../render/output.js';
import { createProgress, type Progress } from '../render/progress.js';
import { configEntries, decideOutcome, schemaVersion, type Check, type Report } from '../report/model.js';
import { TranscriptRecorder } from '../report/transcript.js';
import type { StageTiming } from '../smtp/walk.js';
import type { TlsInfo } from '../smtp/tls-info.js';
import type { GlobalOptions } from './options.js';

/**
 * What every reporting command shares: the output mode, the renderer, the live transcript, and
 * turning collected results into one Report. Commands decide which checks run; this decides
 * nothing about them.
 */
export class Session {
  readonly mode: OutputMode;
  readonly output: Output;
  readonly human: HumanRenderer | undefined;
  readonly recorder: TranscriptRecorder;
  private readonly started = performance.now();
  private progress: Progress | undefined;

  constructor(
    readonly command: string,
    readonly loaded: LoadedConfig,
    options: GlobalOptions,
  ) {
    this.mode = detectOutputMode(options, process.env, process.stdin, process.stdout);
    this.output = new Output(loaded.redactor);
    this.human = this.mode.json ? undefined : new HumanRenderer(this.output, this.mode);
    this.recorder = new TranscriptRecorder(loaded.redactor, (line) => {
      const print = () => this.human?.line(line);
      if (this.progress) this.progress.around(print);
      else print();
    });
  }

  get provider(): Report['provider'] {
    return { kind: this.loaded.detection.provider, reason: this.loaded.detection.reason };
  }

  printHeader(): void {
    this.human?.header(this.command, this.provider, configEntries(this.loaded.config.settings), this.loaded.lint);
  }

  async startProgress(): Promise<Progress> {
    this.progress = await createProgress(this.mode);
    return this.progress;
  }

  /** Builds the report, prints it in the chosen form, and returns the exit code. */
  finish(parts: { checks: Check[]; diagnoses: Diagnosis[]; tls?: TlsInfo; auth?: Report['auth']; stages?: StageTiming[]; message?: Report['message']; probe?: Report['probe'] }, strict = false): Report {
    this.progress?.stop();
    const base = { lint: this.loaded.lint, checks: parts.checks, diagnoses: parts.diagnoses };
    const report: Report = {
      schemaVersion,
      command: this.command,
      provider: this.provider,
      config: configEntries(this.loaded.config.settings),
      ...base,
      transcript: this.recorder.lines,
      ...(parts.tls ? { tls: parts.tls } : {}),
      ...(parts.auth ? { auth: parts.auth } : {}),
      timings: { totalMs: Math.round(performance.now() - this.started), stages: parts.stages ?? [] },
      ...(parts.message ? { message: parts.message } : {}),
      ...(parts.probe ? { probe: parts.probe } : {}),
      result: decideOutcome(base, strict),
    };
    if (this.mode.json) renderJson(this.output, report);
    else this.human!.summary(report);
    return report;
  }
}
