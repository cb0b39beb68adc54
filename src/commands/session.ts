import { closeSync, constants, openSync, statSync, writeFileSync } from 'node:fs';
import { certificateExpiryCheck } from '../checks/certificate-expiry.js';
import type { LoadedConfig } from '../config/load.js';
import type { Diagnosis } from '../diagnose/types.js';
import { HumanRenderer } from '../render/human.js';
import { renderJson } from '../render/json.js';
import { markdownReport } from '../render/markdown.js';
import type { OutputMode } from '../render/mode.js';
import { Output } from '../render/output.js';
import type { Progress } from '../render/progress.js';
import { configEntries, decideOutcome, schemaVersion, type Check, type Report, type StageTiming } from '../report/model.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import type { TlsInfo } from '../report/tls.js';
import { runtimeVersions } from '../version.js';
import type { Live } from './live.js';
import { safeLine } from '../safety/text.js';

/**
 * What every reporting command shares: the renderer, the live transcript on screen, and turning
 * collected results into one Report. Commands decide which checks run; this decides nothing
 * about them.
 */
export class Session {
  readonly mode: OutputMode;
  readonly output: Output;
  readonly human: HumanRenderer | undefined;
  readonly recorder: TranscriptRecorder;
  readonly progress: Progress;

  constructor(
    readonly command: string,
    readonly loaded: LoadedConfig,
    private readonly live: Live,
  ) {
    this.mode = live.mode;
    this.progress = live.progress;
    this.recorder = live.recorder;
    this.output = new Output();
    this.human = this.mode.json ? undefined : new HumanRenderer(this.output, this.mode);
  }

  get provider(): Report['provider'] {
    return { kind: this.loaded.detection.provider, reason: this.loaded.detection.reason };
  }

  get files(): Report['files'] {
    return { read: this.loaded.config.files, candidates: this.loaded.config.candidates };
  }

  printHeader(): void {
    this.human?.header(this.command, this.provider, configEntries(this.loaded.config.settings), this.files, this.loaded.lint);
  }

  /** Prints the title, then the transcript: the lines recorded so far and each new one as it comes. */
  showTranscript(title: string): void {
    this.human?.transcriptTitle(title);
    this.recorder.follow((line) => this.progress.around(() => this.human?.line(line)));
    this.live.show();
  }

  /**
   * Ctrl-C: the report of what was checked before it, ending with exit 130 (so --json still
   * prints its one document). A step cut short proves nothing, so no diagnosis is made of it.
   */
  finishInterrupted(parts: { checks: Check[]; stages?: StageTiming[]; probe?: Report['probe'] }): Report {
    const checks = parts.checks.filter((c) => c.status === 'pass');
    return this.finish({ ...parts, checks, diagnoses: [] }, false, true);
  }

  /** Builds the report, prints it in the chosen form, and returns the exit code. */
  finish(
    parts: {
      checks: Check[];
      diagnoses: Diagnosis[];
      tls?: TlsInfo;
      auth?: Report['auth'];
      stages?: StageTiming[];
      message?: Report['message'];
      probe?: Report['probe'];
    },
    strict = false,
    interrupted = false,
  ): Report {
    this.progress.stop();
    const base = { lint: this.loaded.lint, checks: withExpiryCheck(parts.checks, parts.tls), diagnoses: parts.diagnoses };
    const report: Report = {
      schemaVersion,
      command: this.command,
      versions: runtimeVersions(),
      provider: this.provider,
      config: configEntries(this.loaded.config.settings),
      files: this.files,
      ...base,
      transcript: this.recorder.lines,
      ...(parts.tls ? { tls: parts.tls } : {}),
      ...(parts.auth ? { auth: parts.auth } : {}),
      timings: { totalMs: Math.round(performance.now() - this.live.started), stages: parts.stages ?? [] },
      ...(parts.message ? { message: parts.message } : {}),
      ...(parts.probe ? { probe: parts.probe } : {}),
      result: decideOutcome(base, strict, interrupted),
    };
    if (this.mode.json) renderJson(this.output, report);
    else this.human!.summary(report);
    if (this.mode.markdownPath !== undefined) writeMarkdownReport(this.mode.markdownPath, report, this.output);
    return report;
  }
}

/** The certificate's expiry, judged right after the TLS check it belongs to. */
function withExpiryCheck(checks: Check[], tls: TlsInfo | undefined): Check[] {
  const expiry = certificateExpiryCheck(tls);
  if (!expiry) return checks;
  const at = checks.findIndex((c) => c.id === 'smtp.tls');
  return at === -1 ? [...checks, expiry] : [...checks.slice(0, at + 1), expiry, ...checks.slice(at + 1)];
}

/**
 * --report: the report is already printed, so a file that cannot be written is said on stderr
 * and does not change the verdict (as with GITHUB_STEP_SUMMARY).
 */
function writeMarkdownReport(path: string, report: Report, output: Output): void {
  try {
    // O_NONBLOCK: a FIFO nobody reads would block the open forever; a device is refused (ENXIO or below).
    const existing = statSync(path, { throwIfNoEntry: false });
    if (existing && !existing.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NONBLOCK ?? 0), 0o644);
    try {
      writeFileSync(fd, markdownReport(report));
    } finally {
      closeSync(fd);
    }
    output.err(`mailcheck: report written to ${safeLine(path)} (secrets masked: paste it into an issue)\n`);
  } catch (error) {
    output.err(`mailcheck: could not write the report to ${safeLine(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
  }
}
